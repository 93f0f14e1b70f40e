/**
 * Transports for Node (20 and later) and Bun: {@linkcode serve} on
 * `node:http` with this module's framing on the upgraded `node:net` socket,
 * {@linkcode nodeUpgradeListener} for an `http.Server` you already run, and
 * {@linkcode nodeConnector} for clients, registered as the default connector
 * of `WebSocket`, `WebSocketStream` and `connect` when this file is imported.
 *
 * @example
 * ```ts
 * import { connect, serve, upgradeWebSocket } from "@edgews/websocket/node";
 * import assert from "node:assert/strict";
 *
 * const server = serve({ hostname: "127.0.0.1", port: 0 }, (request) => {
 *   const { response, socket } = upgradeWebSocket(request);
 *   socket.onmessage = (event) => socket.send(event.data);
 *   return response;
 * });
 * const { port } = await server.listening;
 * const ws = await connect(`ws://127.0.0.1:${port}/`);
 * await ws.writable.getWriter().write("ping");
 * assert.equal((await ws.readable.getReader().read()).value, "ping");
 * ws.close();
 * await ws.closed;
 * await server.shutdown();
 * ```
 *
 * @module
 */
import { setDefaultConnector } from "../connection/upgraded.ts";
import { nodeConnector } from "./node_connector.ts";

export * from "./node_connector.ts";
export * from "./node_serve.ts";

setDefaultConnector(nodeConnector);
