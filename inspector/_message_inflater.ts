/**
 * Inflates permessage-deflate messages (RFC 7692 §7.2.2) for the inspector,
 * with `node:zlib`: append `00 00 ff ff` to the message and raw-inflate it.
 *
 * Every message's DEFLATE data starts at a block boundary (§7.2.1 ends each
 * one with an empty stored block, or a final block, §7.2.3.4), so the only
 * state context takeover carries from message to message is the LZ77
 * window: the last 2^windowBits bytes inflated. This inflater keeps that
 * window and loads it in front of each message as a stored block, then
 * inflates in one synchronous call. That needs no streaming zlib object
 * (whose errors Deno reports after the flush that caused them) and no
 * preset dictionary (which Deno's raw inflate ignores), and it reads a
 * message after one that ended in a final block on the same window, as
 * §7.2.2 asks.
 *
 * @module
 */

import { CloseCode } from "../errors/close_code.ts";
import { WebSocketError } from "../errors/websocket_error.ts";

const _TAIL = [0x00, 0x00, 0xff, 0xff];

/** The part of `node:zlib` used here. */
interface _Zlib {
  constants: { Z_SYNC_FLUSH: number };
  inflateRawSync(
    input: Uint8Array,
    options: { windowBits: number; finishFlush: number; maxOutputLength: number },
  ): Uint8Array;
}

/**
 * `node:zlib`, reached when first needed rather than imported: `mod.ts`
 * re-exports the inspector, and must load where `node:zlib` does not exist
 * (browsers, Workers without `nodejs_compat`).
 */
function _zlib(): _Zlib {
  const process = (globalThis as {
    process?: { getBuiltinModule?: (id: string) => unknown };
  }).process;
  const zlib = process?.getBuiltinModule?.("node:zlib") as _Zlib | undefined;
  if (zlib === undefined) {
    throw new TypeError("Cannot inflate: this runtime has no node:zlib");
  }
  return zlib;
}
/** The largest output asked of zlib in one call. */
const _MAX_OUTPUT = 2 ** 30;

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
   * output over the size limit.
   */
  inflate(data: Uint8Array): Uint8Array {
    // No data at all: an empty message, as this module's receiver reads it
    // (the tail alone would leave an inflater inside a stored block's header).
    if (data.length === 0) return new Uint8Array(0);
    const { maxSize, windowBits, noContextTakeover } = this.#options;
    const window = noContextTakeover ? new Uint8Array(0) : this.#window;
    const input = new Uint8Array(
      (window.length > 0 ? 5 + window.length : 0) + data.length + _TAIL.length,
    );
    let at = 0;
    if (window.length > 0) {
      // A non-final stored block (BFINAL 0, BTYPE 00, padded to the byte).
      const length = window.length;
      input.set([0x00, length & 0xff, length >>> 8, ~length & 0xff, (~length >>> 8) & 0xff]);
      input.set(window, 5);
      at = 5 + length;
    }
    input.set(data, at);
    input.set(_TAIL, at + data.length);
    const zlib = _zlib();
    let output: Uint8Array;
    try {
      output = zlib.inflateRawSync(input, {
        windowBits,
        finishFlush: zlib.constants.Z_SYNC_FLUSH,
        maxOutputLength: Math.min(window.length + maxSize + 1, _MAX_OUTPUT),
      });
    } catch (error) {
      if (error instanceof RangeError) {
        throw new WebSocketError(
          CloseCode.MessageTooBig,
          `Message too big: inflates to more than ${maxSize} bytes`,
          { cause: error },
        );
      }
      throw new WebSocketError(
        CloseCode.InvalidPayload,
        `Invalid compressed message: ${(error as Error).message}`,
        { cause: error },
      );
    }
    if (output.length - window.length > maxSize) {
      throw new WebSocketError(
        CloseCode.MessageTooBig,
        `Message too big: inflates to more than ${maxSize} bytes`,
      );
    }
    if (!noContextTakeover) {
      this.#window = output.slice(Math.max(0, output.length - (1 << windowBits)));
    }
    return new Uint8Array(
      output.buffer,
      output.byteOffset + window.length,
      output.length - window.length,
    );
  }

  /** Drop the window. */
  close(): void {
    this.#window = new Uint8Array(0);
  }
}
