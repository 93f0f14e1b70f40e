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

Deno.test("quote: escapes control characters and bounds the length", () => {
  assert.equal(quote("a\r\nb"), '"a\\r\\nb"');
  const long = quote("x".repeat(1000));
  assert.ok(long.length < 80);
  assert.ok(long.endsWith("..."));
});
