/**
 * XOR of long payloads with WebAssembly SIMD, 16 bytes per instruction.
 *
 * JavaScript's best masking loop XORs one 32-bit word at a time and tops out
 * near 12 GB/s on this module's benchmark machine; the same work in
 * WebAssembly's 128-bit lanes runs at 25–28 GB/s even counting the copy into
 * and out of the module's memory (a `memcpy`, several times faster than the
 * XOR). Below a few kilobytes the copies and the call cost more than they
 * save, so {@linkcode mask} only comes here for long payloads.
 *
 * The module is 188 bytes, assembled from this text (`wat2wasm --enable-simd`):
 *
 * ```wat
 * (module
 *   (memory (export "m") 1)
 *   ;; XOR bytes [0, len) with the 4-byte key word; len is a multiple of 16.
 *   (func (export "x") (param $len i32) (param $key i32)
 *     (local $i i32) (local $k v128) (local $end4 i32)
 *     (local.set $k (i32x4.splat (local.get $key)))
 *     (local.set $end4 (i32.and (local.get $len) (i32.const -64)))
 *     (block $done4
 *       (loop $l4
 *         (br_if $done4 (i32.ge_u (local.get $i) (local.get $end4)))
 *         (v128.store offset=0 (local.get $i)
 *           (v128.xor (v128.load offset=0 (local.get $i)) (local.get $k)))
 *         (v128.store offset=16 (local.get $i)
 *           (v128.xor (v128.load offset=16 (local.get $i)) (local.get $k)))
 *         (v128.store offset=32 (local.get $i)
 *           (v128.xor (v128.load offset=32 (local.get $i)) (local.get $k)))
 *         (v128.store offset=48 (local.get $i)
 *           (v128.xor (v128.load offset=48 (local.get $i)) (local.get $k)))
 *         (local.set $i (i32.add (local.get $i) (i32.const 64)))
 *         (br $l4)))
 *     (block $done
 *       (loop $l
 *         (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
 *         (v128.store (local.get $i)
 *           (v128.xor (v128.load (local.get $i)) (local.get $k)))
 *         (local.set $i (i32.add (local.get $i) (i32.const 16)))
 *         (br $l)))))
 * ```
 *
 * Runtimes that forbid compiling WebAssembly from bytes (Cloudflare Workers,
 * pages under a strict Content-Security-Policy) or lack SIMD make
 * {@linkcode _simdXor} return `undefined`, and masking stays in JavaScript.
 * Not exported from `mod.ts`.
 *
 * @module
 */

// deno-fmt-ignore
const _MODULE = [
  0, 97, 115, 109, 1, 0, 0, 0, 1, 6, 1, 96, 2, 127, 127, 0, 3, 2, 1, 0,
  5, 3, 1, 0, 1, 7, 9, 2, 1, 109, 2, 0, 1, 120, 0, 0, 10, 149, 1, 1,
  146, 1, 3, 1, 127, 1, 123, 1, 127, 32, 1, 253, 17, 33, 3, 32, 0, 65, 64, 113,
  33, 4, 2, 64, 3, 64, 32, 2, 32, 4, 79, 13, 1, 32, 2, 32, 2, 253, 0, 4,
  0, 32, 3, 253, 81, 253, 11, 4, 0, 32, 2, 32, 2, 253, 0, 4, 16, 32, 3, 253,
  81, 253, 11, 4, 16, 32, 2, 32, 2, 253, 0, 4, 32, 32, 3, 253, 81, 253, 11, 4,
  32, 32, 2, 32, 2, 253, 0, 4, 48, 32, 3, 253, 81, 253, 11, 4, 48, 32, 2, 65,
  192, 0, 106, 33, 2, 12, 0, 11, 11, 2, 64, 3, 64, 32, 2, 32, 0, 79, 13, 1,
  32, 2, 32, 2, 253, 0, 4, 0, 32, 3, 253, 81, 253, 11, 4, 0, 32, 2, 65, 16,
  106, 33, 2, 12, 0, 11, 11, 11,
];

/** The module's memory: one 64 KiB page, never grown. */
const _PAGE = 64 * 1024;

/**
 * A SIMD XOR engine: copy up to {@linkcode _SimdXor.capacity} bytes into
 * `memory`, call `xor(length, word)` with a length that is a multiple of 16,
 * copy the result out.
 */
export interface _SimdXor {
  /** The module's memory. */
  readonly memory: Uint8Array;
  /** Bytes `memory` holds. */
  readonly capacity: number;
  /** XOR `memory[0..length)` with `word` repeated (little-endian). */
  readonly xor: (length: number, word: number) => void;
}

let _engine: _SimdXor | null | undefined;

/**
 * The engine, compiled on first use; `undefined` where the runtime cannot
 * compile it (then every call answers at once).
 *
 * @returns The engine, or `undefined`.
 */
export function _simdXor(): _SimdXor | undefined {
  if (_engine === undefined) _engine = _compile();
  return _engine ?? undefined;
}

function _compile(): _SimdXor | null {
  try {
    if (typeof WebAssembly !== "object") return null;
    const module = new WebAssembly.Module(new Uint8Array(_MODULE));
    const { exports } = new WebAssembly.Instance(module, {});
    const memory = new Uint8Array((exports.m as WebAssembly.Memory).buffer, 0, _PAGE);
    const xor = exports.x as (length: number, word: number) => void;
    // Check the engine once against the definition before trusting it.
    memory.fill(0x5a, 0, 32);
    xor(32, 0x04030201);
    for (let i = 0; i < 32; i++) {
      if (memory[i] !== (0x5a ^ ((i & 3) + 1))) return null;
    }
    return { memory, capacity: _PAGE, xor };
  } catch {
    // No WebAssembly, no SIMD, or code generation disallowed by the embedder.
    return null;
  }
}
