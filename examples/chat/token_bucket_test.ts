import assert from "node:assert/strict";
import { TokenBucket } from "./token_bucket.ts";

Deno.test("TokenBucket: a burst of capacity, then the refill rate, never more than capacity", () => {
  let now = 0;
  const bucket = new TokenBucket({ capacity: 3, refillPerSecond: 2, now: () => now });
  const taken = (count: number) => Array.from({ length: count }, () => bucket.take());
  assert.deepEqual(taken(4), [true, true, true, false]);
  now = 250; // half a token
  assert.equal(bucket.take(), false);
  now = 500; // the other half: one token
  assert.deepEqual(taken(2), [true, false]);
  now = 60_000; // a long pause refills to capacity, not beyond
  assert.deepEqual(taken(4), [true, true, true, false]);
});
