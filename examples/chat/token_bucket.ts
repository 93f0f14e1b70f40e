/**
 * A token bucket: the rate limit the chat demo applies to each client.
 *
 * @module
 */

/** Options for {@linkcode TokenBucket}. */
export interface TokenBucketOptions {
  /** Tokens when full: how many lines may come at once. */
  capacity: number;
  /** Tokens added per second: the sustained rate. */
  refillPerSecond: number;
  /** The clock, in milliseconds (tests inject one). @default {performance.now} */
  now?: (() => number) | undefined;
}

/**
 * Allows `capacity` events at once and `refillPerSecond` on average: each
 * event takes a token, tokens come back at a steady rate up to `capacity`.
 * It stores two numbers, whatever the traffic.
 *
 * @example
 * ```ts
 * import { TokenBucket } from "./token_bucket.ts";
 * import assert from "node:assert/strict";
 *
 * let now = 0;
 * const bucket = new TokenBucket({ capacity: 2, refillPerSecond: 1, now: () => now });
 * assert.equal(bucket.take(), true);
 * assert.equal(bucket.take(), true);
 * assert.equal(bucket.take(), false); // empty
 * now = 1000; // one second later: one token back
 * assert.equal(bucket.take(), true);
 * assert.equal(bucket.take(), false);
 * ```
 */
export class TokenBucket {
  #capacity: number;
  #perMs: number;
  #now: () => number;
  #tokens: number;
  #updated: number;

  /** @param options Capacity, refill rate and clock. */
  constructor(options: TokenBucketOptions) {
    this.#capacity = options.capacity;
    this.#perMs = options.refillPerSecond / 1000;
    this.#now = options.now ?? (() => performance.now());
    this.#tokens = options.capacity;
    this.#updated = this.#now();
  }

  /**
   * Take a token if there is one.
   *
   * @returns `false` when the bucket is empty: the caller is over its rate.
   */
  take(): boolean {
    const now = this.#now();
    this.#tokens = Math.min(this.#capacity, this.#tokens + (now - this.#updated) * this.#perMs);
    this.#updated = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
