import type { CloseCode } from "./close_code.ts";

/**
 * A WebSocket failure that carries the close code to send (or that was
 * received) and a message a person can act on.
 *
 * The protocol core never throws these across its API: it records them and
 * reports them, and the connection layer closes with {@linkcode closeCode}.
 *
 * @example
 * ```ts
 * import { CloseCode, WebSocketError } from "@edgews/websocket/frames";
 * import assert from "node:assert/strict";
 *
 * const error = new WebSocketError(
 *   CloseCode.ProtocolError,
 *   "Invalid frame: control frame is fragmented",
 * );
 * assert.equal(error.closeCode, 1002);
 * assert.equal(error.name, "WebSocketError");
 * ```
 */
export class WebSocketError extends Error {
  /** The close code that goes with this failure (RFC 6455 §7.4). */
  readonly closeCode: CloseCode | number;

  /**
   * Create an error.
   *
   * @param closeCode The close code to send or that was received.
   * @param message What went wrong, in words a person can act on.
   * @param options Standard `Error` options such as `cause`.
   */
  constructor(
    closeCode: CloseCode | number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "WebSocketError";
    this.closeCode = closeCode;
  }
}
