/**
 * Client connections on Node (20 and later) and Bun: `node:net` and
 * `node:tls` sockets, seen as web streams through `Duplex.toWeb`.
 *
 * @module
 */

import type { Connector } from "../connection/upgraded.ts";
import { _socketConnector } from "./_socket_connector.ts";
import { _nodeDriver } from "./_node_socket.ts";

/**
 * Open `ws:` over `node:net` and `wss:` over `node:tls` (with the system's
 * CAs plus `caCerts`), through an HTTP proxy when asked (see
 * `proxyConnector`), and perform the client's opening handshake. The Node
 * entry point (`@edgews/websocket/node`) makes it the default connector.
 *
 * @example
 * ```ts ignore
 * import { nodeConnector, WebSocketStream } from "@edgews/websocket/node";
 *
 * const wss = new WebSocketStream("ws://127.0.0.1:8080/", { connector: nodeConnector });
 * const { readable, writable } = await wss.opened;
 * ```
 */
export const nodeConnector: Connector = _socketConnector(_nodeDriver);
