import assert from "node:assert/strict";
import {
  asciiLowercase,
  isFieldChar,
  isTokenChar,
  isTokenString,
  latin1Decode,
  latin1Encode,
  quote,
  trimWhitespace,
} from "./_http_syntax.ts";

Deno.test("isTokenChar: exactly the tchar set of RFC 9110 §5.6.2", () => {
  const expected = new Set(
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
  );
  for (let code = 0; code < 0x180; code++) {
    assert.equal(isTokenChar(code), expected.has(String.fromCharCode(code)), `code ${code}`);
  }
  assert.equal(isTokenString(""), false);
  assert.equal(isTokenString("a b"), false);
  assert.equal(isTokenString("permessage-deflate"), true);
});

Deno.test("isFieldChar: HTAB, SP, VCHAR and obs-text only", () => {
  for (let code = 0; code < 0x120; code++) {
    const expected = code === 0x09 || (code >= 0x20 && code <= 0x7e) ||
      (code >= 0x80 && code <= 0xff);
    assert.equal(isFieldChar(code), expected, `code ${code}`);
  }
});

Deno.test("trimWhitespace and asciiLowercase touch only what RFCs name", () => {
  assert.equal(trimWhitespace(" \t a b \t "), "a b");
  assert.equal(trimWhitespace("\n a \r"), "\n a \r");
  assert.equal(trimWhitespace("   "), "");
  assert.equal(asciiLowercase("WebSocket"), "websocket");
  assert.equal(asciiLowercase("\u0130\u00c9"), "\u0130\u00c9"); // no Unicode folding
});

Deno.test("latin1: every byte round-trips, 0x80-0x9F included", () => {
  const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
  const text = latin1Decode(bytes);
  assert.equal(text.length, 256);
  assert.equal(text.charCodeAt(0x80), 0x80); // windows-1252 would give U+20AC
  assert.deepEqual(latin1Encode(text), bytes);
  const big = new Uint8Array(10_000).fill(0x41);
  assert.equal(latin1Decode(big), "A".repeat(10_000));
  assert.throws(() => latin1Encode("\u0100"), TypeError);
});

Deno.test("latin1: ASCII alone, and ASCII in a larger buffer, decode byte for byte", () => {
  const ascii = Uint8Array.from({ length: 128 }, (_, i) => i);
  const text = latin1Decode(ascii);
  assert.equal(text.length, 128);
  for (let i = 0; i < 128; i++) assert.equal(text.charCodeAt(i), i);
  // A view into a read buffer, as the head scanner passes: only its bytes.
  const buffer = new Uint8Array(64).fill(0xff);
  buffer.set([0x47, 0x45, 0x54], 10);
  assert.equal(latin1Decode(buffer.subarray(10, 13)), "GET");
  // One byte past ASCII anywhere decodes as Latin-1, not UTF-8.
  assert.equal(latin1Decode(Uint8Array.of(0x61, 0xc3, 0xa9)), "a\u00c3\u00a9");
});

Deno.test("quote: escapes control characters and bounds the length", () => {
  assert.equal(quote("a\r\nb"), '"a\\r\\nb"');
  const long = quote("x".repeat(1000));
  assert.ok(long.length < 80);
  assert.ok(long.endsWith("..."));
});
