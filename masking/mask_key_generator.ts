/**
 * Fresh masking keys for client frames.
 *
 * RFC 6455 §5.3 asks for a new key per frame, drawn from a strong source of
 * entropy, so that a hostile page cannot choose the bytes that appear on the
 * wire and make a transparent proxy read them as HTTP ("cache poisoning",
 * §10.3). Keys therefore come from `crypto.getRandomValues`, never from
 * `Math.random`. Calling it for 4 bytes per frame would be slow, so keys are
 * cut from a pool that is refilled in one call.
 *
 * @module
 */

/** Bytes fetched from `crypto.getRandomValues` per refill (1024 keys). */
const _POOL_SIZE = 4096;

/**
 * A source of 4-byte masking keys.
 *
 * Each call to {@linkcode MaskKeyGenerator.next} returns a new key. The
 * returned view is only valid until the next 1024 calls: copy it if you keep
 * it longer.
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
