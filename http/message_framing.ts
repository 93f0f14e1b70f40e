import { asciiLowercase } from "./_http_syntax.ts";
import { HttpHeadError, HttpHeadErrorCode } from "../errors/http_head_error.ts";
import type { ParsedRequestHead } from "./request_head.ts";

/** What {@linkcode requestFraming} decides. */
export interface RequestFraming {
  /** How the body is delimited: none, `Content-Length` bytes, or `chunked`. */
  body: "none" | "length" | "chunked";
  /** The body's length for `"length"`; 0 otherwise. */
  length: number;
  /** Whether the connection may carry another request after this one. */
  keepAlive: boolean;
  /** Whether the client waits for `100 Continue` before sending the body. */
  expectContinue: boolean;
  /** Whether the request has an `Upgrade` header (RFC 9110 §7.8), such as a WebSocket handshake. */
  upgrade: boolean;
}

/**
 * Decide a request's body framing and persistence from its head (RFC 9112
 * §6, §9.3). A request whose body length cannot be told for certain is
 * refused rather than guessed at, since request smuggling is two parsers
 * disagreeing on where a request ends: the cases and their statuses are the
 * table in `http/message_framing_test.ts`.

 *
 * @param head The parsed head.
 * @returns The framing.
 * @throws {HttpHeadError} 400 for conflicting or malformed framing, 501 for
 * a transfer coding other than `chunked`.
 *
 * @example
 * ```ts
 * import { parseRequestHead, requestFraming } from "@edgews/websocket/http";
 * import assert from "node:assert/strict";
 *
 * const head = parseRequestHead(["POST / HTTP/1.1", "Host: x", "Transfer-Encoding: chunked"]);
 * assert.deepEqual(requestFraming(head), {
 *   body: "chunked",
 *   length: 0,
 *   keepAlive: true,
 *   expectContinue: false,
 *   upgrade: false,
 * });
 * ```
 */
export function requestFraming(head: ParsedRequestHead): RequestFraming {
  const fields = head.fields;
  const http10 = head.httpVersion === "HTTP/1.0";
  let transferEncoding: string | undefined;
  let contentLength = -1;
  let close = false;
  let keepAliveToken = false;
  let expectContinue = false;
  let upgrade = false;
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!;
    // Only names of these lengths matter: skip the lowercasing for the rest.
    const n = name.length;
    if (n !== 17 && n !== 14 && n !== 10 && n !== 7 && n !== 6) continue;
    const lower = asciiLowercase(name);
    const value = fields[i + 1]!;
    if (lower === "transfer-encoding") {
      transferEncoding = transferEncoding === undefined ? value : `${transferEncoding},${value}`;
    } else if (lower === "content-length") {
      contentLength = _contentLength(value, contentLength);
    } else if (lower === "connection") {
      for (const token of value.split(",")) {
        const option = asciiLowercase(token.trim());
        if (option === "close") close = true;
        else if (option === "keep-alive") keepAliveToken = true;
      }
    } else if (lower === "upgrade") {
      upgrade = true;
    } else if (lower === "expect") {
      if (asciiLowercase(value) === "100-continue") expectContinue = !http10;
    }
  }
  const keepAlive = !close && (!http10 || keepAliveToken);
  if (transferEncoding !== undefined) {
    if (contentLength !== -1) {
      throw _bad("Invalid request head: both Content-Length and Transfer-Encoding");
    }
    if (http10) throw _bad("Invalid request head: Transfer-Encoding in an HTTP/1.0 request");
    const codings = transferEncoding.split(",").map((c) => asciiLowercase(c.trim())).filter((c) =>
      c !== ""
    );
    if (codings[codings.length - 1] !== "chunked") {
      throw _bad(
        `Invalid request head: Transfer-Encoding ${transferEncoding} does not end in chunked`,
      );
    }
    if (codings.indexOf("chunked") !== codings.length - 1) {
      throw _bad("Invalid request head: chunked applied more than once");
    }
    if (codings.length > 1) {
      throw new HttpHeadError(
        501,
        HttpHeadErrorCode.Malformed,
        `Unsupported transfer coding: ${codings[0]} (only chunked is understood)`,
      );
    }
    return { body: "chunked", length: 0, keepAlive, expectContinue, upgrade };
  }
  if (contentLength > 0) {
    return { body: "length", length: contentLength, keepAlive, expectContinue, upgrade };
  }
  return { body: "none", length: 0, keepAlive, expectContinue: false, upgrade };
}

/** Most digits of a Content-Length: 15 keeps every value a safe integer. */
const _MAX_LENGTH_DIGITS = 15;

/**
 * The value of one Content-Length line, which may be a list of equal values
 * (RFC 9110 §8.6 lets a recipient accept `5, 5`), checked against an
 * earlier line's value (`previous`, -1 for none).
 */
function _contentLength(value: string, previous: number): number {
  let result = previous;
  for (const item of value.split(",")) {
    const digits = item.trim();
    if (!/^[0-9]+$/.test(digits) || digits.length > _MAX_LENGTH_DIGITS) {
      throw _bad(`Invalid request head: Content-Length ${JSON.stringify(value)} is not a length`);
    }
    const length = Number(digits);
    if (result !== -1 && result !== length) {
      throw _bad("Invalid request head: Content-Length values differ");
    }
    result = length;
  }
  return result;
}

function _bad(message: string): HttpHeadError {
  return new HttpHeadError(400, HttpHeadErrorCode.Malformed, message);
}
