import { FrameInspector, type FrameInspectorOptions } from "./frame_inspector.ts";
import type { InspectorRecord } from "./inspector_record.ts";

/**
 * Bytes in, {@linkcode InspectorRecord}s out: a `TransformStream` around
 * {@linkcode FrameInspector}. Problems are records, not stream errors, so
 * the stream always runs to the end of its input (after a fatal problem,
 * the rest of the input is read and ignored). Input chunks are not
 * modified.
 *
 * @example Inspect a captured file
 * ```ts
 * import { FrameInspectorStream } from "@edgews/websocket/inspector";
 * import assert from "node:assert/strict";
 *
 * const capture = ReadableStream.from([
 *   new Uint8Array([0x81, 0x05, 0x48, 0x65]), // split anywhere
 *   new Uint8Array([0x6c, 0x6c, 0x6f, 0x88, 0x02, 0x03, 0xe8]),
 * ]);
 * const records = await Array.fromAsync(capture.pipeThrough(new FrameInspectorStream()));
 * assert.deepEqual(
 *   records.map((r) => r.kind === "frame" ? r.opcodeName : r.message),
 *   ["text", "close"],
 * );
 * ```
 */
export class FrameInspectorStream extends TransformStream<Uint8Array, InspectorRecord> {
  /**
   * Create an inspecting stream.
   *
   * @param options As for {@linkcode FrameInspector}.
   */
  constructor(options: FrameInspectorOptions = {}) {
    const inspector = new FrameInspector(options);
    super({
      async transform(chunk, controller) {
        for (const record of await inspector.write(chunk)) controller.enqueue(record);
      },
      async flush(controller) {
        for (const record of await inspector.end()) controller.enqueue(record);
      },
      cancel() {
        inspector.close();
      },
    });
  }
}

/**
 * Options for {@linkcode FrameTapStream}.
 */
export interface FrameTapOptions extends FrameInspectorOptions {
  /** Called with every record, in stream order, as the bytes go through. */
  onRecord: (record: InspectorRecord) => void;
}

/**
 * A tap for a live connection: bytes pass through unchanged (the same
 * chunks, in order) while their frames are reported to `onRecord`. Put it
 * in the pipe of one direction, after the handshake.
 *
 * @example Watch what a peer sends while it is being read
 * ```ts
 * import { FrameTapStream, type InspectorRecord } from "@edgews/websocket/inspector";
 * import assert from "node:assert/strict";
 *
 * const seen: InspectorRecord[] = [];
 * const wire = new Uint8Array([0x89, 0x00, 0x82, 0x01, 0xff]);
 * const passed = await Array.fromAsync(
 *   ReadableStream.from([wire]).pipeThrough(
 *     new FrameTapStream({ sender: "server", onRecord: (r) => seen.push(r) }),
 *   ),
 * );
 * assert.equal(passed[0], wire); // the very same chunk
 * assert.deepEqual(seen.map((r) => r.kind === "frame" && r.opcodeName), ["ping", "binary"]);
 * ```
 */
export class FrameTapStream extends TransformStream<Uint8Array, Uint8Array> {
  /**
   * Create a tap.
   *
   * @param options Where records go, and the inspector's options.
   */
  constructor(options: FrameTapOptions) {
    const inspector = new FrameInspector(options);
    const onRecord = options.onRecord;
    super({
      async transform(chunk, controller) {
        const records = await inspector.write(chunk);
        controller.enqueue(chunk);
        for (const record of records) onRecord(record);
      },
      async flush() {
        for (const record of await inspector.end()) onRecord(record);
      },
      cancel() {
        inspector.close();
      },
    });
  }
}
