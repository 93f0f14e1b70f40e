/**
 * A frame inspector, like Wireshark's WebSocket dissector: read one
 * direction of a captured (or live) connection and see every frame with
 * its flags, masking key and demasked payload, messages reassembled and
 * inflated (permessage-deflate), and every protocol error with the close
 * code a receiver would use and its byte offset. The command line is
 * `deno task inspect -- FILE`.
 *
 * @example
 * ```ts
 * import { FrameInspector, RecordFormatter } from "@edgews/websocket/inspector";
 * import assert from "node:assert/strict";
 *
 * const inspector = new FrameInspector({ sender: "client" });
 * const formatter = new RecordFormatter();
 * const masked = new Uint8Array([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
 * const lines = [...await inspector.write(masked), ...await inspector.end()]
 *   .map((record) => formatter.format(record));
 * assert.deepEqual(lines, ['#1 @0 text fin=1 rsv=000 len=5 mask=37fa213d\n   "Hello"']);
 * ```
 *
 * @module
 */
export * from "./format_record.ts";
export * from "./frame_inspector.ts";
export * from "./frame_inspector_stream.ts";
export * from "./hex_dump.ts";
export * from "./http_head_length.ts";
export * from "./inspector_record.ts";
