/**
 * What went wrong while reading an HTTP head, for code that needs to act on
 * it (for example, not to bother answering a peer that already hung up).
 */
export const HttpHeadErrorCode = {
  /** The head broke the HTTP/1.1 syntax (status 400, or 505 for an HTTP major version other than 1). */
  Malformed: "malformed",
  /** The head was larger than `maxHeadSize` or had more than `maxHeaders` fields (status 431). */
  TooLarge: "too-large",
  /** The `signal` aborted the read before the head was complete (status 408). */
  Timeout: "timeout",
  /** The stream ended or failed before the head was complete (status 400). */
  Closed: "closed",
} as const;

/**
 * A code from {@linkcode HttpHeadErrorCode}.
 */
export type HttpHeadErrorCode = typeof HttpHeadErrorCode[keyof typeof HttpHeadErrorCode];

/**
 * A failure to read an HTTP/1.1 request or response head, with the HTTP
 * status a server would answer with (400, 408, 431 or 505) and a
 * machine-readable {@linkcode HttpHeadError.code}. For a response head read
 * by a client the status only classifies the problem.
 *
 * @example
 * ```ts
 * import { HttpHeadError, readRequestHead } from "@edgews/websocket/handshake";
 * import assert from "node:assert/strict";
 *
 * const bytes = new TextEncoder().encode("GET / HTTP/1.1\r\nHost : x\r\n\r\n");
 * await assert.rejects(readRequestHead(ReadableStream.from([bytes])), (error) => {
 *   assert.ok(error instanceof HttpHeadError);
 *   assert.equal(error.status, 400);
 *   assert.equal(error.code, "malformed");
 *   return true;
 * });
 * ```
 */
export class HttpHeadError extends Error {
  /** The HTTP status that describes the problem. */
  readonly status: number;
  /** The kind of problem. */
  readonly code: HttpHeadErrorCode;

  /**
   * Create an error.
   *
   * @param status The HTTP status that describes the problem.
   * @param code The kind of problem.
   * @param message What went wrong, in words a person can act on.
   * @param options Standard `Error` options such as `cause`.
   */
  constructor(
    status: number,
    code: HttpHeadErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "HttpHeadError";
    this.status = status;
    this.code = code;
  }
}
