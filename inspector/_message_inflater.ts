/**
 * Inflates permessage-deflate messages (RFC 7692 §7.2.2) for the inspector,
 * with `node:zlib`: append `00 00 ff ff` to the message, raw-inflate it with
 * a sync flush, and keep one inflate stream across messages unless the
 * sender resets its context after each one.
 *
 * @module
 */

import { constants, createInflateRaw, type InflateRaw } from "node:zlib";
import { CloseCode } from "../frames/close_code.ts";
import { WebSocketError } from "../frames/websocket_error.ts";

const _TAIL = new Uint8Array([0x00, 0x00, 0xff, 0xff]);

/** How the sender compressed. */
export interface _InflaterOptions {
  /** The sender resets its compressor after every message. */
  noContextTakeover: boolean;
  /** The sender's LZ77 window, 8 to 15. */
  windowBits: number;
  /** Largest inflated message; more fails with 1009. */
  maxSize: number;
}

/** One direction's inflate context. */
export class _MessageInflater {
  #options: _InflaterOptions;
  #stream: InflateRaw | undefined;
  #parts: Uint8Array[] = [];
  #size = 0;
  #onTooBig: (() => void) | undefined;

  constructor(options: _InflaterOptions) {
    this.#options = options;
  }

  /**
   * Inflate one message's payload (without the 4-byte tail the sender
   * removed).
   *
   * @throws {WebSocketError} 1007 for data that does not inflate, 1009 for
   * output over the size limit. The context is lost after a failure.
   */
  inflate(data: Uint8Array): Promise<Uint8Array> {
    if (this.#stream === undefined || this.#options.noContextTakeover) {
      this.#stream?.destroy();
      this.#stream = this.#open();
    }
    const stream = this.#stream;
    this.#parts = [];
    this.#size = 0;
    return new Promise<Uint8Array>((resolve, reject) => {
      let settled = false;
      const settle = (error: WebSocketError | undefined) => {
        if (settled) return;
        settled = true;
        this.#onTooBig = undefined;
        if (error !== undefined) {
          // A stream that failed has lost its context: start over next time.
          stream.destroy();
          if (this.#stream === stream) this.#stream = undefined;
          reject(error);
          return;
        }
        const out = new Uint8Array(this.#size);
        let offset = 0;
        for (const part of this.#parts) {
          out.set(part, offset);
          offset += part.length;
        }
        this.#parts = [];
        resolve(out);
      };
      this.#onTooBig = () =>
        settle(
          new WebSocketError(
            CloseCode.MessageTooBig,
            `Message too big: inflates to more than ${this.#options.maxSize} bytes`,
          ),
        );
      stream.write(data);
      stream.write(_TAIL);
      stream.flush(constants.Z_SYNC_FLUSH, (error?: Error | null) => {
        settle(
          error
            ? new WebSocketError(
              CloseCode.InvalidPayload,
              `Invalid compressed message: ${error.message}`,
              { cause: error },
            )
            : undefined,
        );
      });
    });
  }

  /** Release the inflate stream. */
  close(): void {
    this.#stream?.destroy();
    this.#stream = undefined;
  }

  #open(): InflateRaw {
    const stream = createInflateRaw({ windowBits: this.#options.windowBits });
    stream.on("data", (chunk: Uint8Array) => {
      if (this.#onTooBig === undefined) return;
      this.#size += chunk.length;
      if (this.#size > this.#options.maxSize) this.#onTooBig();
      else this.#parts.push(chunk);
    });
    // Errors reach the flush callback; this keeps them from being unhandled.
    stream.on("error", () => {});
    return stream;
  }
}
