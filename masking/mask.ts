import { type _SimdXor, _simdXor } from "./_simd_xor.ts";

/** Payloads up to this many bytes take the plain byte loop. */
const _BYTE_LOOP_MAX = 32;
/**
 * Payloads from this many bytes go through WebAssembly SIMD when the runtime
 * can compile it (1.4× the word loop at 256 B, 1.8× at 1 KiB, 2.3× at 16 KiB;
 * below this the copies in and out cost about what they save).
 */
const _SIMD_MIN = 256;

/** True when the platform stores the low byte of a word first. */
const _LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Mask or unmask `data` in place with the 4-byte `key`.
 *
 * `offset` is the position of `data[0]` inside the whole payload, so that a
 * payload split over chunks can be processed chunk by chunk. The return value
 * is the offset for the next chunk.
 *
 * Long payloads go a 32-bit word at a time (as in fastwebsockets), and from
 * 256 bytes 16 at a time through WebAssembly SIMD where the runtime allows
 * it; `masking/mask_test.ts` covers every length, alignment and key phase.

 *
 * @param data Bytes to mask or unmask; changed in place.
 * @param key The masking key: its first 4 bytes are used.
 * @param offset Position of `data[0]` inside the payload.
 * @returns `offset + data.length`, the offset of the next chunk.
 *
 * @example Unmask the "Hello" frame of RFC 6455 §5.7
 * ```ts
 * import { mask } from "@edgews/websocket/masking";
 * import assert from "node:assert/strict";
 *
 * const key = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);
 * const payload = new Uint8Array([0x7f, 0x9f, 0x4d, 0x51, 0x58]);
 * mask(payload, key);
 * assert.equal(new TextDecoder().decode(payload), "Hello");
 * ```
 *
 * @example Unmask a payload that arrives in two chunks
 * ```ts
 * import { mask } from "@edgews/websocket/masking";
 * import assert from "node:assert/strict";
 *
 * const key = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);
 * const first = new Uint8Array([0x7f, 0x9f]);
 * const second = new Uint8Array([0x4d, 0x51, 0x58]);
 * const next = mask(first, key);
 * mask(second, key, next);
 * assert.equal(new TextDecoder().decode(second), "llo");
 * ```
 */
export function mask(data: Uint8Array, key: Uint8Array, offset = 0): number {
  const length = data.length;
  if (length <= _BYTE_LOOP_MAX) {
    _maskBytes(data, 0, length, key, offset);
    return offset + length;
  }
  if (length >= _SIMD_MIN) {
    const engine = _simdXor();
    if (engine !== undefined) return _maskSimd(engine, data, data, key, offset);
  }
  // Unaligned head: bytes until data.byteOffset + i is a multiple of 4.
  const head = (4 - (data.byteOffset & 3)) & 3;
  _maskBytes(data, 0, head, key, offset);
  // The key byte that lines up with the first aligned byte.
  const phase = (offset + head) & 3;
  const r0 = key[phase]!,
    r1 = key[(phase + 1) & 3]!,
    r2 = key[(phase + 2) & 3]!,
    r3 = key[(phase + 3) & 3]!;
  const word = _LITTLE_ENDIAN
    ? (r0 | (r1 << 8) | (r2 << 16) | (r3 << 24))
    : ((r0 << 24) | (r1 << 16) | (r2 << 8) | r3);
  const words = (length - head) >>> 2;
  const view = _wordView(data.buffer);
  let i = (data.byteOffset + head) >>> 2;
  const end = i + words;
  const unrolledEnd = end - 7;
  for (; i < unrolledEnd; i += 8) {
    view[i] = view[i]! ^ word;
    view[i + 1] = view[i + 1]! ^ word;
    view[i + 2] = view[i + 2]! ^ word;
    view[i + 3] = view[i + 3]! ^ word;
    view[i + 4] = view[i + 4]! ^ word;
    view[i + 5] = view[i + 5]! ^ word;
    view[i + 6] = view[i + 6]! ^ word;
    view[i + 7] = view[i + 7]! ^ word;
  }
  for (; i < end; i++) view[i] = view[i]! ^ word;
  _maskBytes(data, head + (words << 2), length, key, offset);
  return offset + length;
}

/**
 * Copy `source` into the start of `target`, masked with the 4-byte `key`;
 * `source` is left as it was. The same result as `target.set(source)`
 * followed by {@linkcode mask}, with one pass over the bytes fewer for long
 * payloads: what a client does with every frame it sends.
 *
 * @param source The bytes to mask; not modified.
 * @param target Where the masked bytes go; at least `source.length` long.
 * May be `source` itself.
 * @param key The masking key: its first 4 bytes are used.
 * @param offset Position of `source[0]` inside the payload.
 * @returns `offset + source.length`, the offset of the next chunk.
 *
 * @example Mask a payload into a frame buffer after its header
 * ```ts
 * import { mask, maskInto } from "@edgews/websocket/masking";
 * import assert from "node:assert/strict";
 *
 * const key = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);
 * const payload = new TextEncoder().encode("Hello");
 * const frame = new Uint8Array(6 + payload.length);
 * maskInto(payload, frame.subarray(6), key);
 * assert.deepEqual([...frame.subarray(6)], [0x7f, 0x9f, 0x4d, 0x51, 0x58]);
 * mask(frame.subarray(6), key);
 * assert.equal(new TextDecoder().decode(frame.subarray(6)), "Hello");
 * ```
 */
export function maskInto(
  source: Uint8Array,
  target: Uint8Array,
  key: Uint8Array,
  offset = 0,
): number {
  const length = source.length;
  if (target.length < length) {
    throw new RangeError(
      `maskInto: the target holds ${target.length} bytes, the source has ${length}`,
    );
  }
  if (length >= _SIMD_MIN) {
    const engine = _simdXor();
    if (engine !== undefined) return _maskSimd(engine, source, target, key, offset);
  }
  if (target !== source) target.set(source);
  return mask(target.length === length ? target : target.subarray(0, length), key, offset);
}

/**
 * Mask `source` into `target` through the SIMD engine, a 64 KiB page at a
 * time (a multiple of 4, so the key phase carries over from page to page).
 * The engine XORs whole 16-byte lanes: bytes past the end of a short page
 * are XORed too, in the engine's own memory, and never copied out.
 */
function _maskSimd(
  engine: _SimdXor,
  source: Uint8Array,
  target: Uint8Array,
  key: Uint8Array,
  offset: number,
): number {
  const length = source.length;
  const phase = offset & 3;
  // WebAssembly memory is little-endian on every platform.
  const word = key[phase]! | (key[(phase + 1) & 3]! << 8) |
    (key[(phase + 2) & 3]! << 16) | (key[(phase + 3) & 3]! << 24);
  const { memory, capacity, xor } = engine;
  if (length <= capacity) {
    memory.set(source);
    xor((length + 15) & ~15, word);
    target.set(_memoryView(memory, length));
    return offset + length;
  }
  for (let at = 0; at < length; at += capacity) {
    const n = Math.min(capacity, length - at);
    memory.set(source.subarray(at, at + n));
    xor((n + 15) & ~15, word);
    target.set(_memoryView(memory, n), at);
  }
  return offset + length;
}

let _lastMemoryView: Uint8Array = new Uint8Array(0);

/**
 * The first `length` bytes of the engine's memory. Making the view costs
 * about as much as masking 200 bytes, and a connection tends to send and
 * receive the same sizes again and again, so the last one is kept.
 */
function _memoryView(memory: Uint8Array, length: number): Uint8Array {
  if (_lastMemoryView.length !== length || _lastMemoryView.buffer !== memory.buffer) {
    _lastMemoryView = memory.subarray(0, length);
  }
  return _lastMemoryView;
}

/** The buffer behind the last word view, reused while callers stay on it. */
let _lastBuffer: ArrayBufferLike | undefined;
let _lastView: Int32Array<ArrayBufferLike> = new Int32Array(0);

/**
 * A 32-bit view over the whole of `buffer`. Creating a typed array costs more
 * than masking a kilobyte, and a connection masks into the same buffer again
 * and again, so the view of the last buffer is kept.
 */
function _wordView(buffer: ArrayBufferLike): Int32Array<ArrayBufferLike> {
  if (buffer !== _lastBuffer || _lastView.length !== buffer.byteLength >>> 2) {
    _lastBuffer = buffer;
    _lastView = new Int32Array(buffer, 0, buffer.byteLength >>> 2);
  }
  return _lastView;
}

/** XOR `data[from..to)` byte by byte; `offset` is the payload position of `data[0]`. */
function _maskBytes(
  data: Uint8Array,
  from: number,
  to: number,
  key: Uint8Array,
  offset: number,
): void {
  const phase = (offset + from) & 3;
  const k0 = key[phase]!,
    k1 = key[(phase + 1) & 3]!,
    k2 = key[(phase + 2) & 3]!,
    k3 = key[(phase + 3) & 3]!;
  let i = from;
  for (; i + 3 < to; i += 4) {
    data[i] = data[i]! ^ k0;
    data[i + 1] = data[i + 1]! ^ k1;
    data[i + 2] = data[i + 2]! ^ k2;
    data[i + 3] = data[i + 3]! ^ k3;
  }
  if (i < to) data[i] = data[i]! ^ k0;
  if (i + 1 < to) data[i + 1] = data[i + 1]! ^ k1;
  if (i + 2 < to) data[i + 2] = data[i + 2]! ^ k2;
}
