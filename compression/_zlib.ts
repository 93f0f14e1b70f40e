/**
 * The runtime's zlib, reached synchronously: `node:zlib` through
 * `process.getBuiltinModule` (Deno, Node ≥ 20.16, Bun, Cloudflare Workers
 * with `nodejs_compat`), driven through the stream's native handle
 * (`_handle.writeSync`), the call Node's own synchronous zlib functions are
 * built on. It keeps the compression context between calls, which no public
 * synchronous `node:zlib` function does (`deflateRawSync` starts a new
 * stream every time and costs ~40–130 µs per call), and it lets the caller
 * bound every call's output. Not exported from `mod.ts`.
 *
 * The handle is not a documented API, so it is probed once with a round
 * trip before use; where it is missing or misbehaves, {@linkcode _zlib}
 * returns `undefined` and callers fall back to `CompressionStream`.
 *
 * @module
 */

/** The native handle of a `node:zlib` stream (Node's `zlib_binding` shape). */
export interface _ZlibHandle {
  /**
   * Run deflate or inflate once over `input[inOff, inOff + inLen)` into
   * `output[outOff, outOff + outLen)`; the stream's `_writeState` then holds
   * `[availOutAfter, availInAfter]`.
   */
  writeSync(
    flush: number,
    input: Uint8Array,
    inOff: number,
    inLen: number,
    output: Uint8Array,
    outOff: number,
    outLen: number,
  ): void;
  /** `deflateReset`/`inflateReset`: forget the context, keep the memory. */
  reset(): void;
  /** Free the native memory. The handle must not be used afterwards. */
  close(): void;
  /** Called synchronously from `writeSync` when zlib reports an error. */
  onerror: ((message: string, errno: number) => void) | undefined;
}

/** A `node:zlib` `DeflateRaw`/`InflateRaw` stream, as far as it is used here. */
interface _ZlibStream {
  _handle: _ZlibHandle | null;
  _writeState: Uint32Array;
}

/** The part of `node:zlib` used here. */
interface _ZlibModule {
  createDeflateRaw(options: Record<string, number>): _ZlibStream;
  createInflateRaw(options: Record<string, number>): _ZlibStream;
  constants: { Z_SYNC_FLUSH: number };
}

/** One raw deflate or inflate stream: its handle, and where results appear. */
export interface _ZlibContext {
  handle: _ZlibHandle;
  /** `[availOutAfter, availInAfter]` of the last `writeSync`. */
  state: Uint32Array;
  /** The message of the last zlib error, set by `handle.onerror`; clear it after reading. */
  error: string | undefined;
}

/** What {@linkcode _zlib} finds. */
export interface _Zlib {
  /** `Z_SYNC_FLUSH`. */
  syncFlush: number;
  /** Create a raw deflate stream. */
  deflate(windowBits: number, level: number, memLevel: number): _ZlibContext;
  /** Create a raw inflate stream. */
  inflate(windowBits: number): _ZlibContext;
}

let _probed = false;
let _found: _Zlib | undefined;

/**
 * The runtime's zlib with a working synchronous handle, or `undefined`.
 * Probed on the first call, then remembered.
 */
export function _zlib(): _Zlib | undefined {
  if (!_probed) {
    _probed = true;
    try {
      _found = _probe(_load());
    } catch {
      _found = undefined;
    }
  }
  return _found;
}

function _load(): _ZlibModule | undefined {
  const process = (globalThis as {
    process?: { getBuiltinModule?: (id: string) => unknown };
  }).process;
  const module = process?.getBuiltinModule?.("node:zlib") as _ZlibModule | undefined;
  if (
    typeof module?.createDeflateRaw !== "function" ||
    typeof module.createInflateRaw !== "function" ||
    typeof module.constants?.Z_SYNC_FLUSH !== "number"
  ) {
    return undefined;
  }
  return module;
}

function _context(stream: _ZlibStream): _ZlibContext {
  const handle = stream._handle;
  const state = stream._writeState;
  if (
    handle === null || typeof handle !== "object" || typeof handle.writeSync !== "function" ||
    typeof handle.reset !== "function" || typeof handle.close !== "function" ||
    !(state instanceof Uint32Array) || state.length < 2
  ) {
    throw new TypeError("node:zlib has no synchronous handle");
  }
  const context: _ZlibContext = { handle, state, error: undefined };
  // Replaces the stream's own handler, which would emit an 'error' event
  // that nobody listens to (and crash Node).
  handle.onerror = (message) => {
    context.error = message;
  };
  return context;
}

/** Check the handle with a round trip that keeps context across two calls. */
function _probe(module: _ZlibModule | undefined): _Zlib | undefined {
  if (module === undefined) return undefined;
  const syncFlush = module.constants.Z_SYNC_FLUSH;
  const zlib: _Zlib = {
    syncFlush,
    deflate: (windowBits, level, memLevel) =>
      _context(module.createDeflateRaw({ windowBits, level, memLevel })),
    inflate: (windowBits) => _context(module.createInflateRaw({ windowBits })),
  };
  const deflate = zlib.deflate(15, 6, 8);
  const inflate = zlib.inflate(15);
  try {
    const text = new TextEncoder().encode("permessage-deflate probe, permessage-deflate probe");
    const compressed = new Uint8Array(256);
    const output = new Uint8Array(256);
    for (let round = 0; round < 2; round++) {
      deflate.handle.writeSync(syncFlush, text, 0, text.length, compressed, 0, 256);
      const size = 256 - deflate.state[0]!;
      if (deflate.error !== undefined || deflate.state[1] !== 0 || size < 4) return undefined;
      inflate.handle.writeSync(syncFlush, compressed, 0, size, output, 0, 256);
      const produced = 256 - inflate.state[0]!;
      if (inflate.error !== undefined || produced !== text.length) return undefined;
      for (let i = 0; i < text.length; i++) if (output[i] !== text[i]) return undefined;
      // The second round must be smaller: the context was kept.
      if (round === 1 && size >= 12) return undefined;
    }
    return zlib;
  } finally {
    deflate.handle.close();
    inflate.handle.close();
  }
}
