import type { Frame } from "../frames/frame.ts";
import { WebSocketError } from "../errors/websocket_error.ts";
import type { Message } from "./message.ts";
import { MessageAssembler, type MessageAssemblerOptions } from "./message_assembler.ts";

/**
 * A `TransformStream` from frames to {@linkcode Message}s, a thin wrapper
 * around {@linkcode MessageAssembler}. It errors with a `WebSocketError`
 * carrying the close code on invalid UTF-8 (1007), a message over the size
 * limit (1009) or an invalid close body (1002/1007). To fail fast inside a
 * frame that is still arriving, drive `MessageAssembler` from a
 * `FrameDecoder` directly, as the connection layer does.
 *
 * @example
 * ```ts
 * import { FrameDecoderStream } from "@edgews/websocket/frames";
 * import { MessageDecoderStream } from "@edgews/websocket/messages";
 * import assert from "node:assert/strict";
 *
 * const wire = new Uint8Array([0x01, 0x03, 0x48, 0x65, 0x6c, 0x89, 0x00, 0x80, 0x02, 0x6c, 0x6f]);
 * const messages = await Array.fromAsync(
 *   ReadableStream.from([wire])
 *     .pipeThrough(new FrameDecoderStream({ role: "client" }))
 *     .pipeThrough(new MessageDecoderStream()),
 * );
 * assert.deepEqual(messages.map((m) => m.type), ["ping", "text"]);
 * ```
 */
export class MessageDecoderStream extends TransformStream<Frame, Message> {
  /**
   * Create a decoding stream.
   *
   * @param options Limits.
   */
  constructor(options: MessageAssemblerOptions = {}) {
    let assembler: MessageAssembler;
    super({
      start(controller) {
        assembler = new MessageAssembler((m) => controller.enqueue(m), options);
      },
      transform(frame, controller) {
        try {
          assembler.pushFrame(frame);
        } catch (error) {
          if (!(error instanceof WebSocketError)) throw error;
          controller.error(error);
        }
      },
    });
  }
}
