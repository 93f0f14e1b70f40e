import assert from "node:assert/strict";
import { mask, maskInto } from "./mask.ts";

/** Reference implementation: the definition of §5.3, one byte at a time. */
function naiveMask(data: Uint8Array, key: Uint8Array, offset = 0): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    out[i] = data[i]! ^ key[(offset + i) % 4]!;
  }
  return out;
}

function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const KEY = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);

Deno.test("mask: RFC 6455 §5.7 masked 'Hello'", () => {
  const payload = new Uint8Array([0x7f, 0x9f, 0x4d, 0x51, 0x58]);
  assert.equal(mask(payload, KEY), 5);
  assert.equal(new TextDecoder().decode(payload), "Hello");
});

Deno.test("mask: every length 0..130 at every buffer alignment and key phase", () => {
  const backing = new Uint8Array(4 + 130 + 4);
  for (let length = 0; length <= 130; length++) {
    for (let align = 0; align < 4; align++) {
      for (let offset = 0; offset < 4; offset++) {
        const original = pattern(length, length * 16 + align * 4 + offset + 1);
        backing.fill(0xaa);
        const view = backing.subarray(align, align + length);
        view.set(original);
        const next = mask(view, KEY, offset);
        assert.equal(next, offset + length);
        assert.deepEqual(view, naiveMask(original, KEY, offset));
        // Bytes around the view are untouched.
        for (let i = 0; i < align; i++) assert.equal(backing[i], 0xaa);
        for (let i = align + length; i < backing.length; i++) {
          assert.equal(backing[i], 0xaa);
        }
        // Masking twice is the identity.
        mask(view, KEY, offset);
        assert.deepEqual(view, original);
      }
    }
  }
});

Deno.test("mask: a 1 MiB payload, whole and split into uneven chunks", () => {
  const original = pattern(1 << 20, 7);
  const expected = naiveMask(original, KEY);
  const whole = original.slice();
  mask(whole, KEY);
  assert.deepEqual(whole, expected);

  const split = original.slice();
  const sizes = [1, 2, 3, 5, 8, 13, 1000, 4093, 65537];
  let offset = 0;
  let position = 0;
  for (let i = 0; position < split.length; i++) {
    const size = Math.min(sizes[i % sizes.length]!, split.length - position);
    offset = mask(split.subarray(position, position + size), KEY, offset);
    position += size;
  }
  assert.equal(offset, split.length);
  assert.deepEqual(split, expected);
});

Deno.test("mask: lengths around the SIMD threshold and page size, every alignment and phase", () => {
  const lengths = [
    255,
    256,
    257,
    271,
    1000,
    2048,
    2049,
    4096 + 3,
    65535,
    65536,
    65537,
    65536 * 2 + 17,
  ];
  const backing = new Uint8Array(4 + lengths.at(-1)! + 4);
  for (const length of lengths) {
    for (let align = 0; align < 4; align++) {
      for (let offset = 0; offset < 4; offset++) {
        const original = pattern(length, length + align * 4 + offset);
        backing.fill(0xaa);
        const view = backing.subarray(align, align + length);
        view.set(original);
        assert.equal(mask(view, KEY, offset), offset + length);
        assert.deepEqual(view, naiveMask(original, KEY, offset));
        assert.equal(backing[align + length], 0xaa);
        if (align > 0) assert.equal(backing[align - 1], 0xaa);
      }
    }
  }
});

Deno.test("maskInto: copies masked, leaves the source and the rest of the target alone", () => {
  for (const length of [0, 5, 31, 33, 1000, 2048, 5000, 70000]) {
    for (let offset = 0; offset < 4; offset++) {
      const source = pattern(length, length + offset);
      const before = source.slice();
      const target = new Uint8Array(length + 3).fill(0xbb);
      assert.equal(maskInto(source, target.subarray(1), KEY, offset), offset + length);
      assert.deepEqual(source, before);
      assert.deepEqual(target.subarray(1, 1 + length), naiveMask(source, KEY, offset));
      assert.equal(target[0], 0xbb);
      assert.equal(target[1 + length], 0xbb);
      // In place is allowed too.
      maskInto(source, source, KEY, offset);
      assert.deepEqual(source, naiveMask(before, KEY, offset));
    }
  }
  assert.throws(
    () => maskInto(new Uint8Array(4), new Uint8Array(3), KEY),
    (error: unknown) => error instanceof RangeError && /holds 3 bytes/.test(error.message),
  );
});
