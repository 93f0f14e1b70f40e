/**
 * SHA-1 (FIPS 180-4) for the handshake's accept key only.
 *
 * `crypto.subtle.digest` is asynchronous, which would make
 * `upgradeWebSocket` asynchronous too, unlike `Deno.upgradeWebSocket`. The
 * accept key hashes 60 bytes once per connection, so a small synchronous
 * implementation keeps the upgrade a drop-in replacement. SHA-1 is used
 * here as RFC 6455 §4.2.2 defines it, not for security.
 *
 * @module
 */

/**
 * The SHA-1 digest of `data`.
 *
 * @param data The bytes to hash.
 * @returns The 20-byte digest.
 *
 * @example
 * ```ts
 * import { sha1 } from "./_sha1.ts";
 * import assert from "node:assert/strict";
 *
 * const hex = [...sha1(new TextEncoder().encode("abc"))]
 *   .map((b) => b.toString(16).padStart(2, "0")).join("");
 * assert.equal(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
 * ```
 */
export function sha1(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(20);
  _sha1Into(data, out);
  return out;
}

/**
 * Scratch space for inputs up to two blocks (119 bytes: the accept key's
 * input is 60), reused: each typed array made costs 1–3 µs on Deno, and
 * the hash runs once per handshake. Single-threaded and synchronous, so
 * sharing is safe.
 */
const _padded = new Uint8Array(128);
const _paddedView = new DataView(_padded.buffer);
const _w = new Uint32Array(80);

/**
 * The SHA-1 digest of `data`, written to the first 20 bytes of `out`.
 *
 * @param data The bytes to hash.
 * @param out Where the digest goes.
 */
export function _sha1Into(data: Uint8Array, out: Uint8Array): void {
  // Pad: a 1 bit, zeros, then the bit length as a 64-bit big-endian number.
  const blocks = Math.ceil((data.length + 9) / 64);
  const size = blocks * 64;
  const padded = size <= _padded.length ? _padded : new Uint8Array(size);
  const view = padded === _padded ? _paddedView : new DataView(padded.buffer);
  padded.set(data);
  padded[data.length] = 0x80;
  padded.fill(0, data.length + 1, size - 8);
  const bits = data.length * 8;
  view.setUint32(size - 8, Math.floor(bits / 0x100000000));
  view.setUint32(size - 4, bits >>> 0);

  let h0 = 0x67452301, h1 = 0xefcdab89, h2 = 0x98badcfe, h3 = 0x10325476, h4 = 0xc3d2e1f0;
  const w = _w;
  for (let block = 0; block < blocks; block++) {
    for (let t = 0; t < 16; t++) w[t] = view.getUint32(block * 64 + t * 4);
    for (let t = 16; t < 80; t++) {
      const x = w[t - 3]! ^ w[t - 8]! ^ w[t - 14]! ^ w[t - 16]!;
      w[t] = (x << 1) | (x >>> 31);
    }
    let a = h0, b = h1, c = h2, d = h3, e = h4;
    for (let t = 0; t < 80; t++) {
      let f: number, k: number;
      if (t < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (t < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (t < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6;
      }
      const temp = (((a << 5) | (a >>> 27)) + f + e + k + w[t]!) >>> 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = temp;
    }
    h0 = (h0 + a) >>> 0;
    h1 = (h1 + b) >>> 0;
    h2 = (h2 + c) >>> 0;
    h3 = (h3 + d) >>> 0;
    h4 = (h4 + e) >>> 0;
  }
  _putUint32(out, 0, h0);
  _putUint32(out, 4, h1);
  _putUint32(out, 8, h2);
  _putUint32(out, 12, h3);
  _putUint32(out, 16, h4);
}

function _putUint32(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 24;
  out[at + 1] = (value >>> 16) & 0xff;
  out[at + 2] = (value >>> 8) & 0xff;
  out[at + 3] = value & 0xff;
}
