/**
 * A zero-dependency WebSocket module (RFC 6455, RFC 7692) built from web
 * standard parts, for Deno, Node, Bun and edge runtimes.
 *
 * The root is the application API: {@linkcode serve} and
 * {@linkcode upgradeWebSocket} (or {@linkcode upgradeWebSocketStream}) on
 * the server, {@linkcode connect}, {@linkcode WebSocket} and
 * {@linkcode WebSocketStream} on the client, {@linkcode Broadcaster} and
 * {@linkcode PubSub} to fan messages out, proxy support, and the close
 * codes and errors. The protocol core, which has no I/O, is public on
 * subpaths: `@edgews/websocket/frames`, `/messages`, `/masking`,
 * `/protocol`, `/handshake`, `/http`, `/compression`, `/inspector`,
 * `/connection`, `/errors`; the engines of `PubSub` are on `/pubsub`. On
 * Node and Bun, import `@edgews/websocket/node`.
 *
 * @example Echo over a loopback server
 * ```ts
 * import { connect, serve, upgradeWebSocket } from "@edgews/websocket";
 * import assert from "node:assert/strict";
 *
 * const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
 *   const { response, socket } = upgradeWebSocket(request);
 *   socket.onmessage = (event) => socket.send(event.data);
 *   return response;
 * });
 * const ws = await connect(`ws://127.0.0.1:${server.addr.port}/`);
 * await ws.writable.getWriter().write("hello");
 * assert.equal((await ws.readable.getReader().read()).value, "hello");
 * ws.close();
 * await ws.closed;
 * await server.shutdown();
 * ```
 *
 * @module
 */
export {
  serve,
  type ServeHandler,
  type ServeHandlerInfo,
  type ServeOptions,
  type WebSocketServer,
} from "./transports/mod.ts";
export {
  upgradeWebSocket,
  type UpgradeWebSocketOptions,
  type WebSocketUpgrade,
} from "./transports/mod.ts";
export {
  upgradeWebSocketStream,
  type UpgradeWebSocketStreamOptions,
  type WebSocketStreamUpgrade,
} from "./transports/mod.ts";
export { connect, type ConnectedWebSocket, type ConnectOptions } from "./transports/mod.ts";
export { proxyConnector, type ProxyOption } from "./transports/proxy.ts";
export {
  WebSocket,
  type WebSocketCloseInfo,
  type WebSocketCloseOptions,
  type WebSocketOpenInfo,
  type WebSocketOptions,
  WebSocketStream,
  type WebSocketStreamOptions,
} from "./connection/mod.ts";
export { Broadcaster, type BroadcasterOptions } from "./broadcast/mod.ts";
export { PubSub, type PubSubOptions } from "./pubsub/pubsub.ts";
export { CloseCode, HandshakeStatusError, ProxyError, WebSocketError } from "./errors/mod.ts";
