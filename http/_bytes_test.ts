import assert from "node:assert/strict";
import { concatBytes } from "./_bytes.ts";

Deno.test("concatBytes: the parts one after another, in a new array", () => {
  const backing = new Uint8Array([9, 1, 2, 3, 4, 5, 9]);
  const parts = [backing.subarray(1, 3), new Uint8Array(), backing.subarray(3, 6)];
  const joined = concatBytes(parts);
  assert.deepEqual(joined, new Uint8Array([1, 2, 3, 4, 5]));
  assert.notEqual(joined.buffer, backing.buffer);
  assert.deepEqual(concatBytes(parts, 5), joined, "with the size given");
  assert.deepEqual(concatBytes([]), new Uint8Array());
});

Deno.test("concatBytes: always a copy, even of a single part, so a reused buffer can be kept", () => {
  const buffer = new Uint8Array([1, 2, 3]);
  const kept = concatBytes([buffer]);
  buffer.fill(0);
  assert.deepEqual(kept, new Uint8Array([1, 2, 3]));
  assert.equal(kept.byteOffset, 0);
  assert.equal(kept.buffer.byteLength, 3);
});
