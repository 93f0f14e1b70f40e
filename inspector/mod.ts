/**
 * A frame inspector, like Wireshark's WebSocket dissector: read one
 * direction of a captured (or live) connection and see every frame with
 * its flags, masking key and demasked payload, messages reassembled and
 * inflated (permessage-deflate), and every protocol error with the close
 * code a receiver would use and its byte offset. The command line is
 * `deno task inspect -- FILE`.
 *
 * @module
 */
export * from "./format_record.ts";
export * from "./frame_inspector.ts";
export * from "./frame_inspector_stream.ts";
export * from "./hex_dump.ts";
export * from "./http_head_length.ts";
export * from "./inspector_record.ts";
