import assert from "node:assert/strict";
import { computeAcceptKey, generateKey, isValidKey } from "./accept_key.ts";

Deno.test("computeAcceptKey: the sample of RFC 6455 §1.3 and §4.2.2", () => {
  assert.equal(computeAcceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
});

Deno.test("computeAcceptKey: hashes the key string as given, not decoded", () => {
  // Another well-known pair (from the Autobahn and MDN examples).
  assert.equal(computeAcceptKey("x3JJHMbDL1EzLkh9GBhXDw=="), "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
  assert.notEqual(
    computeAcceptKey("dGhlIHNhbXBsZSBub25jZQ"),
    computeAcceptKey("dGhlIHNhbXBsZSBub25jZQ=="),
  );
});

Deno.test("generateKey: valid, 16 bytes, different every time", () => {
  const keys = new Set<string>();
  for (let i = 0; i < 100; i++) {
    const key = generateKey();
    assert.equal(isValidKey(key), true, key);
    assert.equal(atob(key).length, 16);
    keys.add(key);
  }
  assert.equal(keys.size, 100);
});

Deno.test("isValidKey: base64 of exactly 16 bytes, nothing else", () => {
  for (
    const key of [
      "dGhlIHNhbXBsZSBub25jZQ==",
      "AAAAAAAAAAAAAAAAAAAAAA==",
      "/+/+/+/+/+/+/+/+/+/+/w==",
      "dGhlIHNhbXBsZSBub25jZR==", // non-zero pad bits: still 16 bytes
    ]
  ) {
    assert.equal(isValidKey(key), true, key);
  }
  for (
    const key of [
      "",
      "dGhlIHNhbXBsZSBub25jZQ", // no padding
      "dGhlIHNhbXBsZSBub25jZQ=", // one pad
      " dGhlIHNhbXBsZSBub25jZQ==",
      "dGhlIHNhbXBsZSBub25jZQ== ",
      "dGhlIHNhbXBsZSBub25jZQ==\n",
      "dGhlIHNhbXBsZSBub25jZ-_==", // URL-safe alphabet
      "dGhlIHNhbXBsZSBub25jZQA=", // 17 bytes
      "dGhlIHNhbXBsZSBub25jZQAA", // 18 bytes
      "c2hvcnQ=",
      "dGhlIHNhbXBsZSBub25jZQ==dGhlIHNhbXBsZSBub25jZQ==",
      "dGhlIHNhbXBsZSBub25jZQ==, dGhlIHNhbXBsZSBub25jZQ==", // two headers joined
      "dGhlIHNhbXBsZSBub25j\u00e9Q==",
    ]
  ) {
    assert.equal(isValidKey(key), false, JSON.stringify(key));
  }
});

Deno.test("computeAcceptKey: any key string, long or short, ASCII or not, in any order", async () => {
  const reference = async (key: string) => {
    const digest = await crypto.subtle.digest(
      "SHA-1",
      new TextEncoder().encode(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"),
    );
    return btoa(String.fromCharCode(...new Uint8Array(digest)));
  };
  // Longer than the reused input buffer, then shorter (stale bytes must not leak).
  // 24 characters that are not all ASCII, each followed by a valid key: the
  // GUID held after a valid key's place must survive them.
  const keys = [
    "k".repeat(400),
    "x3JJHMbDL1EzLkh9GBhXDw==",
    "é€😀 key",
    "",
    "k".repeat(100),
    "a",
    "é".repeat(24),
    "dGhlIHNhbXBsZSBub25jZQ==",
    "dGhlIHNhbXBsZSBub25jZQ=\u00e9",
    "x3JJHMbDL1EzLkh9GBhXDw==",
    "😀".repeat(12),
    "dGhlIHNhbXBsZSBub25jZQ==",
  ];
  for (const key of keys) assert.equal(computeAcceptKey(key), await reference(key), key);
  // Random valid keys: digests of every shape go through the base64.
  for (let i = 0; i < 300; i++) {
    const key = generateKey();
    assert.equal(computeAcceptKey(key), await reference(key), key);
  }
});
