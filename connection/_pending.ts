/**
 * The internal way a server upgrade hands a not-yet-open transport to the
 * public socket classes (not exported from `mod.ts`).
 *
 * @module
 */

import type { UpgradedTransport } from "./upgraded.ts";
import type { WebSocketConnection } from "./websocket_connection.ts";

/** Option key: a transport that will be ready once the 101 has been written. */
export const _PENDING: unique symbol = Symbol("pendingTransport");

/** The role and the transport promise for a socket created by a server. */
export interface _PendingTransport {
  role: "client" | "server";
  transport: Promise<UpgradedTransport>;
  /** Told about the connection once it runs (a server uses it to close with 1001 on shutdown). */
  onConnection?: ((connection: WebSocketConnection) => void) | undefined;
  /**
   * Told when that connection has ended. A plain callback rather than
   * `connection.closed.then(...)`: the promise, its resolver and the
   * reaction would cost every idle connection about 300 bytes.
   */
  onClosed?: ((connection: WebSocketConnection) => void) | undefined;
}
