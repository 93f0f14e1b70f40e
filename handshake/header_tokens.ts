/**
 * Comma-separated header lists and tokens, as found in `Connection`,
 * `Upgrade` and `Sec-WebSocket-Protocol` (RFC 6455 §4.1, §4.2.1; list and
 * token syntax from RFC 9110 §5.6.1, §5.6.2).
 *
 * @module
 */

import {
  asciiLowercase,
  isTokenString,
  isWhitespace,
  quote,
  trimWhitespace,
} from "../http/_http_syntax.ts";

/**
 * Whether `value` is a `token` (RFC 9110 §5.6.2): one or more of the
 * characters ``!#$%&'*+-.^_`|~``, digits and ASCII letters. Subprotocol
 * names, extension names and extension parameters must be tokens.
 *
 * @param value The string to test.
 * @returns `true` when `value` is a non-empty token.
 *
 * @example
 * ```ts
 * import { isToken } from "@edgews/websocket/handshake";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isToken("chat.v2"), true);
 * assert.equal(isToken("two words"), false);
 * assert.equal(isToken(""), false);
 * ```
 */
export function isToken(value: string): boolean {
  return isTokenString(value);
}

/**
 * Split a comma-separated header value into its elements, each trimmed of
 * spaces and tabs. Empty elements (`"a, , b"`, a trailing comma) are
 * skipped, as RFC 9110 §5.6.1 asks of recipients. Quoted strings are not
 * understood, so use this only for headers whose elements are tokens
 * (`Connection`, `Upgrade`, `Sec-WebSocket-Protocol`,
 * `Sec-WebSocket-Version`); the characters of each element are not checked.
 *
 * Several header lines with the same name are one list: `Headers.get()`
 * already joins them with `", "`.
 *
 * @param value A header value, or `null` for an absent header.
 * @returns The non-empty elements in order; `[]` for `null`.
 *
 * @example
 * ```ts
 * import { splitHeaderList } from "@edgews/websocket/handshake";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(splitHeaderList("keep-alive, Upgrade"), ["keep-alive", "Upgrade"]);
 * assert.deepEqual(splitHeaderList(" a ,, b ,"), ["a", "b"]);
 * assert.deepEqual(splitHeaderList(null), []);
 * ```
 */
export function splitHeaderList(value: string | null): string[] {
  if (value === null) return [];
  const elements: string[] = [];
  for (const part of value.split(",")) {
    const element = trimWhitespace(part);
    if (element !== "") elements.push(element);
  }
  return elements;
}

/**
 * Whether a comma-separated header value contains `token`, compared ASCII
 * case-insensitively (RFC 6455 §4.2.1 items 3 and 4: `Upgrade` contains
 * "websocket", `Connection` contains "Upgrade").
 *
 * @param value A header value, or `null` for an absent header.
 * @param token The token to look for.
 * @returns `true` when one element equals `token` ignoring ASCII case.
 *
 * @example
 * ```ts
 * import { containsToken } from "@edgews/websocket/handshake";
 * import assert from "node:assert/strict";
 *
 * assert.equal(containsToken("keep-alive, Upgrade", "upgrade"), true);
 * assert.equal(containsToken("upgraded", "upgrade"), false);
 * assert.equal(containsToken(null, "upgrade"), false);
 * ```
 */
export function containsToken(value: string | null, token: string): boolean {
  const wanted = asciiLowercase(token);
  if (value === null || wanted === "") return false;
  // A scan, not splitHeaderList: no array or strings made on every handshake.
  let start = 0;
  while (start <= value.length) {
    let end = value.indexOf(",", start);
    if (end === -1) end = value.length;
    let from = start;
    let to = end;
    while (from < to && isWhitespace(value.charCodeAt(from))) from++;
    while (to > from && isWhitespace(value.charCodeAt(to - 1))) to--;
    if (to - from === wanted.length && _equalsLowercase(value, from, wanted)) return true;
    start = end + 1;
  }
  return false;
}

/** Whether `value` from `at` on reads `lowercase`, ignoring ASCII case. */
function _equalsLowercase(value: string, at: number, lowercase: string): boolean {
  for (let i = 0; i < lowercase.length; i++) {
    let code = value.charCodeAt(at + i);
    if (code >= 0x41 && code <= 0x5a) code |= 0x20;
    if (code !== lowercase.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * Parse a `Sec-WebSocket-Protocol` request header: a comma-separated list
 * of subprotocol names, each a token, in the client's order of preference
 * (RFC 6455 §4.1 item 10, §4.3 `1#token`). Names are case-sensitive and
 * kept as written; empty list elements are skipped (RFC 9110 §5.6.1) and
 * duplicates are kept.
 *
 * @param value The header value, or `null` when absent.
 * @returns The offered subprotocols; `[]` for `null`.
 * @throws {SyntaxError} When an element is not a token, or the header is
 * present but lists nothing.
 *
 * @example
 * ```ts
 * import { parseSubprotocols } from "@edgews/websocket/handshake";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseSubprotocols("chat, superchat"), ["chat", "superchat"]);
 * assert.deepEqual(parseSubprotocols(null), []);
 * assert.throws(() => parseSubprotocols("chat room"), SyntaxError);
 * ```
 */
export function parseSubprotocols(value: string | null): string[] {
  if (value === null) return [];
  const protocols = splitHeaderList(value);
  if (protocols.length === 0) {
    throw new SyntaxError("Invalid Sec-WebSocket-Protocol header: no subprotocol listed");
  }
  for (const protocol of protocols) {
    if (!isTokenString(protocol)) {
      throw new SyntaxError(
        `Invalid Sec-WebSocket-Protocol header: ${quote(protocol)} is not a token`,
      );
    }
  }
  return protocols;
}
