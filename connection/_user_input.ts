/**
 * Checks on what applications pass to the socket classes, with the WHATWG
 * WebSocket rules and exceptions (not exported from `mod.ts`).
 *
 * @module
 */

import { isValidCloseCode } from "../errors/close_code.ts";
import { isTokenString } from "../http/_http_syntax.ts";

/**
 * Bytes or text for `send`, without copying views. As WebIDL converts the
 * argument: a buffer or view whose buffer was detached is an empty message,
 * and a value that is neither a string nor bytes is turned into a string
 * (`send(42)` sends "42"; a Symbol throws `TypeError`). Buffers are told by
 * their brand, not `instanceof`, so that those of another realm (`node:vm`,
 * test sandboxes) are bytes too.
 */
export function _toMessageData(chunk: unknown): string | Uint8Array {
  if (typeof chunk === "string") return chunk;
  if (chunk instanceof Uint8Array) return chunk;
  if (ArrayBuffer.isView(chunk)) {
    // A detached buffer has no bytes; its views throw on byteOffset (Node 20).
    if (chunk.buffer.byteLength === 0) return new Uint8Array(0);
    return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
  if (chunk instanceof ArrayBuffer) {
    return chunk.byteLength === 0 ? new Uint8Array(0) : new Uint8Array(chunk);
  }
  if (typeof chunk === "object" && chunk !== null) {
    // Another realm's buffer (the brand check is slower: not for ours).
    const tag = Object.prototype.toString.call(chunk);
    if (tag === "[object ArrayBuffer]" || tag === "[object SharedArrayBuffer]") {
      const buffer = chunk as ArrayBufferLike;
      return buffer.byteLength === 0 ? new Uint8Array(0) : new Uint8Array(buffer);
    }
  }
  return `${chunk}`;
}

/** Whether `value` is a Blob (or File), of this realm or another. */
export function _isBlob(value: unknown): value is Blob {
  if (value instanceof Blob) return true;
  // Bytes are what send() mostly gets: no brand check for them.
  if (
    typeof value !== "object" || value === null || ArrayBuffer.isView(value) ||
    value instanceof ArrayBuffer
  ) return false;
  const tag = Object.prototype.toString.call(value);
  return (tag === "[object Blob]" || tag === "[object File]") &&
    typeof (value as Blob).arrayBuffer === "function";
}

/**
 * The subprotocols a constructor was given, checked as the WHATWG constructor
 * checks them, before any connection is made: a string or an iterable of
 * values turned into strings (as WebIDL does), each an HTTP token (RFC 6455
 * §4.1), none twice (compared without case, as Deno's WebSocket does).
 *
 * @throws {DOMException} `SyntaxError` for a value that is not a token, or one listed twice.
 */
export function _protocolList(protocols: unknown): string[] {
  const list = typeof protocols === "object" && protocols !== null && Symbol.iterator in protocols
    ? Array.from(protocols as Iterable<unknown>, (protocol) => `${protocol}`)
    : [`${protocols}`];
  const seen = new Set<string>();
  for (const protocol of list) {
    if (!isTokenString(protocol)) {
      throw new DOMException(
        `Invalid protocols: ${JSON.stringify(protocol)} is not a token (RFC 6455 §4.1)`,
        "SyntaxError",
      );
    }
    const folded = protocol.toLowerCase();
    if (seen.has(folded)) {
      throw new DOMException(
        `Invalid protocols: ${JSON.stringify(protocol)} is listed twice`,
        "SyntaxError",
      );
    }
    seen.add(folded);
  }
  return list;
}

/**
 * WHATWG WebSocket URL rules: ws(s) or http(s), no fragment; a relative URL
 * is resolved against the page's location where there is one (Deno's
 * `--location`).
 */
export function _parseWebSocketUrl(url: string | URL): URL {
  let parsed: URL;
  try {
    parsed = new URL(url, (globalThis as { location?: { href?: string } }).location?.href);
  } catch {
    throw new DOMException(`Invalid WebSocket URL: ${String(url)}`, "SyntaxError");
  }
  if (parsed.protocol === "http:") parsed.protocol = "ws:";
  else if (parsed.protocol === "https:") parsed.protocol = "wss:";
  if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") {
    throw new DOMException(
      `Invalid WebSocket URL: scheme must be ws: or wss:, got ${parsed.protocol}`,
      "SyntaxError",
    );
  }
  if (parsed.hash !== "" || String(url).includes("#")) {
    throw new DOMException("Invalid WebSocket URL: fragments are not allowed", "SyntaxError");
  }
  return parsed;
}

/**
 * The WHATWG checks on a close code and reason given by the application. A
 * client may only use 1000 and 3000–4999 (the browser rule); a server may
 * also send the other codes defined for the wire (RFC 6455 §7.4.1), such as
 * 1008 "policy violation" or 1013 "try again later", as servers must.
 */
export function _validateUserClose(
  code: number | undefined,
  reason: string | undefined,
  role: "client" | "server" = "client",
): void {
  if (code !== undefined) {
    // Checked here, not left to the frame encoder: a code that passed these
    // checks and failed there would leave the socket closing for good.
    if (!Number.isInteger(code)) {
      throw new DOMException(`Cannot close: code ${code} is not an integer`, "InvalidAccessError");
    }
    if (role === "server" && !isValidCloseCode(code)) {
      throw new DOMException(
        `Cannot close: code ${code} is not a close code valid on the wire (RFC 6455 §7.4)`,
        "InvalidAccessError",
      );
    }
    if (role === "client" && code !== 1000 && !(code >= 3000 && code <= 4999)) {
      throw new DOMException(
        `Cannot close: code ${code} is not 1000 or in 3000-4999`,
        "InvalidAccessError",
      );
    }
  }
  if (reason !== undefined && new TextEncoder().encode(reason).length > 123) {
    throw new DOMException("Cannot close: reason is longer than 123 bytes", "SyntaxError");
  }
}

/**
 * WebIDL's conversion to a `[Clamp] unsigned short`: a number (NaN is 0),
 * clamped to 0–65535 and rounded half to even. So `close(3000.5)` closes
 * with 3000 and `close("3001")` with 3001, as in browsers.
 */
export function _clampUnsignedShort(value: unknown): number {
  const number = Number(value);
  if (Number.isNaN(number)) return 0;
  const x = Math.min(Math.max(number, 0), 65535);
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction !== 0.5) return fraction < 0.5 ? floor : floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}
