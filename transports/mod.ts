/**
 * Transports for Deno: {@linkcode serve} with {@linkcode upgradeWebSocket},
 * and {@linkcode denoConnector} for clients, registered as the default
 * connector of `WebSocket` and `WebSocketStream` when running on Deno;
 * {@linkcode cloudflareConnector} for Workers' outbound sockets, and
 * {@linkcode proxyConnector} for HTTP proxy tunnels on any of them.
 *
 * @example
 * ```ts
 * import { serve, upgradeWebSocket, WebSocketStream } from "@edgews/websocket";
 * import assert from "node:assert/strict";
 *
 * const server = serve({ hostname: "127.0.0.1", port: 0 }, async (request) => {
 *   const { response, socket } = upgradeWebSocket(request);
 *   socket.onmessage = (event) => socket.send(event.data);
 *   return response;
 * });
 * const wss = new WebSocketStream(`ws://127.0.0.1:${server.addr.port}/`);
 * const { readable, writable } = await wss.opened;
 * await writable.getWriter().write("ping");
 * const { value } = await readable.getReader().read();
 * assert.equal(value, "ping");
 * wss.close({ closeCode: 1000 });
 * await wss.closed;
 * await server.shutdown();
 * ```
 *
 * @module
 */
import { setDefaultConnector } from "../connection/upgraded.ts";
import { denoConnector } from "./deno_connector.ts";

export * from "./cloudflare.ts";
export * from "./connect.ts";
export * from "./deno_connector.ts";
export * from "./proxy.ts";
export * from "../server/serve.ts";
export * from "./upgrade_websocket.ts";
export * from "./upgrade_websocket_stream.ts";

if (typeof globalThis.Deno?.connect === "function") setDefaultConnector(denoConnector);
