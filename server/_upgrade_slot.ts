/**
 * The link between a `Request` read by this module's own server and the raw
 * connection it came from, so `upgradeWebSocket` can take the connection over
 * (not exported from `mod.ts`).
 *
 * @module
 */

import type { ByteDuplex } from "../connection/duplex.ts";
import type { UpgradedTransport } from "../connection/upgraded.ts";
import type { WebSocketConnection } from "../connection/websocket_connection.ts";

/** One request's connection, waiting for the handler's answer. */
export interface _UpgradeSlot {
  duplex: ByteDuplex;
  leftover: Uint8Array;
  httpVersion: string;
  /** Set by `upgradeWebSocket`: the 101 to expect and how to hand the transport over. */
  upgrade?: {
    response: Response;
    resolve(transport: UpgradedTransport): void;
    reject(error: unknown): void;
    protocol: string;
    extensions: string;
  } | undefined;
  /** Told when a WebSocket starts running on this connection (for graceful shutdown). */
  connected(connection: WebSocketConnection): void;
  /** Told when that WebSocket has ended. */
  disconnected(connection: WebSocketConnection): void;
}

const _slots = new WeakMap<Request, _UpgradeSlot>();

/** Remember which connection `request` came from. */
export function _setUpgradeSlot(request: Request, slot: _UpgradeSlot): void {
  _slots.set(request, slot);
}

/** The connection `request` came from, when this module's server read it. */
export function _getUpgradeSlot(request: Request): _UpgradeSlot | undefined {
  return _slots.get(request);
}
