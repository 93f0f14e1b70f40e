import assert from "node:assert/strict";
import { MaskKeyGenerator } from "./mask_key_generator.ts";

Deno.test("MaskKeyGenerator: keys come from the random source and change every call", () => {
  let calls = 0;
  const keys = new MaskKeyGenerator((bytes) => {
    calls++;
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i + calls) & 0xff;
  });
  const first = keys.next().slice();
  const second = keys.next().slice();
  assert.deepEqual([...first], [1, 2, 3, 4]);
  assert.deepEqual([...second], [5, 6, 7, 8]);
  assert.equal(calls, 1);
  for (let i = 2; i < 1024; i++) keys.next();
  assert.equal(calls, 1);
  const refilled = new Uint8Array(4);
  keys.nextInto(refilled, 0);
  assert.equal(calls, 2);
  assert.deepEqual([...refilled], [2, 3, 4, 5]);
});

Deno.test("MaskKeyGenerator: default source is crypto.getRandomValues", () => {
  const original = crypto.getRandomValues;
  let used = 0;
  crypto.getRandomValues = ((array: Uint8Array) => {
    used++;
    return original.call(crypto, array);
  }) as typeof crypto.getRandomValues;
  try {
    const keys = new MaskKeyGenerator();
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const k = keys.next();
      seen.add(((k[0]! << 24) | (k[1]! << 16) | (k[2]! << 8) | k[3]!) >>> 0);
    }
    assert.equal(used, 1);
    // 1000 random 32-bit keys collide with probability ~1e-4.
    assert.ok(seen.size >= 999, `only ${seen.size} distinct keys`);
  } finally {
    crypto.getRandomValues = original;
  }
});

Deno.test("MaskKeyGenerator: next and nextInto draw successive keys from one pool", () => {
  let calls = 0;
  const keys = new MaskKeyGenerator((bytes) => {
    calls++;
    for (let i = 0; i < bytes.length; i++) bytes[i] = i & 0xff;
  });
  const target = new Uint8Array(8).fill(0xee);
  keys.nextInto(target, 3);
  assert.deepEqual([...target], [0xee, 0xee, 0xee, 0, 1, 2, 3, 0xee]);
  assert.deepEqual([...keys.next()], [4, 5, 6, 7]);
  keys.nextInto(target, 0);
  assert.deepEqual([...target.subarray(0, 4)], [8, 9, 10, 11]);
  // 1024 keys per refill, whichever method takes them.
  for (let i = 3; i < 1024; i++) i % 2 === 0 ? keys.next() : keys.nextInto(target, 0);
  assert.equal(calls, 1);
  keys.next();
  assert.equal(calls, 2);
});
