/**
 * The `Sec-WebSocket-Key` nonce and the `Sec-WebSocket-Accept` proof that
 * the server read it (RFC 6455 §1.3, §4.1, §4.2.2).
 *
 * @module
 */

/** The GUID appended to the key before hashing (RFC 6455 §1.3). */
const _GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

import { _sha1Into } from "./_sha1.ts";

const _encoder = new TextEncoder();

/**
 * Compute the `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key`:
 * base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")), taking the
 * key as the string it is, without base64-decoding it (RFC 6455 §1.3,
 * §4.2.2 step 5.4).
 *
 * @param key The `Sec-WebSocket-Key` value, as sent.
 * @returns The base64 `Sec-WebSocket-Accept` value (28 characters).
 *
 * @example The sample handshake of RFC 6455 §1.3
 * ```ts
 * import { computeAcceptKey } from "@edgews/websocket/handshake";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   computeAcceptKey("dGhlIHNhbXBsZSBub25jZQ=="),
 *   "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
 * );
 * ```
 */
export function computeAcceptKey(key: string): string {
  // Into reused buffers: a fresh typed array costs 1–3 µs on Deno, and this
  // runs for every handshake. A valid key (24 ASCII characters) is written
  // in front of the GUID already in place: no joined string, no view.
  if (key.length === 24 && _encoder.encodeInto(key, _keySlot).read === 24) {
    _sha1Into(_keyed, _digest);
  } else {
    const input = key + _GUID;
    const { read, written } = _encoder.encodeInto(input, _input);
    _sha1Into(
      read === input.length ? _input.subarray(0, written) : _encoder.encode(input),
      _digest,
    );
  }
  return _base64Digest(_digest);
}

/** The accept key's input for other keys, and the digest, reused. */
const _input = new Uint8Array(256);
const _digest = new Uint8Array(20);
/** The input of a 24-character ASCII key: the key's place, then the GUID. */
const _keyed = new Uint8Array(24 + _GUID.length);
/** The key's place: 24 bytes, so that no key can write over the GUID. */
const _keySlot = _keyed.subarray(0, 24);
_encoder.encodeInto(_GUID, _keyed.subarray(24));

/**
 * Make a fresh `Sec-WebSocket-Key`: 16 bytes from `crypto.getRandomValues`,
 * base64-encoded (RFC 6455 §4.1 item 7 asks for a randomly selected nonce
 * per connection).
 *
 * @returns A 24-character base64 key.
 *
 * @example
 * ```ts
 * import { generateKey, isValidKey } from "@edgews/websocket/handshake";
 * import assert from "node:assert/strict";
 *
 * const key = generateKey();
 * assert.equal(isValidKey(key), true);
 * assert.notEqual(generateKey(), key);
 * ```
 */
export function generateKey(): string {
  return _base64(crypto.getRandomValues(new Uint8Array(16)));
}

/**
 * Whether `key` is a valid `Sec-WebSocket-Key`: base64 (RFC 4648 §4, the
 * standard alphabet with padding) of exactly 16 bytes, which is always 22
 * characters followed by `"=="` (RFC 6455 §4.1 item 7, §4.2.1 item 5).
 * Nothing else is accepted: no whitespace, no missing padding, no URL-safe
 * alphabet. Non-zero bits in the unused low 4 bits of the 22nd character
 * are tolerated (RFC 4648 §3.5 lets decoders choose); they still decode to
 * 16 bytes.
 *
 * @param key The header value.
 * @returns `true` for a valid key.
 *
 * @example
 * ```ts
 * import { isValidKey } from "@edgews/websocket/handshake";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isValidKey("dGhlIHNhbXBsZSBub25jZQ=="), true);
 * assert.equal(isValidKey("dGhlIHNhbXBsZSBub25jZQ"), false); // no padding
 * assert.equal(isValidKey("c2hvcnQ="), false); // 5 bytes
 * ```
 */
export function isValidKey(key: string): boolean {
  return /^[A-Za-z0-9+/]{22}==$/.test(key);
}

/** The base64 alphabet (RFC 4648 §4), as character codes. */
const _ALPHABET = Array.from(
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
  (char) => char.charCodeAt(0),
);
/** The 28 characters of a digest's base64, reused. */
const _codes: number[] = new Array(28).fill(0);

/**
 * Base64 of a 20-byte SHA-1 digest. By hand into a reused array of
 * character codes: `apply` with an array takes its elements as they are,
 * where a typed array is first copied into a fresh list, and `btoa` is a
 * call into the runtime (0.2 µs against 0.6 µs on Deno, and a quarter of
 * the garbage).
 */
function _base64Digest(digest: Uint8Array): string {
  const codes = _codes;
  let j = 0;
  for (let i = 0; i < 18; i += 3) {
    const n = (digest[i]! << 16) | (digest[i + 1]! << 8) | digest[i + 2]!;
    codes[j++] = _ALPHABET[n >> 18]!;
    codes[j++] = _ALPHABET[(n >> 12) & 63]!;
    codes[j++] = _ALPHABET[(n >> 6) & 63]!;
    codes[j++] = _ALPHABET[n & 63]!;
  }
  // The last 2 bytes: 3 characters and one "=".
  const n = (digest[18]! << 16) | (digest[19]! << 8);
  codes[24] = _ALPHABET[n >> 18]!;
  codes[25] = _ALPHABET[(n >> 12) & 63]!;
  codes[26] = _ALPHABET[(n >> 6) & 63]!;
  codes[27] = 0x3d;
  return String.fromCharCode.apply(null, codes);
}

/** Base64 (with padding) of a few bytes, with only web-standard APIs. */
function _base64(bytes: Uint8Array): string {
  // apply, not a spread: no iterator, no array of numbers.
  return btoa(String.fromCharCode.apply(null, bytes as unknown as number[]));
}
