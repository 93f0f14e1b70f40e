import { isFieldChar, isTokenString, isWhitespace, quote } from "./_http_syntax.ts";
import { HttpHeadError, HttpHeadErrorCode } from "../errors/http_head_error.ts";

/** A request head, checked: what {@linkcode parseRequestHead} returns. */
export interface ParsedRequestHead {
  /** The method, case kept. */
  method: string;
  /** The request target as sent. */
  target: string;
  /** `"HTTP/1.1"` or `"HTTP/1.0"` (any `HTTP/1.x`). */
  httpVersion: string;
  /** The URL: `http://{Host}{target}` (`localhost` when Host is absent), or the absolute-form target. */
  url: string;
  /** Header names and values, alternating: `[name, value, name, value, ...]`, names as sent. */
  fields: string[];
}

/**
 * Parse and check the lines of a request head (start line first, no empty
 * lines), as {@linkcode HeadScanner} returns them. The rules and the status
 * of each refusal are listed by the table in `http/request_head_test.ts`.
 *
 * @param lines The head's lines.
 * @param options `absoluteForm`: accept `http://host/path` targets (RFC 9112
 * §3.2.2, which servers must accept); refused by default.
 * @returns The checked parts and the URL.
 * @throws {HttpHeadError} 400 for malformed lines, 505 for HTTP/2+ versions.
 *
 * @example
 * ```ts
 * import { parseRequestHead } from "@edgews/websocket/http";
 * import assert from "node:assert/strict";
 *
 * const head = parseRequestHead(["POST /upload?x=1 HTTP/1.1", "Host: example.com", "Content-Length: 3"]);
 * assert.equal(head.url, "http://example.com/upload?x=1");
 * assert.deepEqual(head.fields, ["Host", "example.com", "Content-Length", "3"]);
 * ```
 */
export function parseRequestHead(
  lines: string[],
  options: { absoluteForm?: boolean } = {},
): ParsedRequestHead {
  // request-line = method SP request-target SP HTTP-version (RFC 9112 §3)
  const startLine = lines[0]!;
  const parts = startLine.split(" ");
  // Indexing, not destructuring: no iterator.
  const method = parts[0], target = parts[1], httpVersion = parts[2];
  if (
    parts.length !== 3 || method === undefined || target === undefined ||
    httpVersion === undefined || method === "" || target === ""
  ) {
    throw _malformed(`Invalid request line: ${quote(startLine)}`);
  }
  _checkVersion(httpVersion, "request line", startLine);
  if (!isTokenString(method)) {
    throw _malformed(`Invalid request line: method ${quote(method)} is not a token`);
  }
  if (!_NORMALIZED_METHODS.has(method)) {
    const upper = method.toUpperCase();
    if (_NORMALIZED_METHODS.has(upper)) {
      throw _malformed(
        `Invalid request line: method ${
          quote(method)
        } is not ${upper} (methods are case-sensitive)`,
      );
    }
  }
  if (target === "*") {
    throw _malformed("Invalid request line: the asterisk-form target (*) is not supported");
  }
  const absolute = options.absoluteForm === true && target.charCodeAt(0) !== 0x2f &&
    /^https?:\/\//i.test(target);
  if (!absolute && !target.startsWith("/")) {
    throw _malformed(
      `Invalid request line: target ${quote(target)} is not a path (only origin-form is supported)`,
    );
  }
  for (let i = 0; i < target.length; i++) {
    const code = target.charCodeAt(i);
    if (code <= 0x20 || code >= 0x7f || code === 0x23) { // CTL, SP, DEL, "#", non-ASCII
      throw _malformed(`Invalid request line: target ${quote(target)} has an invalid character`);
    }
  }
  const fields = _parseFields(lines, "request");
  let host: string | null = null;
  for (let i = 0; i < fields.length; i += 2) {
    if (_isHost(fields[i]!)) host = fields[i + 1]!;
  }
  if (host !== null && host !== "" && !_HOST.test(host)) {
    throw _malformed(`Invalid request head: Host ${quote(host)} is not a host and port`);
  }
  // An absolute-form target names the host itself; Host is then ignored (RFC 9112 §3.2.2).
  const url = absolute ? target : `http://${host || "localhost"}${target}`;
  return { method, target, httpVersion, url, fields };
}

/** Methods `Request` uppercases when given in any case (Fetch "normalize"). */
const _NORMALIZED_METHODS = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);

/** `Host` = uri-host [ ":" port ] (RFC 9110 §7.2), IP literals included. */
const _HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::[0-9]*)?$/;

/** `HTTP-version = "HTTP/" DIGIT "." DIGIT`, major version 1 only. */
export function _checkVersion(version: string, kind: string, line: string): void {
  if (version === "HTTP/1.1" || version === "HTTP/1.0") return; // no match array to make
  const match = /^HTTP\/([0-9])\.[0-9]$/.exec(version);
  if (match === null) throw _malformed(`Invalid ${kind} ${quote(line)}: bad HTTP version`);
  if (match[1] !== "1") {
    throw new HttpHeadError(
      505,
      HttpHeadErrorCode.Malformed,
      `Unsupported HTTP version: ${quote(version)} (only HTTP/1.x is spoken here)`,
    );
  }
}

/**
 * Parse the header lines (`lines[1..]`) of a head (RFC 9112 §5) into
 * validated names and values, alternating: `[name, value, name, value, ...]`.
 */
export function _parseFields(lines: string[], kind: string): string[] {
  const fields: string[] = [];
  let hosts = 0;
  for (let n = 1; n < lines.length; n++) {
    const line = lines[n]!;
    if (isWhitespace(line.charCodeAt(0))) {
      throw _malformed(`Invalid ${kind} head: line folding (obs-fold) is not allowed`);
    }
    const colon = line.indexOf(":");
    if (colon === -1) {
      throw _malformed(`Invalid ${kind} head: header line without a colon: ${quote(line)}`);
    }
    const name = line.slice(0, colon);
    if (isWhitespace(name.charCodeAt(name.length - 1))) {
      throw _malformed(`Invalid ${kind} head: whitespace before the colon in ${quote(name)}`);
    }
    if (!isTokenString(name)) {
      throw _malformed(`Invalid ${kind} head: header name ${quote(name)} is not a token`);
    }
    // Trimmed in place, then sliced once (not sliced, then trimmed into another string).
    let from = colon + 1;
    let to = line.length;
    while (from < to && isWhitespace(line.charCodeAt(from))) from++;
    while (to > from && isWhitespace(line.charCodeAt(to - 1))) to--;
    const value = line.slice(from, to);
    for (let i = 0; i < value.length; i++) {
      if (!isFieldChar(value.charCodeAt(i))) {
        throw _malformed(
          `Invalid ${kind} head: header ${quote(name)} has a control character in its value`,
        );
      }
    }
    if (kind === "request" && _isHost(name) && ++hosts > 1) {
      throw _malformed(`Invalid ${kind} head: more than one Host header`);
    }
    fields.push(name, value);
  }
  return fields;
}

/** Whether a header name is `Host`, in any case (no lowercased copy made). */
function _isHost(name: string): boolean {
  return name.length === 4 && (name.charCodeAt(0) | 0x20) === 0x68 &&
    (name.charCodeAt(1) | 0x20) === 0x6f && (name.charCodeAt(2) | 0x20) === 0x73 &&
    (name.charCodeAt(3) | 0x20) === 0x74;
}

function _malformed(message: string): HttpHeadError {
  return new HttpHeadError(400, HttpHeadErrorCode.Malformed, message);
}
