/**
 * Messages to frames, with optional fragmentation (RFC 6455 §5.4).
 *
 * @module
 */

import type { FrameInit } from "../frames/frame.ts";
import { Opcode } from "../frames/opcode.ts";
import { encodeClosePayload } from "./close_payload.ts";
import type { Message } from "./message.ts";

/**
 * Options for {@linkcode MessageEncoder}.
 *
 * @example
 * ```ts
 * import { MessageEncoder, type MessageEncoderOptions } from "@edgews/websocket/messages";
 *
 * const options: MessageEncoderOptions = { fragmentSize: 16 * 1024 };
 * const encoder = new MessageEncoder(options);
 * ```
 */
export interface MessageEncoderOptions {
  /**
   * Largest payload per frame; longer text and binary messages are split
   * into fragments of this size. Control frames are never fragmented.
   * @default {Infinity}
   */
  fragmentSize?: number | undefined;
}

const _encoder = new TextEncoder();

/**
 * Turns messages into frames: text is UTF-8 encoded, large messages are
 * split into a first frame and continuation frames, control payloads are
 * checked against the 125-byte limit (§5.5), close bodies are built from the
 * code and reason.
 *
 * @example
 * ```ts
 * import { MessageEncoder } from "@edgews/websocket/messages";
 * import assert from "node:assert/strict";
 *
 * const frames = new MessageEncoder({ fragmentSize: 3 })
 *   .encode({ type: "text", data: "Hello" });
 * assert.deepEqual(frames.map((f) => [f.opcode, f.fin, f.payload.length]), [
 *   [1, false, 3],
 *   [0, true, 2],
 * ]);
 * ```
 */
export class MessageEncoder {
  #fragmentSize: number;

  /**
   * Create an encoder.
   *
   * @param options Fragmentation.
   */
  constructor(options: MessageEncoderOptions = {}) {
    const size = options.fragmentSize ?? Infinity;
    if (!(size >= 1)) {
      throw new RangeError(`Invalid fragmentSize ${size}: must be at least 1`);
    }
    this.#fragmentSize = size;
  }

  /**
   * Encode one message.
   *
   * @param message The message or control frame to send.
   * @returns The frames, in order.
   * @throws {RangeError} For a control payload over 125 bytes or an invalid close.
   */
  encode(message: Message): FrameInit[] {
    switch (message.type) {
      case "text":
        return this.#data(Opcode.Text, _encoder.encode(message.data));
      case "binary":
        return this.#data(Opcode.Binary, message.data);
      case "close":
        return [{
          opcode: Opcode.Close,
          payload: encodeClosePayload(message.code, message.reason),
        }];
      case "ping":
      case "pong":
        if (message.data.length > 125) {
          throw new RangeError(
            `Cannot send ${message.type}: payload is ${message.data.length} bytes, the limit is 125`,
          );
        }
        return [{
          opcode: message.type === "ping" ? Opcode.Ping : Opcode.Pong,
          payload: message.data,
        }];
    }
  }

  #data(opcode: number, payload: Uint8Array): FrameInit[] {
    const size = this.#fragmentSize;
    if (payload.length <= size) return [{ opcode, payload }];
    const frames: FrameInit[] = [];
    for (let start = 0; start < payload.length; start += size) {
      const end = Math.min(start + size, payload.length);
      frames.push({
        opcode: start === 0 ? opcode : Opcode.Continuation,
        fin: end === payload.length,
        payload: payload.subarray(start, end),
      });
    }
    return frames;
  }
}
