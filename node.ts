/**
 * The entry point for Node (20 and later) and Bun: the names of `mod.ts`,
 * with `serve` on `node:http` instead of `Deno.listen`,
 * `nodeUpgradeListener` for an `http.Server` you already run, and
 * `nodeConnector` (`node:net`/`node:tls`) as the clients' default
 * connector. `upgradeWebSocket`, `WebSocket`, `WebSocketStream` and
 * `connect` are the same functions and classes as on Deno.
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
export * from "./mod.ts";
export {
  nodeConnector,
  nodeUpgradeListener,
  type NodeWebSocketServer,
  serve,
} from "./transports/node.ts";
