/**
 * Client connections on Node (20 and later) and Bun: `node:net` and
 * `node:tls` sockets, read from their `'data'` events.
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
 * ```ts
 * import { nodeConnector, WebSocketStream } from "@edgews/websocket/node";
 * import { serve, upgradeWebSocket } from "@edgews/websocket";
 * import assert from "node:assert/strict";
 *
 * const server = serve({ hostname: "127.0.0.1", port: 0 }, (request) => {
 *   const { response, socket } = upgradeWebSocket(request);
 *   socket.onmessage = (event) => socket.send(event.data);
 *   return response;
 * });
 * const wss = new WebSocketStream(`ws://127.0.0.1:${server.addr.port}/`, {
 *   connector: nodeConnector,
 * });
 * const { readable, writable } = await wss.opened;
 * await writable.getWriter().write("over node:net");
 * assert.equal((await readable.getReader().read()).value, "over node:net");
 * wss.close();
 * await wss.closed;
 * await server.shutdown();
 * ```
 */
export const nodeConnector: Connector = _socketConnector(_nodeDriver);
