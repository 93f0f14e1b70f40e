import type { FrameInit } from "../frames/frame.ts";
import type { Message } from "./message.ts";
import { MessageEncoder, type MessageEncoderOptions } from "./message_encoder.ts";

/**
 * A `TransformStream` from {@linkcode Message}s to frames, a thin wrapper
 * around {@linkcode MessageEncoder} (splits long messages into fragments of
 * `fragmentSize`).
 *
 * @example
 * ```ts
 * import { FrameEncoderStream } from "@edgews/websocket/frames";
 * import { MessageEncoderStream } from "@edgews/websocket/messages";
 * import assert from "node:assert/strict";
 *
 * const chunks = await Array.fromAsync(
 *   ReadableStream.from([{ type: "text" as const, data: "Hello" }])
 *     .pipeThrough(new MessageEncoderStream())
 *     .pipeThrough(new FrameEncoderStream({ role: "server" })),
 * );
 * assert.deepEqual([...chunks[0]!], [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
 * ```
 */
export class MessageEncoderStream extends TransformStream<Message, FrameInit> {
  /**
   * Create an encoding stream.
   *
   * @param options Fragmentation.
   */
  constructor(options: MessageEncoderOptions = {}) {
    const encoder = new MessageEncoder(options);
    super({
      transform(message, controller) {
        for (const frame of encoder.encode(message)) controller.enqueue(frame);
      },
    });
  }
}
