import { CloseCode } from "./close_code.ts";
import { WebSocketError } from "./websocket_error.ts";

/**
 * The server answered the opening handshake with `status` instead of
 * `101 Switching Protocols` (close code 1002). `headers` are the response's
 * headers: `Location` for a redirect (see the `followRedirects` option of
 * `WebSocketStream` and `WebSocket`), `Retry-After` for a 503,
 * `Sec-WebSocket-Version` for a 426. `body` is the start of the response's
 * body (up to 1 KiB, as UTF-8), which the message quotes: often the only
 * reason a server gives for a 401 or 403.
 *
 * @example
 * ```ts
 * import { HandshakeStatusError, verifyServerHandshake } from "@edgews/websocket/handshake";
 * import assert from "node:assert/strict";
 *
 * const headers = new Headers({ location: "wss://new.example/" });
 * await assert.rejects(verifyServerHandshake({ status: 301, headers }, { key: "x" }), (error) => {
 *   assert.ok(error instanceof HandshakeStatusError);
 *   assert.equal(error.status, 301);
 *   assert.equal(error.headers.get("location"), "wss://new.example/");
 *   return true;
 * });
 * const bodyPrefix = new TextEncoder().encode("invalid token");
 * await assert.rejects(
 *   verifyServerHandshake({ status: 401, headers: new Headers(), bodyPrefix }, { key: "x" }),
 *   { status: 401, body: "invalid token", message: /: "invalid token"$/ },
 * );
 * ```
 */
export class HandshakeStatusError extends WebSocketError {
  /** The status the server answered with. */
  readonly status: number;
  /** The headers of that response. */
  readonly headers: Headers;
  /** The start of its body, decoded as UTF-8; empty when there was none. */
  readonly body: string;

  /**
   * Create the error.
   *
   * @param status The response's status.
   * @param headers The response's headers.
   * @param message What went wrong, for a person.
   * @param body The start of the response's body.
   */
  constructor(status: number, headers: Headers, message: string, body = "") {
    super(CloseCode.ProtocolError, message);
    this.name = "HandshakeStatusError";
    this.status = status;
    this.headers = headers;
    this.body = body;
  }
}
