/**
 * The entry point for Node (20 and later) and Bun: the names of `mod.ts`,
 * with `serve` on `node:http` instead of `Deno.listen`,
 * `nodeUpgradeListener` for an `http.Server` you already run, and
 * `nodeConnector` (`node:net`/`node:tls`) as the clients' default
 * connector. `upgradeWebSocket`, `WebSocket`, `WebSocketStream` and
 * `connect` are the same functions and classes as on Deno.
 *
 * @example
 * ```ts ignore
 * import { serve, upgradeWebSocket, WebSocketStream } from "@edgews/websocket/node";
 *
 * const server = serve({ hostname: "127.0.0.1", port: 8080 }, (request) => {
 *   const { response, socket } = upgradeWebSocket(request);
 *   socket.onmessage = (event) => socket.send(event.data);
 *   return response;
 * });
 * await server.listening;
 * const wss = new WebSocketStream("ws://127.0.0.1:8080/");
 * const { readable, writable } = await wss.opened;
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
