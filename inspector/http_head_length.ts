/**
 * The length of the HTTP request or response head that starts `bytes`
 * (through the empty line that ends it), or 0 when `bytes` do not start
 * with one (`GET `, or `HTTP/1.`) or it does not end within `limit` bytes.
 *
 * @param bytes A capture of one direction of a connection.
 * @param limit How far to look for the end of the head.
 * @returns The head's length in bytes, or 0.
 *
 * @example
 * ```ts
 * import { httpHeadLength } from "@edgews/websocket/inspector";
 * import assert from "node:assert/strict";
 *
 * const capture = new TextEncoder().encode("HTTP/1.1 101 Switching Protocols\r\n\r\n\x81\x00");
 * assert.equal(httpHeadLength(capture), 36);
 * assert.equal(httpHeadLength(new Uint8Array([0x81, 0x00])), 0);
 * ```
 */
export function httpHeadLength(bytes: Uint8Array, limit = 65536): number {
  const start = String.fromCharCode(...bytes.subarray(0, 7));
  if (!start.startsWith("GET ") && start !== "HTTP/1.") return 0;
  const end = Math.min(bytes.length, limit);
  for (let i = 3; i < end; i++) {
    if (
      bytes[i] === 0x0a && bytes[i - 1] === 0x0d && bytes[i - 2] === 0x0a && bytes[i - 3] === 0x0d
    ) {
      return i + 1;
    }
  }
  return 0;
}
