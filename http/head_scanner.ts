import { latin1Decode } from "./_http_syntax.ts";
import { HttpHeadError, HttpHeadErrorCode } from "../errors/http_head_error.ts";

const _CR = 0x0d;
const _LF = 0x0a;

/**
 * Finds the end of a head in the bytes fed to it, one chunk at a time: the
 * incremental, I/O-free part of reading a head. Enforces the size and
 * header-count limits as bytes arrive, and rejects bare CRs and LFs.
 *
 * @example Find a request's head and body framing in bytes that came in pieces
 * ```ts
 * import { ChunkedDecoder, HeadScanner, parseRequestHead, requestFraming } from "@edgews/websocket/http";
 * import assert from "node:assert/strict";
 *
 * const wire = new TextEncoder().encode(
 *   "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
 * );
 * const scanner = new HeadScanner("request", { maxHeadSize: 16384, maxHeaders: 100 });
 * let found;
 * for (let i = 0; i < wire.length && found === undefined; i++) {
 *   found = scanner.push(wire.subarray(i, i + 1), true); // one byte at a time
 * }
 * assert.equal(requestFraming(parseRequestHead(found!.lines)).body, "chunked");
 * const rest = wire.subarray(wire.indexOf(0x33)); // the body: "3\r\nabc..."
 * const data: Uint8Array[] = [];
 * new ChunkedDecoder().decode(rest, data);
 * assert.equal(new TextDecoder().decode(data[0]), "abc");
 * ```
 */

export class HeadScanner {
  readonly #kind: "request" | "response";
  readonly #maxHeadSize: number;
  readonly #maxHeaders: number;
  /** Head chunks so far; their total is `size`, which stays below `maxHeadSize`. */
  #parts: Uint8Array[] = [];
  #size = 0;
  /** Non-CR/LF bytes in the current line. */
  #lineLength = 0;
  /** Whether the previous byte was a CR. */
  #sawCR = false;
  /** Complete non-empty lines: the start line and the header lines. */
  #lines = 0;

  /**
   * A scanner for one head.
   *
   * @param kind Whether a request or a response head is read (for error messages).
   * @param limits Largest head in bytes, most header lines.
   */
  constructor(kind: "request" | "response", limits: { maxHeadSize: number; maxHeaders: number }) {
    this.#kind = kind;
    this.#maxHeadSize = limits.maxHeadSize;
    this.#maxHeaders = limits.maxHeaders;
  }

  /**
   * Scan the next chunk. Returns the head's lines and the bytes after it
   * once the head is complete, or `undefined` while it is not; then the
   * chunk is kept until the head ends: as it is, or with `copy` as a copy
   * (for a read buffer that is about to be reused).
   *
   * @throws {HttpHeadError} For a malformed or oversized head.
   */
  push(chunk: Uint8Array, copy = false): { lines: string[]; leftover: Uint8Array } | undefined {
    const kind = this.#kind;
    const maxHeaders = this.#maxHeaders;
    let lineLength = this.#lineLength;
    let sawCR = this.#sawCR;
    let lines = this.#lines;
    // Scan no further than the size limit allows. From CR to CR with the
    // native indexOf rather than a byte at a time (3 times faster on a
    // typical 200-byte head); every LF must come right after a CR.
    const limit = Math.min(chunk.length, this.#maxHeadSize - this.#size);
    let i = 0;
    while (i < limit) {
      let lineEnd: number; // index of the LF that ends a line
      if (sawCR) {
        if (chunk[i] !== _LF) throw _malformed(`Invalid ${kind} head: bare CR in a line`);
        sawCR = false;
        lineEnd = i;
      } else {
        let cr = chunk.indexOf(_CR, i);
        if (cr === -1 || cr >= limit) cr = limit;
        const lf = chunk.indexOf(_LF, i);
        if (lf !== -1 && lf < cr) {
          throw _malformed(`Invalid ${kind} head: line ends with a bare LF instead of CRLF`);
        }
        lineLength += cr - i;
        if (cr === limit) {
          i = limit;
          break;
        }
        if (cr + 1 === limit) {
          sawCR = true;
          i = limit;
          break;
        }
        if (chunk[cr + 1] !== _LF) throw _malformed(`Invalid ${kind} head: bare CR in a line`);
        lineEnd = cr + 1;
      }
      i = lineEnd + 1;
      if (lineLength > 0) {
        lines++;
        lineLength = 0;
        if (lines - 1 > maxHeaders) throw _tooManyHeaders(kind, maxHeaders);
      } else if (lines > 0) {
        // The head whole in this chunk (the usual case): decoded at once, without its CRLF CRLF.
        const head = this.#parts.length === 0
          ? latin1Decode(chunk.subarray(0, i - 4))
          : _joinParts(this.#parts, chunk.subarray(0, i));
        return { lines: _splitLines(head), leftover: chunk.subarray(i) };
      } // else: an empty line before the start line, skipped (RFC 9112 §2.2)
    }
    this.#lineLength = lineLength;
    this.#sawCR = sawCR;
    this.#lines = lines;
    this.#size += limit;
    if (this.#size >= this.#maxHeadSize) {
      if (lines === 0 && kind === "request") {
        // Still on the request line: its target is what is too long (RFC 9112 §3).
        throw new HttpHeadError(
          414,
          HttpHeadErrorCode.TooLarge,
          `Invalid request head: the request line is longer than ${this.#maxHeadSize} bytes`,
        );
      }
      throw new HttpHeadError(
        431,
        HttpHeadErrorCode.TooLarge,
        `Invalid ${kind} head: larger than ${this.#maxHeadSize} bytes`,
      );
    }
    if (chunk.length > 0) this.#parts.push(copy ? chunk.slice() : chunk);
    return undefined;
  }
}

function _malformed(message: string): HttpHeadError {
  return new HttpHeadError(400, HttpHeadErrorCode.Malformed, message);
}

function _tooManyHeaders(kind: string, maxHeaders: number): HttpHeadError {
  return new HttpHeadError(
    431,
    HttpHeadErrorCode.TooLarge,
    `Invalid ${kind} head: more than ${maxHeaders} header fields`,
  );
}

/** The head from its chunks and the last piece, without the final CRLF CRLF. */
function _joinParts(parts: Uint8Array[], last: Uint8Array): string {
  let head = "";
  for (const part of parts) head += latin1Decode(part);
  return (head + latin1Decode(last)).slice(0, -4);
}

/** Split the head (without its final CRLF CRLF) into lines, dropping leading empty lines. */
function _splitLines(head: string): string[] {
  // Leading CRLFs are skipped empty lines.
  const lines = head.split("\r\n");
  let first = 0;
  while (lines[first] === "") first++;
  return first === 0 ? lines : lines.slice(first);
}
