import { CloseCode } from "../errors/close_code.ts";
import { WebSocketError } from "../errors/websocket_error.ts";
import { type _Zlib, _zlib, type _ZlibContext } from "./_zlib.ts";

/** The defaults of {@linkcode DeflaterOptions} (and `windowBits` of {@linkcode InflaterOptions}). */
export const DEFLATE_DEFAULTS: {
  readonly windowBits: number;
  readonly level: number;
  readonly memLevel: number;
} = Object.freeze({ windowBits: 15, level: 6, memLevel: 8 });

/**
 * Options for {@linkcode MessageDeflater}.
 */
export interface DeflaterOptions {
  /** LZ77 window as a power of two, 8–15 (the negotiated `*_max_window_bits`). @default {15} */
  windowBits?: number | undefined;
  /** zlib compression level, 0 (store) to 9 (smallest). @default {6} */
  level?: number | undefined;
  /**
   * zlib memory level, 1–9: memory for the match finder, `2^(memLevel + 9)`
   * bytes. Lower saves memory per connection and compresses a little worse.
   * @default {8}
   */
  memLevel?: number | undefined;
  /**
   * Start every message with an empty window (`*_no_context_takeover`).
   * Then the connection holds no zlib state between messages: one
   * compressor per process and setting is shared by all connections.
   * @default {false}
   */
  noContextTakeover?: boolean | undefined;
}

/**
 * Options for {@linkcode MessageInflater}.
 */
export interface InflaterOptions {
  /** The peer's LZ77 window as a power of two, 8–15. @default {15} */
  windowBits?: number | undefined;
  /**
   * The peer starts every message with an empty window: no state is kept
   * between messages (a decompressor shared by all connections is used).
   * @default {false}
   */
  noContextTakeover?: boolean | undefined;
}

/** The 4 octets a sync flush ends with, removed by the sender (RFC 7692 §7.2.1). */
const _TAIL = new Uint8Array([0x00, 0x00, 0xff, 0xff]);
/** Output buffer for the common case; results are copied out of it. */
const _SCRATCH_SIZE = 64 * 1024;
let _scratch: Uint8Array | undefined;
/** Contexts shared by every codec without context takeover, by setting. */
const _shared = new Map<string, _ZlibContext>();
/**
 * Reset contexts of closed codecs, by setting, for the next codec to take.
 * Freeing them gives nothing back: glibc keeps zlib's 64 KiB chunks (after
 * 2,000 closed connections the process kept ~600 MiB either way), and the
 * next wave grew it further (+210 MiB, then +80); reused, they serve it.
 */
const _idle = new Map<string, _ZlibContext[]>();
let _idleCount = 0;
/**
 * The most reset contexts kept for reuse; past it they are freed. 4096
 * deflate streams at the defaults are 1 GiB: the peak a server had, not more.
 */
const _IDLE_MAX = 4096;

/** A reset context of `key` from a closed codec, or a new one. */
function _take(key: string, create: () => _ZlibContext): _ZlibContext {
  const context = _idle.get(key)?.pop();
  if (context === undefined) return create();
  _idleCount--;
  return context;
}

/** Keep `context` (no longer used by its codec) for reuse, or free it. */
function _give(key: string, context: _ZlibContext): void {
  if (_idleCount >= _IDLE_MAX) {
    context.handle.close();
    return;
  }
  context.handle.reset();
  context.error = undefined;
  let list = _idle.get(key);
  if (list === undefined) _idle.set(key, list = []);
  list.push(context);
  _idleCount++;
}

function _requireZlib(what: string): _Zlib {
  const zlib = _zlib();
  if (zlib === undefined) {
    throw new TypeError(
      `Cannot create a ${what}: this runtime has no synchronous node:zlib (use PerMessageDeflate, which falls back to CompressionStream)`,
    );
  }
  return zlib;
}

function _checkRange(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`Invalid ${name}: ${value} is not an integer from ${min} to ${max}`);
  }
  return value;
}

function _scratchBuffer(): Uint8Array {
  return _scratch ??= new Uint8Array(_SCRATCH_SIZE);
}

/**
 * Copy `length` bytes out of `buffer`, or hand out a view when the buffer is
 * ours alone and mostly used.
 */
function _result(buffer: Uint8Array, length: number): Uint8Array {
  if (buffer === _scratch || length < buffer.length >>> 1) return buffer.slice(0, length);
  return buffer.subarray(0, length);
}

/**
 * Compresses one direction's messages as RFC 7692 §7.2.1 says: DEFLATE
 * with a sync flush, the trailing `00 00 ff ff` removed, the window kept
 * across messages unless `noContextTakeover`. The zlib stream (256 KiB at
 * the defaults) is taken on the first message and kept, reset, for reuse
 * after {@linkcode MessageDeflater.close}. Synchronous: needs `node:zlib`
 * (a `TypeError` without it).
 *
 * @example
 * ```ts
 * import { MessageDeflater, MessageInflater } from "@edgews/websocket/compression";
 * import assert from "node:assert/strict";
 *
 * const deflater = new MessageDeflater();
 * const inflater = new MessageInflater();
 * const json = new TextEncoder().encode(JSON.stringify({ type: "update", id: 1, items: [1, 2, 3] }));
 * const first = deflater.deflate(json);
 * const second = deflater.deflate(json); // refers back to the first message
 * assert.ok(second.length < first.length);
 * assert.deepEqual(inflater.inflate(first, 1024), json);
 * assert.deepEqual(inflater.inflate(second, 1024), json);
 * deflater.close();
 * inflater.close();
 * ```
 */
export class MessageDeflater {
  #zlib: _Zlib;
  #windowBits: number;
  #level: number;
  #memLevel: number;
  #noContextTakeover: boolean;
  #key: string;
  #own: _ZlibContext | undefined;
  #closed = false;

  /**
   * Create a compressor. No zlib memory is taken until the first message.
   *
   * @param options Window, level, memory and context takeover.
   * @throws {RangeError} For an option out of range.
   * @throws {TypeError} Where the runtime has no synchronous `node:zlib`.
   */
  constructor(options: DeflaterOptions = {}) {
    const windowBits = _checkRange(
      "windowBits",
      options.windowBits ?? DEFLATE_DEFAULTS.windowBits,
      8,
      15,
    );
    // zlib refuses an 8-bit window for raw deflate (Node maps it to 9). A
    // 9-bit zlib window never emits distances beyond 512 - 262 = 250 bytes
    // (MAX_DIST), so the output also fits a peer's 8-bit window.
    this.#windowBits = windowBits === 8 ? 9 : windowBits;
    this.#level = _checkRange("level", options.level ?? DEFLATE_DEFAULTS.level, 0, 9);
    this.#memLevel = _checkRange("memLevel", options.memLevel ?? DEFLATE_DEFAULTS.memLevel, 1, 9);
    this.#noContextTakeover = options.noContextTakeover ?? false;
    this.#key = `deflate/${this.#windowBits}/${this.#level}/${this.#memLevel}`;
    this.#zlib = _requireZlib("MessageDeflater");
  }

  /**
   * Compress one message.
   *
   * @param data The message payload (text as UTF-8).
   * @returns The compressed payload to send with RSV1 set, without the
   * `00 00 ff ff` tail.
   * @throws {TypeError} After {@linkcode MessageDeflater.close}.
   */
  deflate(data: Uint8Array): Uint8Array {
    const context = this.#context();
    const { handle, state } = context;
    const flush = this.#zlib.syncFlush;
    const guess = data.length + (data.length >>> 3) + 64;
    let output = guess <= _SCRATCH_SIZE ? _scratchBuffer() : new Uint8Array(guess);
    let written = 0;
    let inOffset = 0;
    let inLength = data.length;
    try {
      // Bounded: every round either ends or doubles the output space.
      while (true) {
        const room = output.length - written;
        handle.writeSync(flush, data, inOffset, inLength, output, written, room);
        if (context.error !== undefined) {
          throw new WebSocketError(
            CloseCode.InternalError,
            `Compression failed: zlib says ${context.error}`,
          );
        }
        written += room - state[0]!;
        inOffset += inLength - state[1]!;
        inLength = state[1]!;
        if (state[0] !== 0) break; // Room left: all input is in and flushed.
        const grown = new Uint8Array(output.length * 2);
        grown.set(output.subarray(0, written));
        output = grown;
      }
    } finally {
      context.error = undefined;
      if (this.#noContextTakeover) handle.reset();
    }
    // zlib writes nothing for an empty message right after a flush (a
    // repeated flush is "no progress"): send the empty stored block that an
    // empty message compresses to, minus its LEN/NLEN (RFC 7692 §7.2.3.6).
    if (written === 0) return new Uint8Array(1);
    // A sync flush always ends with an empty stored block; drop its LEN/NLEN.
    if (
      written >= 4 && output[written - 4] === 0x00 && output[written - 3] === 0x00 &&
      output[written - 2] === 0xff && output[written - 1] === 0xff
    ) {
      written -= 4;
    }
    return _result(output, written);
  }

  /**
   * Release the zlib stream (kept, reset, for the next codec of the same
   * settings). Further calls to `deflate` throw.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#own !== undefined) _give(this.#key, this.#own);
    this.#own = undefined;
  }

  #context(): _ZlibContext {
    if (this.#closed) throw new TypeError("Cannot compress: the MessageDeflater is closed");
    if (this.#own !== undefined) return this.#own;
    if (this.#noContextTakeover) {
      let shared = _shared.get(this.#key);
      if (shared === undefined) {
        shared = _take(
          this.#key,
          () => this.#zlib.deflate(this.#windowBits, this.#level, this.#memLevel),
        );
        _shared.set(this.#key, shared);
      }
      return shared;
    }
    return this.#own = _take(
      this.#key,
      () => this.#zlib.deflate(this.#windowBits, this.#level, this.#memLevel),
    );
  }
}

/** A message being inflated, between slices. */
interface _Inflation {
  payload: Uint8Array;
  maxSize: number;
  context: _ZlibContext;
  /** The context was taken out of the shared slot while the message is unfinished. */
  detached: boolean;
  output: Uint8Array;
  written: number;
  /** 0: reading the payload; 1: reading it again after a reset; 2: reading the tail. */
  stage: 0 | 1 | 2;
  /** How far into the current input (the payload or the tail) zlib has read. */
  inOffset: number;
  /** The DEFLATE stream ended inside the message (a final block). */
  ended: boolean;
}

/**
 * Decompresses one direction's messages as RFC 7692 §7.2.2 says: append
 * `00 00 ff ff` and inflate, keeping the window from message to message
 * unless the peer works without context takeover.
 *
 * Inflating stops the moment the output passes `maxSize` (1009), so a
 * deflate bomb costs at most `maxSize` bytes; invalid DEFLATE fails with
 * 1007. After a message that ends its DEFLATE stream (a final block) the
 * window restarts empty: zlib cannot carry it over.
 * {@linkcode MessageInflater.inflateSlice} inflates long messages in slices,
 * so that they do not hold the thread. The cases are in
 * `compression/deflate_codec_test.ts`. Synchronous: needs `node:zlib`.

 *
 * @example
 * ```ts
 * import { MessageInflater } from "@edgews/websocket/compression";
 * import assert from "node:assert/strict";
 *
 * const inflater = new MessageInflater();
 * // "Hello" compressed, as in RFC 7692 §7.2.3.1.
 * const hello = new Uint8Array([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
 * assert.equal(new TextDecoder().decode(inflater.inflate(hello, 1024)), "Hello");
 * assert.throws(() => inflater.inflate(hello, 4), { name: "WebSocketError", closeCode: 1009 });
 * inflater.close();
 * ```
 */
export class MessageInflater {
  #zlib: _Zlib;
  #windowBits: number;
  #noContextTakeover: boolean;
  #key: string;
  #own: _ZlibContext | undefined;
  #closed = false;
  /** The message being inflated in slices, until it is complete. */
  #job: _Inflation | undefined;

  /**
   * Create a decompressor. No zlib memory is taken until the first message.
   *
   * @param options The peer's window and context takeover.
   * @throws {RangeError} For a window out of range.
   * @throws {TypeError} Where the runtime has no synchronous `node:zlib`.
   */
  constructor(options: InflaterOptions = {}) {
    this.#windowBits = _checkRange(
      "windowBits",
      options.windowBits ?? DEFLATE_DEFAULTS.windowBits,
      8,
      15,
    );
    this.#noContextTakeover = options.noContextTakeover ?? false;
    this.#key = `inflate/${this.#windowBits}`;
    this.#zlib = _requireZlib("MessageInflater");
  }

  /** Whether a message is being inflated in slices (started, not complete). */
  get inflating(): boolean {
    return this.#job !== undefined;
  }

  /**
   * Decompress one message.
   *
   * @param payload The message's payload as received (RSV1 was set).
   * @param maxSize The largest decompressed size accepted.
   * @returns The decompressed bytes.
   * @throws {WebSocketError} 1009 as soon as the output passes `maxSize`;
   * 1007 for data that is not valid DEFLATE.
   * @throws {TypeError} After {@linkcode MessageInflater.close}, or while
   * another message is being inflated in slices.
   */
  inflate(payload: Uint8Array, maxSize: number): Uint8Array {
    return this.inflateSlice(payload, maxSize, Infinity)!;
  }

  /**
   * Decompress one message a slice at a time: each call produces at most
   * `budget` more bytes, and returns the message once it is complete, or
   * `undefined` while it is not: call again with the same `payload` to go
   * on. Between calls the thread is free for other work. Until the message
   * is complete, no other message can be inflated (the window is shared).
   *
   * @param payload The message's payload as received (RSV1 was set); the
   * same object on every call for the message.
   * @param maxSize The largest decompressed size accepted (the first
   * call's value holds for the whole message).
   * @param budget The most bytes to produce in this call, at least 1.
   * @returns The decompressed bytes, or `undefined` when there is more to do.
   * @throws {WebSocketError} 1009 as soon as the output passes `maxSize`;
   * 1007 for data that is not valid DEFLATE. The message is then abandoned.
   * @throws {TypeError} After {@linkcode MessageInflater.close}, or for
   * another payload while a message is unfinished.
   */
  inflateSlice(payload: Uint8Array, maxSize: number, budget: number): Uint8Array | undefined {
    let job = this.#job;
    if (job === undefined) {
      const context = this.#context();
      // No data at all: an empty message. Appending the tail alone would leave
      // the decompressor inside a stored block header.
      if (payload.length === 0) return new Uint8Array(0);
      job = {
        payload,
        maxSize,
        context,
        detached: false,
        output: _scratchBuffer(),
        written: 0,
        stage: 0,
        inOffset: 0,
        ended: false,
      };
    } else if (job.payload !== payload) {
      throw new TypeError("Cannot decompress: another message is being decompressed");
    }
    let done: boolean;
    try {
      done = this.#run(job, Math.max(1, budget));
    } catch (error) {
      this.#end(job, true);
      throw error;
    }
    if (done) {
      this.#end(job, false);
      return _result(job.output, job.written);
    }
    if (this.#job === undefined) this.#pause(job);
    return undefined;
  }

  /**
   * Release the zlib stream (kept, reset, for the next codec of the same
   * setting). Further calls to `inflate` throw.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const job = this.#job;
    if (job !== undefined) this.#end(job, true);
    if (this.#own !== undefined) _give(this.#key, this.#own);
    this.#own = undefined;
  }

  /**
   * Inflate until the message is complete (`true`) or `budget` more bytes
   * were produced (`false`).
   */
  #run(job: _Inflation, budget: number): boolean {
    const stopAt = job.written + budget;
    // Bounded: each round finishes an input, pauses, throws, or moves on a stage.
    while (true) {
      const status = this.#feed(job, job.stage === 2 ? _TAIL : job.payload, stopAt);
      if (status === "paused") return false;
      if (status === "stuck" && job.stage === 0) {
        // The previous message ended the DEFLATE stream exactly at its end
        // (a final block completed by the appended tail), which left zlib
        // finished: start a new stream and read this message again. The
        // window restarts empty, so a later reference into the old one fails
        // with 1007 instead of producing wrong bytes.
        job.context.handle.reset();
        job.stage = 1;
        job.written = 0;
        job.inOffset = 0;
        continue;
      }
      if (status === "stuck" && job.stage === 1) {
        throw new WebSocketError(
          CloseCode.InvalidPayload,
          "Invalid compressed message: the DEFLATE data makes no progress",
        );
      }
      if (job.stage === 2 || job.ended) return true;
      job.stage = 2;
      job.inOffset = 0;
    }
  }

  /**
   * Inflate `input` from `job.inOffset` into `job.output`, growing it up to
   * `maxSize + 1`, until the input is all in, or the output reaches `stopAt`.
   *
   * @returns `"stuck"` when zlib took none of a fresh input and produced
   * nothing (a finished stream), `"paused"` at `stopAt`, `"done"` otherwise.
   */
  #feed(job: _Inflation, input: Uint8Array, stopAt: number): "done" | "paused" | "stuck" {
    const context = job.context;
    const { handle, state } = context;
    const flush = this.#zlib.syncFlush;
    const maxSize = job.maxSize;
    // Bounded: every round consumes input, produces output, or stops.
    while (true) {
      let room = job.output.length - job.written;
      if (room === 0) {
        if (job.written > maxSize) _tooBig(maxSize);
        const size = Math.min(job.output.length * 2, maxSize + 1);
        const grown = new Uint8Array(size);
        grown.set(job.output.subarray(0, job.written));
        job.output = grown;
        room = size - job.written;
      }
      if (job.written >= stopAt) return "paused";
      room = Math.min(room, stopAt - job.written);
      const inLength = input.length - job.inOffset;
      handle.writeSync(flush, input, job.inOffset, inLength, job.output, job.written, room);
      const failure = context.error;
      context.error = undefined;
      const produced = room - state[0]!;
      const consumed = inLength - state[1]!;
      job.written += produced;
      // Past the limit is too big, whatever comes after it.
      if (job.written > maxSize) _tooBig(maxSize);
      if (failure !== undefined) {
        throw new WebSocketError(
          CloseCode.InvalidPayload,
          `Invalid compressed message: ${failure}`,
        );
      }
      if (
        produced === 0 && consumed === 0 && job.inOffset === 0 && inLength > 0 && job.written === 0
      ) return "stuck";
      job.inOffset += consumed;
      if (state[0] !== 0) {
        // Room left, so zlib took all the input it will: input left over
        // means the DEFLATE stream ended (a final block).
        if (job.inOffset < input.length) job.ended = true;
        return "done";
      }
      if (produced === 0 && consumed === 0) return "done";
    }
  }

  /**
   * Keep an unfinished message: its output leaves the shared scratch
   * buffer, and a shared context becomes the message's own until it ends
   * (other connections get another one meanwhile).
   */
  #pause(job: _Inflation): void {
    this.#job = job;
    if (job.output === _scratch) job.output = job.output.slice();
    if (this.#own === undefined && _shared.get(this.#key) === job.context) {
      _shared.delete(this.#key);
      job.detached = true;
    }
  }

  /** The message is complete or abandoned: reset as needed, give back a detached context. */
  #end(job: _Inflation, failed: boolean): void {
    this.#job = undefined;
    const context = job.context;
    context.error = undefined;
    if (failed || job.ended || this.#noContextTakeover) context.handle.reset();
    if (!job.detached) return;
    if (_shared.has(this.#key)) _give(this.#key, context);
    else _shared.set(this.#key, context);
  }

  #context(): _ZlibContext {
    if (this.#closed) throw new TypeError("Cannot decompress: the MessageInflater is closed");
    if (this.#own !== undefined) return this.#own;
    if (this.#noContextTakeover) {
      let shared = _shared.get(this.#key);
      if (shared === undefined) {
        shared = _take(this.#key, () => this.#zlib.inflate(this.#windowBits));
        _shared.set(this.#key, shared);
      }
      return shared;
    }
    return this.#own = _take(this.#key, () => this.#zlib.inflate(this.#windowBits));
  }
}

function _tooBig(maxSize: number): never {
  throw new WebSocketError(
    CloseCode.MessageTooBig,
    `Message too big: it inflates to more than ${maxSize} bytes, the limit is ${maxSize}`,
  );
}
