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

/** A non-final stored DEFLATE block holding `bytes` (at most 65535). */
function _storedBlock(bytes: Uint8Array): Uint8Array {
  const length = bytes.length;
  const block = new Uint8Array(5 + length);
  block[0] = 0x00; // BFINAL 0, BTYPE 00, padded to the byte
  block[1] = length & 0xff;
  block[2] = length >>> 8;
  block[3] = ~length & 0xff;
  block[4] = (~length >>> 8) & 0xff;
  block.set(bytes, 5);
  return block;
}

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
  /** Bytes written to `#stream`: more than it consumed means its data ended. */
  #written = 0;
  #parts: Uint8Array[] = [];
  #size = 0;
  #onTooBig: (() => void) | undefined;
  /** The LZ77 window: the last 2^windowBits bytes inflated. */
  #window: Uint8Array = new Uint8Array(0);

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
  async inflate(data: Uint8Array): Promise<Uint8Array> {
    // No data at all: an empty message, as this module's receiver reads it
    // (the tail alone would leave the inflater inside a stored block's header).
    if (data.length === 0) return new Uint8Array(0);
    if (this.#stream === undefined || this.#options.noContextTakeover) {
      this.#stream?.destroy();
      this.#stream = this.#open();
      if (!this.#options.noContextTakeover && this.#window.length > 0) {
        // The previous message ended its DEFLATE data with a final block
        // (RFC 7692 §7.2.3.4): this one starts new DEFLATE data, still on
        // the same LZ77 window (§7.2.2). Load the window as a stored block.
        await this.#run(this.#stream, _storedBlock(this.#window), true);
      }
    }
    const output = await this.#run(this.#stream, data, false);
    if (!this.#options.noContextTakeover) this.#slide(output);
    return output;
  }

  /** Keep the last 2^windowBits bytes of what was inflated. */
  #slide(output: Uint8Array): void {
    const size = 1 << this.#options.windowBits;
    if (output.length >= size) {
      this.#window = output.slice(output.length - size);
      return;
    }
    const keep = Math.min(this.#window.length, size - output.length);
    const window = new Uint8Array(keep + output.length);
    window.set(this.#window.subarray(this.#window.length - keep));
    window.set(output, keep);
    this.#window = window;
  }

  /** Write `data` (and the tail, for a message), flush, and collect the output. */
  #run(stream: InflateRaw, data: Uint8Array, priming: boolean): Promise<Uint8Array> {
    this.#parts = [];
    this.#size = 0;
    return new Promise<Uint8Array>((resolve, reject) => {
      let settled = false;
      const settle = (error: WebSocketError | undefined) => {
        if (settled) return;
        settled = true;
        this.#onTooBig = undefined;
        if (error === undefined && stream.bytesWritten < this.#written) {
          // A final block ended the DEFLATE data (what follows it is
          // ignored): the next message starts a new stream.
          if (priming) {
            error = new WebSocketError(
              CloseCode.InternalError,
              "Cannot load the LZ77 window into a new inflate stream",
            );
          } else if (this.#stream === stream) {
            stream.destroy();
            this.#stream = undefined;
          }
        }
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
      // While the window is loaded, the output is not collected.
      this.#onTooBig = priming ? undefined : () =>
        settle(
          new WebSocketError(
            CloseCode.MessageTooBig,
            `Message too big: inflates to more than ${this.#options.maxSize} bytes`,
          ),
        );
      this.#written += data.length + (priming ? 0 : _TAIL.length);
      stream.write(data);
      if (!priming) stream.write(_TAIL);
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
    this.#written = 0;
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
