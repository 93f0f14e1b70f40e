/** Bytes fetched from `crypto.getRandomValues` per refill (1024 keys). */
const _POOL_SIZE = 4096;

/**
 * A source of 4-byte masking keys from `crypto.getRandomValues`, never
 * `Math.random`: a page must not be able to choose the bytes on the wire
 * and make a proxy read them as HTTP (RFC 6455 §10.3). Keys are cut from a
 * 4 KiB pool refilled in one call; a returned view is valid for the next
 * 1024 calls: copy it to keep it longer.

 *
 * @example
 * ```ts
 * import { MaskKeyGenerator } from "@edgews/websocket/masking";
 * import assert from "node:assert/strict";
 *
 * const keys = new MaskKeyGenerator();
 * const key = keys.next();
 * assert.equal(key.length, 4);
 * ```
 */
export class MaskKeyGenerator {
  #pool = new Uint8Array(_POOL_SIZE);
  #position = _POOL_SIZE;
  #random: (bytes: Uint8Array) => void;

  /**
   * Create a generator.
   *
   * @param random Fills its argument with random bytes. Defaults to
   * `crypto.getRandomValues`; tests may inject a fixed source.
   */
  constructor(random?: (bytes: Uint8Array) => void) {
    this.#random = random ?? ((bytes) => crypto.getRandomValues(bytes));
  }

  /**
   * Return a fresh 4-byte key.
   *
   * @returns A 4-byte view into the generator's pool.
   */
  next(): Uint8Array {
    if (this.#position === _POOL_SIZE) {
      this.#random(this.#pool);
      this.#position = 0;
    }
    const key = this.#pool.subarray(this.#position, this.#position + 4);
    this.#position += 4;
    return key;
  }

  /**
   * Write a fresh key into `target` at `offset` without allocating.
   *
   * @param target Where the 4 key bytes go.
   * @param offset Index of the first key byte in `target`.
   *
   * @example
   * ```ts
   * import { MaskKeyGenerator } from "@edgews/websocket/masking";
   * import assert from "node:assert/strict";
   *
   * const header = new Uint8Array(6);
   * new MaskKeyGenerator(() => {}).nextInto(header, 2);
   * assert.deepEqual([...header], [0, 0, 0, 0, 0, 0]);
   * ```
   */
  nextInto(target: Uint8Array, offset: number): void {
    if (this.#position === _POOL_SIZE) {
      this.#random(this.#pool);
      this.#position = 0;
    }
    const pool = this.#pool;
    const p = this.#position;
    target[offset] = pool[p]!;
    target[offset + 1] = pool[p + 1]!;
    target[offset + 2] = pool[p + 2]!;
    target[offset + 3] = pool[p + 3]!;
    this.#position = p + 4;
  }
}
