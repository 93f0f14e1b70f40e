import assert from "node:assert/strict";
import { SeededRandom } from "../tests/_random.ts";
import { sha1 } from "./_sha1.ts";

Deno.test("sha1 agrees with crypto.subtle for lengths 0..300 (every padding case)", async () => {
  const random = new SeededRandom(11);
  for (let length = 0; length <= 300; length++) {
    const data = random.bytes(length);
    const expected = new Uint8Array(
      await crypto.subtle.digest("SHA-1", data as Uint8Array<ArrayBuffer>),
    );
    assert.deepEqual(sha1(data), expected, `length ${length}`);
  }
});

Deno.test("sha1: FIPS 180 test vectors", () => {
  const hex = (s: string) =>
    [...sha1(new TextEncoder().encode(s))].map((b) => b.toString(16).padStart(2, "0")).join("");
  assert.equal(hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  assert.equal(hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  assert.equal(
    hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
    "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
  );
});

Deno.test("sha1 reuses its scratch space safely: long inputs then short ones", async () => {
  const random = new SeededRandom(12);
  for (let length = 300; length >= 0; length -= 7) {
    const data = random.bytes(length);
    const expected = new Uint8Array(
      await crypto.subtle.digest("SHA-1", data as Uint8Array<ArrayBuffer>),
    );
    assert.deepEqual(sha1(data), expected, `length ${length}`);
  }
});
