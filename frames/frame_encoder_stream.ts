import type { FrameInit } from "./frame.ts";
import { FrameEncoder, type FrameEncoderOptions } from "./frame_encoder.ts";

/**
 * A `TransformStream` from frames to wire bytes, a thin wrapper around
 * {@linkcode FrameEncoder}: a client masks each frame with a fresh key from
 * `crypto.getRandomValues`; a server sends unmasked frames and passes large
 * payloads through without copying them.
 *
 * @example
 * ```ts
 * import { FrameEncoderStream, Opcode } from "@edgews/websocket/frames";
 * import assert from "node:assert/strict";
 *
 * const chunks = await Array.fromAsync(
 *   ReadableStream.from([
 *     { opcode: Opcode.Text, payload: new TextEncoder().encode("Hello") },
 *   ]).pipeThrough(new FrameEncoderStream({ role: "server" })),
 * );
 * assert.deepEqual([...chunks[0]!], [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
 * ```
 */
export class FrameEncoderStream extends TransformStream<FrameInit, Uint8Array> {
  /**
   * Create an encoding stream.
   *
   * @param options The encoding endpoint's role and key source.
   */
  constructor(options: FrameEncoderOptions) {
    const encoder = new FrameEncoder(options);
    super({
      transform(frame, controller) {
        for (const chunk of encoder.encode(frame)) controller.enqueue(chunk);
      },
    });
  }
}
