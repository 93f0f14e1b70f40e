/**
 * The module-private way a server upgrade makes its socket: the static
 * blocks of `WebSocket` and `WebSocketStream` register a factory here that
 * builds a server-side instance around a transport that is not open yet.
 * The public constructors stay client-only. Not exported from `mod.ts`.
 *
 * @module
 */

import type { UpgradedTransport } from "./upgraded.ts";
import type { ConnectionOptions } from "./connection_options.ts";
import type { WebSocketConnection } from "./websocket_connection.ts";

/** The transport of a socket made by a server upgrade, and who to tell about its connection. */
export interface _PendingTransport {
  /** Ready once the 101 has been written (or the runtime's socket opened). */
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

/** A socket class, typed loosely: this file does not import the classes that import it. */
type _SocketClass = abstract new (...args: never[]) => object;

/** A registered factory: builds a server-side socket of its class. */
type _Factory = (
  url: string | URL,
  options: ConnectionOptions,
  pending: _PendingTransport,
) => object;

const _factories = new Map<_SocketClass, _Factory>();

/** Called by a socket class's static block. */
export function _registerServerSocket(socketClass: _SocketClass, factory: _Factory): void {
  _factories.set(socketClass, factory);
}

/**
 * A server-side instance of `socketClass` (`WebSocket` or `WebSocketStream`)
 * on `pending`'s transport, with `options` as its constructor would take
 * them.
 */
export function _serverSocket<T extends object>(
  socketClass: abstract new (...args: never[]) => T,
  url: string | URL,
  options: ConnectionOptions,
  pending: _PendingTransport,
): T {
  const factory = _factories.get(socketClass);
  if (factory === undefined) {
    throw new TypeError(`Cannot make a server socket: ${socketClass.name}`);
  }
  return factory(url, options, pending) as T;
}
