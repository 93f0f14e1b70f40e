import assert from "node:assert/strict";
import { _simdXor } from "./_simd_xor.ts";

Deno.test("_simdXor: the WebAssembly SIMD engine compiles on Deno, once", () => {
  // Without it every long payload silently takes the slower word loop.
  const engine = _simdXor();
  assert.ok(engine !== undefined);
  assert.equal(engine.capacity, 64 * 1024);
  assert.equal(engine.memory.length, engine.capacity);
  assert.equal(_simdXor(), engine);
});

Deno.test("_simdXor: xor(length, word) XORs exactly memory[0..length) with the little-endian word", () => {
  const engine = _simdXor()!;
  const word = 0x3d21fa37; // the key bytes 37 fa 21 3d of RFC 6455 §5.7
  const key = [0x37, 0xfa, 0x21, 0x3d];
  // Both loops of the module: 64 bytes at a time, then 16.
  for (const length of [0, 16, 48, 64, 80, 128 + 48, 4096, engine.capacity - 16, engine.capacity]) {
    const original = new Uint8Array(engine.capacity);
    for (let i = 0; i < original.length; i++) original[i] = (i * 7 + length) & 0xff;
    engine.memory.set(original);
    engine.xor(length, word);
    for (let i = 0; i < length; i++) {
      if (engine.memory[i] !== (original[i]! ^ key[i & 3]!)) {
        assert.fail(`length ${length}: byte ${i} is ${engine.memory[i]}`);
      }
    }
    assert.deepEqual(engine.memory.subarray(length), original.subarray(length), `length ${length}`);
  }
});
