import type { FrameInit } from "../frames/frame.ts";
import { Opcode } from "../frames/opcode.ts";
import { encodeClosePayload } from "./close_payload.ts";
import type { Message } from "./message.ts";

/**
 * Options for {@linkcode MessageEncoder}.
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
 * code and reason. A `compressed` message (its payload already compressed by
 * a negotiated extension) gets RSV1 on its first frame only (RFC 7692 §6.1),
 * and is fragmented after compression.
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
      case "compressed":
        return this.#data(
          message.messageType === "text" ? Opcode.Text : Opcode.Binary,
          message.data,
          true,
        );
      case "close":
        return [{
          opcode: Opcode.Close,
          payload: encodeClosePayload(message.code, message.reason),
        }];
      case "chunk":
        return this.#data(
          message.first
            ? (message.messageType === "text" ? Opcode.Text : Opcode.Binary)
            : Opcode.Continuation,
          message.data,
          false,
          message.last,
        );
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

  /**
   * Encode a data message whose payload is already bytes (UTF-8 for text),
   * without going through a `Message`.
   *
   * @param type `"text"` or `"binary"`.
   * @param payload The payload, compressed when `compressed` is set.
   * @param compressed Set RSV1 on the first frame (RFC 7692 §6.1).
   * @returns The frames, in order.
   */
  encodePayload(type: "text" | "binary", payload: Uint8Array, compressed = false): FrameInit[] {
    return this.#data(type === "text" ? Opcode.Text : Opcode.Binary, payload, compressed);
  }

  #data(opcode: number, payload: Uint8Array, rsv1 = false, fin = true): FrameInit[] {
    const size = this.#fragmentSize;
    if (payload.length <= size) {
      const frame: FrameInit = rsv1 ? { opcode, payload, rsv1 } : { opcode, payload };
      if (!fin) frame.fin = false;
      return [frame];
    }
    const frames: FrameInit[] = [];
    for (let start = 0; start < payload.length; start += size) {
      const end = Math.min(start + size, payload.length);
      const frame: FrameInit = {
        opcode: start === 0 ? opcode : Opcode.Continuation,
        fin: fin && end === payload.length,
        payload: payload.subarray(start, end),
      };
      if (rsv1 && start === 0) frame.rsv1 = true;
      frames.push(frame);
    }
    return frames;
  }
}
