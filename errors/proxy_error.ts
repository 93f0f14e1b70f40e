import { CloseCode } from "./close_code.ts";
import { WebSocketError } from "./websocket_error.ts";

/**
 * An HTTP proxy refused to open a `CONNECT` tunnel (RFC 9110 §9.3.6): it
 * answered `407 Proxy Authentication Required`, or another status than
 * 2xx. No WebSocket was ever opened, so the close code is 1006.
 *
 * @example
 * ```ts
 * import { ProxyError } from "@edgews/websocket";
 * import assert from "node:assert/strict";
 *
 * const error = new ProxyError(407, "Proxy authentication failed");
 * assert.equal(error.status, 407);
 * assert.equal(error.closeCode, 1006);
 * assert.equal(error.name, "ProxyError");
 * ```
 */
export class ProxyError extends WebSocketError {
  /** The proxy's HTTP status, such as 407 or 403. */
  readonly status: number;

  /**
   * Create an error.
   *
   * @param status The status the proxy answered with.
   * @param message What went wrong and what to change.
   * @param options Standard `Error` options such as `cause`.
   */
  constructor(status: number, message: string, options?: ErrorOptions) {
    super(CloseCode.AbnormalClosure, message, options);
    this.name = "ProxyError";
    this.status = status;
  }
}
