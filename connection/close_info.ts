/**
 * How a connection ended.
 *
 * @module
 */

/**
 * The outcome of a connection, as `WebSocketStream.closed` and the
 * `WebSocket` close event report it.
 */
export interface WebSocketCloseInfo {
  /**
   * The close code (RFC 6455 §7.1.5): the peer's, 1005 when its close frame
   * had none, or 1006 when the connection dropped without a closing handshake.
   */
  closeCode: number;
  /** The close reason; empty when none was given. */
  reason: string;
}
