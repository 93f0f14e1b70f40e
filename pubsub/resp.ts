import { concatBytes } from "../http/_bytes.ts";

/**
 * A decoded reply: a simple string as a string, an integer as a number, a
 * bulk string as bytes (`null` for the null bulk string), an array as an
 * array (`null` for the null array), an error reply as a `RedisError`.
 */
export type RespValue = string | number | Uint8Array | null | RedisError | RespValue[];

/**
 * An error reply from Redis (`-ERR ...`), as a value: the reply to one
 * command, not a broken connection.
 *
 * @example
 * ```ts
 * import { RedisError } from "@edgews/websocket/pubsub";
 * import assert from "node:assert/strict";
 *
 * const error = new RedisError("NOSCRIPT No matching script");
 * assert.equal(error.code, "NOSCRIPT");
 * ```
 */
export class RedisError extends Error {
  /** The first word of the message, such as `ERR`, `WRONGTYPE` or `NOSCRIPT`. */
  readonly code: string;

  /**
   * Make the error of a reply.
   *
   * @param message The reply's text, after the `-`.
   */
  constructor(message: string) {
    super(message);
    this.name = "RedisError";
    this.code = /^\S+/.exec(message)?.[0] ?? "";
  }
}

const _encoder = new TextEncoder();
const _decoder = new TextDecoder();

/**
 * Encode a command as RESP: an array of bulk strings (what every Redis
 * command is). Strings go as UTF-8, numbers in decimal, bytes as they are.
 *
 * @param args The command name and its arguments.
 * @returns The bytes to write.
 *
 * @example
 * ```ts
 * import { encodeCommand } from "@edgews/websocket/pubsub";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeCommand(["SET", "key", new Uint8Array([0xff]), 42]);
 * assert.equal(
 *   new TextDecoder().decode(bytes.subarray(0, 26)),
 *   "*4\r\n$3\r\nSET\r\n$3\r\nkey\r\n$1\r\n",
 * );
 * assert.equal(bytes[26], 0xff);
 * ```
 */
export function encodeCommand(args: readonly (string | number | Uint8Array)[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let head = `*${args.length}\r\n`;
  for (const arg of args) {
    const bytes = arg instanceof Uint8Array ? arg : _encoder.encode(String(arg));
    head += `$${bytes.length}\r\n`;
    if (bytes.length > 0 || arg instanceof Uint8Array) {
      parts.push(_encoder.encode(head), bytes);
      head = "\r\n";
    } else head += "\r\n";
  }
  parts.push(_encoder.encode(head));
  return concatBytes(parts);
}

/** The defaults of {@linkcode RespDecoderOptions}. */
export const RESP_DECODER_DEFAULTS: {
  readonly maxBulkLength: number;
  readonly maxArrayLength: number;
  readonly maxDepth: number;
  readonly maxLineLength: number;
} = Object.freeze({
  maxBulkLength: 64 * 1024 * 1024,
  maxArrayLength: 1024 * 1024,
  maxDepth: 16,
  maxLineLength: 64 * 1024,
});

/**
 * Limits of a {@linkcode RespDecoder}: a peer that is not Redis (or a
 * broken one) cannot make it buffer without bound.
 */
export interface RespDecoderOptions {
  /** Largest bulk string, in bytes. @default {67108864} */
  maxBulkLength?: number | undefined;
  /** Most elements of one array. @default {1048576} */
  maxArrayLength?: number | undefined;
  /** Deepest nesting of arrays. @default {16} */
  maxDepth?: number | undefined;
  /** Longest line (a simple string, an error, a length). @default {65536} */
  maxLineLength?: number | undefined;
}

/**
 * Decodes RESP2 replies incrementally: feed bytes as they arrive, in any
 * split, and take the replies completed so far. Malformed input throws a
 * `TypeError`, after which the connection is unusable (the caller drops it).
 *
 * @example
 * ```ts
 * import { RedisError, RespDecoder } from "@edgews/websocket/pubsub";
 * import assert from "node:assert/strict";
 *
 * const decoder = new RespDecoder();
 * const bytes = new TextEncoder().encode("+OK\r\n:7\r\n*2\r\n$2\r\nhi\r\n$-1\r\n-ERR no\r\n");
 * const values = [];
 * for (const byte of bytes) values.push(...decoder.write(new Uint8Array([byte])));
 * assert.deepEqual(values.slice(0, 3), ["OK", 7, [new TextEncoder().encode("hi"), null]]);
 * assert.ok(values[3] instanceof RedisError);
 * ```
 */
export class RespDecoder {
  #maxBulk: number;
  #maxArray: number;
  #maxDepth: number;
  #maxLine: number;
  /** The start of a line whose end has not arrived (at most `maxLineLength` bytes). */
  #partial: Uint8Array = _EMPTY;
  /** The bulk string being received, with its CRLF, and how much of it is there. */
  #bulk: Uint8Array | undefined;
  #bulkFilled = 0;
  /** Arrays being filled, innermost last. */
  #stack: { items: RespValue[]; remaining: number }[] = [];
  #failed = false;

  /**
   * Create a decoder.
   *
   * @param options Limits.
   */
  constructor(options: RespDecoderOptions = {}) {
    this.#maxBulk = options.maxBulkLength ?? RESP_DECODER_DEFAULTS.maxBulkLength;
    this.#maxArray = options.maxArrayLength ?? RESP_DECODER_DEFAULTS.maxArrayLength;
    this.#maxDepth = options.maxDepth ?? RESP_DECODER_DEFAULTS.maxDepth;
    this.#maxLine = options.maxLineLength ?? RESP_DECODER_DEFAULTS.maxLineLength;
  }

  /**
   * Feed bytes.
   *
   * @param chunk The next bytes from the connection (not kept: what is
   * needed later is copied).
   * @returns The replies completed by them, in order.
   * @throws {TypeError} For malformed input or a limit passed.
   */
  write(chunk: Uint8Array): RespValue[] {
    if (this.#failed) throw new TypeError("Invalid RESP: the decoder failed before");
    const out: RespValue[] = [];
    // A subclass (Node's Buffer) may slice without copying: read it as a plain view.
    let data = chunk.constructor === Uint8Array
      ? chunk
      : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.#partial.length > 0) {
      data = new Uint8Array(this.#partial.length + chunk.length);
      data.set(this.#partial);
      data.set(chunk, this.#partial.length);
      this.#partial = _EMPTY;
    }
    try {
      let pos = 0;
      while (pos < data.length) {
        const bulk = this.#bulk;
        if (bulk !== undefined) {
          const take = Math.min(bulk.length - this.#bulkFilled, data.length - pos);
          bulk.set(data.subarray(pos, pos + take), this.#bulkFilled);
          this.#bulkFilled += take;
          pos += take;
          if (this.#bulkFilled < bulk.length) break;
          this.#bulk = undefined;
          this.#complete(_checkCrlf(bulk, bulk.length - 2), out);
          continue;
        }
        const end = _findCrlf(data, pos);
        if (end === -1 || end - pos > this.#maxLine) {
          if (data.length - pos > this.#maxLine) this.#fail("line too long");
          this.#partial = data.slice(pos);
          break;
        }
        pos = this.#line(data, pos, end, out);
      }
    } catch (error) {
      this.#failed = true;
      throw error;
    }
    return out;
  }

  /** Decode the line `data[start..end)`; returns where reading goes on. */
  #line(data: Uint8Array, start: number, end: number, out: RespValue[]): number {
    const text = _decoder.decode(data.subarray(start + 1, end));
    const next = end + 2;
    switch (data[start]) {
      case 0x2b: // +
        this.#complete(text, out);
        return next;
      case 0x2d: // -
        this.#complete(new RedisError(text), out);
        return next;
      case 0x3a: // :
        this.#complete(this.#integer(text), out);
        return next;
      case 0x24: { // $
        const length = this.#integer(text);
        if (length === -1) {
          this.#complete(null, out);
          return next;
        }
        if (length < 0 || length > this.#maxBulk) this.#fail(`bulk length ${length}`);
        if (data.length - next >= length + 2) {
          this.#complete(_checkCrlf(data.slice(next, next + length + 2), length), out);
          return next + length + 2;
        }
        this.#bulk = new Uint8Array(length + 2);
        this.#bulkFilled = 0;
        return next;
      }
      case 0x2a: { // *
        const length = this.#integer(text);
        if (length === -1) this.#complete(null, out);
        else if (length < 0 || length > this.#maxArray) this.#fail(`array length ${length}`);
        else if (length === 0) this.#complete([], out);
        else if (this.#stack.length >= this.#maxDepth) this.#fail("arrays nested too deep");
        else this.#stack.push({ items: [], remaining: length });
        return next;
      }
      default:
        this.#fail(`unknown type byte 0x${(data[start] ?? 0).toString(16)}`);
    }
  }

  /** A value is complete: it fills the innermost array, or is a reply. */
  #complete(value: RespValue, out: RespValue[]): void {
    let done = value;
    while (this.#stack.length > 0) {
      const top = this.#stack[this.#stack.length - 1]!;
      top.items.push(done);
      if (--top.remaining > 0) return;
      this.#stack.pop();
      done = top.items;
    }
    out.push(done);
  }

  #integer(text: string): number {
    if (!/^-?[0-9]{1,18}$/.test(text)) this.#fail(`not an integer: ${JSON.stringify(text)}`);
    return Number(text);
  }

  #fail(why: string): never {
    throw new TypeError(`Invalid RESP: ${why}`);
  }
}

const _EMPTY = new Uint8Array(0);

/** `bytes` without its trailing CRLF (at `length`), which must be there. */
function _checkCrlf(bytes: Uint8Array, length: number): Uint8Array {
  if (bytes[length] !== 0x0d || bytes[length + 1] !== 0x0a) {
    throw new TypeError("Invalid RESP: bulk string not followed by CRLF");
  }
  return bytes.subarray(0, length);
}

function _findCrlf(bytes: Uint8Array, from: number): number {
  for (let i = from; i < bytes.length - 1; i++) {
    if (bytes[i] === 0x0d && bytes[i + 1] === 0x0a) return i;
  }
  return -1;
}
