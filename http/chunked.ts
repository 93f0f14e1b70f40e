import { latin1Encode } from "./_http_syntax.ts";
import { HttpHeadError, HttpHeadErrorCode } from "../errors/http_head_error.ts";

const _CR = 0x0d;
const _LF = 0x0a;

/** Decoder states. */
const _SIZE = 0; // chunk-size hex digits
const _EXT = 1; // after the size: BWS and chunk extensions, up to CR
const _SIZE_LF = 2; // CR seen at the end of the size line
const _DATA = 3; // chunk data
const _DATA_CR = 4; // CRLF after the data
const _DATA_LF = 5;
const _TRAILER = 6; // trailer lines after the last chunk
const _TRAILER_LF = 7;
const _DONE = 8;

/** Most hex digits of a chunk size: 13 keeps every size a safe integer. */
const _MAX_SIZE_DIGITS = 13;

/** Default {@linkcode ChunkedDecoder} limit on a size line and on the trailer section. */
const _DEFAULT_MAX_LINE = 16 * 1024;

/**
 * Decodes a chunked body fed in pieces: data comes out as views of the
 * input, extensions and trailers are checked for syntax and dropped.
 * Stops at the end of the body, so bytes after it (the next pipelined
 * request) are left to the caller. Errors are 400 `HttpHeadError`s; the
 * cases are the table in `http/chunked_test.ts`.
 *
 * @example
 * ```ts
 * import { ChunkedDecoder } from "@edgews/websocket/http";
 * import assert from "node:assert/strict";
 *
 * const decoder = new ChunkedDecoder();
 * const input = new TextEncoder().encode("5;x=1\r\nhello\r\n0\r\nT: 1\r\n\r\nGET /next");
 * const data: Uint8Array[] = [];
 * const used = decoder.decode(input, data);
 * assert.equal(new TextDecoder().decode(data[0]), "hello");
 * assert.ok(decoder.done);
 * assert.equal(new TextDecoder().decode(input.subarray(used)), "GET /next");
 * ```
 */
export class ChunkedDecoder {
  #state = _SIZE;
  /** Data bytes left in the current chunk. */
  #remaining = 0;
  #digits = 0;
  /** Bytes of the current size line or of the trailer section so far. */
  #lineBytes = 0;
  /** Bytes in the current trailer line (0 at its start). */
  #trailerLine = 0;
  readonly #maxLine: number;

  /**
   * Make a decoder.
   *
   * @param maxLine Longest chunk-size line (with extensions) and largest
   * trailer section, in bytes. @default {16384}
   */
  constructor(maxLine: number = _DEFAULT_MAX_LINE) {
    this.#maxLine = maxLine;
  }

  /** Whether the last chunk and the trailers have been read. */
  get done(): boolean {
    return this.#state === _DONE;
  }

  /**
   * Decode from `input`, pushing views of the data onto `data`.
   *
   * @param input The next bytes of the body.
   * @param data Receives the data, as views of `input`.
   * @returns How many bytes of `input` belong to the body: all of them,
   * unless the body ended inside `input`.
   * @throws {HttpHeadError} 400 for a malformed body.
   */
  decode(input: Uint8Array, data: Uint8Array[]): number {
    let i = 0;
    const n = input.length;
    while (i < n) {
      const state = this.#state;
      if (state === _DATA) {
        const take = Math.min(this.#remaining, n - i);
        data.push(input.subarray(i, i + take));
        i += take;
        this.#remaining -= take;
        if (this.#remaining === 0) this.#state = _DATA_CR;
        continue;
      }
      if (state === _DONE) return i;
      const byte = input[i++]!;
      if (++this.#lineBytes > this.#maxLine) {
        throw _bad(`the chunk-size line or trailer section is longer than ${this.#maxLine} bytes`);
      }
      switch (state) {
        case _SIZE: {
          const digit = _hexValue(byte);
          if (digit !== -1) {
            if (++this.#digits > _MAX_SIZE_DIGITS) throw _bad("the chunk size is too large");
            this.#remaining = this.#remaining * 16 + digit;
          } else if (this.#digits === 0) {
            throw _bad("a chunk size must start with a hex digit");
          } else if (byte === _CR) {
            this.#state = _SIZE_LF;
          } else if (byte === 0x3b || byte === 0x20 || byte === 0x09) { // ";", SP, HTAB
            this.#state = _EXT;
          } else {
            throw _bad("invalid character in the chunk size");
          }
          break;
        }
        case _EXT:
          if (byte === _CR) this.#state = _SIZE_LF;
          else if (byte === _LF || (byte < 0x20 && byte !== 0x09) || byte === 0x7f) {
            throw _bad("invalid character in a chunk extension");
          }
          break;
        case _SIZE_LF:
          if (byte !== _LF) throw _bad("the chunk-size line does not end in CRLF");
          this.#lineBytes = 0;
          this.#digits = 0;
          this.#state = this.#remaining === 0 ? _TRAILER : _DATA;
          break;
        case _DATA_CR:
          if (byte !== _CR) throw _bad("chunk data is not followed by CRLF");
          this.#state = _DATA_LF;
          break;
        case _DATA_LF:
          if (byte !== _LF) throw _bad("chunk data is not followed by CRLF");
          this.#lineBytes = 0;
          this.#state = _SIZE;
          break;
        case _TRAILER:
          if (byte === _CR) this.#state = _TRAILER_LF;
          else if (byte === _LF || (byte < 0x20 && byte !== 0x09) || byte === 0x7f) {
            throw _bad("invalid character in a trailer field");
          } else this.#trailerLine++;
          break;
        case _TRAILER_LF:
          if (byte !== _LF) throw _bad("a trailer line does not end in CRLF");
          if (this.#trailerLine === 0) {
            this.#state = _DONE;
            return i;
          }
          this.#trailerLine = 0;
          this.#state = _TRAILER;
          break;
      }
    }
    return i;
  }
}

function _hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

function _bad(detail: string): HttpHeadError {
  return new HttpHeadError(400, HttpHeadErrorCode.Malformed, `Invalid chunked body: ${detail}`);
}

/**
 * The line that goes before a chunk of `size` bytes: its size in hex and
 * CRLF. The chunk is then followed by {@linkcode CRLF}.
 *
 * @param size The chunk's length, more than 0.
 * @returns The bytes of the size line.
 *
 * @example
 * ```ts
 * import { chunkHead } from "@edgews/websocket/http";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new TextDecoder().decode(chunkHead(255)), "ff\r\n");
 * ```
 */
export function chunkHead(size: number): Uint8Array {
  return latin1Encode(`${size.toString(16)}\r\n`);
}

/** The CRLF that ends a chunk's data. */
export const CRLF: Uint8Array = new Uint8Array([_CR, _LF]);

/** The last chunk and the empty trailer section that end a chunked body. */
export const LAST_CHUNK: Uint8Array = new Uint8Array([0x30, _CR, _LF, _CR, _LF]);
