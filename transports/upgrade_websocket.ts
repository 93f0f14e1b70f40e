/**
 * Server-side upgrade: a `Request` in, a `101` `Response` and a socket out.
 *
 * @module
 */

import { _serverSocket } from "../connection/_server_socket.ts";
import { WebSocket } from "../connection/websocket.ts";
import { _prepareUpgrade } from "./_server_upgrade.ts";
import type { UpgradeWebSocketOptions } from "./upgrade_websocket_options.ts";

export * from "./upgrade_websocket_options.ts";

/**
 * What {@linkcode upgradeWebSocket} returns, as `Deno.upgradeWebSocket` does.
 */
export interface WebSocketUpgrade {
  /** Return this from the handler: the `101` (or an error response). */
  response: Response;
  /** The socket; it opens once the server has written the `101`. */
  socket: WebSocket;
}

/**
 * Accept a WebSocket upgrade: checks the handshake (RFC 6455 §4.2.1),
 * negotiates the subprotocol, and returns the `101` response plus a WHATWG
 * `WebSocket` (this module's class, with the same events, close codes and
 * limits everywhere). When the handshake is invalid, `response` is the error
 * response (400, 403 or 426) and the socket fails with 1006 without ever
 * opening.
 *
 * Who does the framing depends on where the request came from:
 * - this module's {@linkcode serve} (Deno) or the `serve` of
 *   `@edgews/websocket/node` (Node, Bun): this module, on the raw socket;
 * - `Deno.serve` or Deno Deploy: Deno, through `Deno.upgradeWebSocket`;
 * - Cloudflare Workers: the Workers runtime, through a `WebSocketPair`.
 *
 * In the last two the runtime's socket is wrapped, so the handler's code is
 * the same; the runtime sends keep-alive pings (`heartbeat.interval`
 * becomes Deno's `idleTimeout`, and `lastRoundTripTime` stays `undefined`), negotiates no extensions, and cannot stop reading
 * for backpressure (unread messages queue in memory).
 *
 * Extra headers on the 101 (such as `Set-Cookie`): pass them as
 * `options.headers`, or add them to `response.headers` before returning
 * it; both work everywhere. This module's own servers also accept a new
 * `101` `Response` built by the handler: its headers are added to the
 * handshake's (whose own `Upgrade`, `Connection` and `Sec-WebSocket-*`
 * headers cannot be replaced).
 *
 * @param request The upgrade request, as handed to the server's handler.
 * @param options Subprotocols, origin policy, extra 101 headers, limits,
 * `perMessageDeflate` (off unless set: see `ConnectionOptions`).
 * @returns The response to return and the socket.
 * @throws {TypeError} When the request came from a server that cannot be
 * upgraded (a plain `node:http` request outside this module's `serve`).
 *
 * @example Accept "chat" and echo
 * ```ts
 * import { connect, serve, upgradeWebSocket } from "@edgews/websocket";
 * import assert from "node:assert/strict";
 *
 * const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
 *   const { response, socket } = upgradeWebSocket(request, { protocols: ["chat"] });
 *   socket.onmessage = (event) => socket.send(event.data);
 *   return response;
 * });
 * const ws = await connect(`ws://127.0.0.1:${server.addr.port}/`, { protocols: ["chat"] });
 * assert.equal(ws.protocol, "chat");
 * await ws.writable.getWriter().write("hi");
 * assert.equal((await ws.readable.getReader().read()).value, "hi");
 * ws.close();
 * await ws.closed;
 * await server.shutdown();
 * ```
 */
export function upgradeWebSocket(
  request: Request,
  options: UpgradeWebSocketOptions = {},
): WebSocketUpgrade {
  const { response, url, options: socketOptions, pending } = _prepareUpgrade(request, options);
  return { response, socket: _serverSocket(WebSocket, url, socketOptions, pending) };
}
