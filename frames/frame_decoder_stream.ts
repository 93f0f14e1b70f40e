import { CloseCode } from "../errors/close_code.ts";
import type { Frame } from "./frame.ts";
import { FrameCollector } from "./frame_collector.ts";
import { FrameDecoder, type FrameDecoderOptions } from "./frame_decoder.ts";
import { WebSocketError } from "../errors/websocket_error.ts";

/**
 * A `TransformStream` from raw bytes to validated {@linkcode Frame}s, a thin
 * wrapper around the synchronous {@linkcode FrameDecoder}: every chunk is
 * parsed in one synchronous call, however many frames it holds. The stream
 * errors with a `WebSocketError` (carrying the close code) on the first
 * protocol violation, and with close code 1006 when the input ends in the
 * middle of a frame. Masked payloads are unmasked in place in the input
 * chunks.
 *
 * @example
 * ```ts
 * import { FrameDecoderStream } from "@edgews/websocket/frames";
 * import assert from "node:assert/strict";
 *
 * const bytes = new Uint8Array([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
 * const frames = await Array.fromAsync(
 *   ReadableStream.from([bytes]).pipeThrough(
 *     new FrameDecoderStream({ role: "client" }),
 *   ),
 * );
 * assert.equal(new TextDecoder().decode(frames[0]!.payload), "Hello");
 * ```
 */
export class FrameDecoderStream extends TransformStream<Uint8Array, Frame> {
  /**
   * Create a decoding stream.
   *
   * @param options The decoding endpoint's role and limits.
   */
  constructor(options: FrameDecoderOptions) {
    let decoder: FrameDecoder;
    super({
      start(controller) {
        decoder = new FrameDecoder(
          new FrameCollector((frame) => controller.enqueue(frame)),
          options,
        );
      },
      transform(chunk, controller) {
        const error = decoder.write(chunk);
        if (error !== undefined) controller.error(error);
      },
      flush(controller) {
        if (!decoder.idle) {
          controller.error(
            new WebSocketError(
              CloseCode.AbnormalClosure,
              "Stream ended in the middle of a frame",
            ),
          );
        }
      },
    });
  }
}
