/**
 * Server-side `WebSocketStream`: a `Request` in, a `101` `Response` and a
 * socket with the WHATWG `WebSocketStream` shape out.
 *
 * @module
 */

import { _serverSocket } from "../connection/_server_socket.ts";
import { WebSocketStream, type WebSocketStreamOptions } from "../connection/websocket_stream.ts";
import { _prepareUpgrade } from "./_server_upgrade.ts";
import type { UpgradeWebSocketOptions } from "./upgrade_websocket_options.ts";

/**
 * Options for {@linkcode upgradeWebSocketStream}: those of
 * `upgradeWebSocket`, plus the stream's `highWaterMark` and
 * `streamMessages`.
 *
 * @typeParam S Whether messages are streamed (`streamMessages`).
 */
export interface UpgradeWebSocketStreamOptions<S extends boolean = boolean>
  extends
    UpgradeWebSocketOptions,
    Pick<WebSocketStreamOptions<S>, "highWaterMark" | "streamMessages"> {}

/**
 * What {@linkcode upgradeWebSocketStream} returns.
 *
 * @typeParam S Whether messages are streamed (`streamMessages`).
 */
export interface WebSocketStreamUpgrade<S extends boolean = false> {
  /** Return this from the handler: the `101` (or an error response). */
  response: Response;
  /**
   * The socket: `opened` resolves once the `101` is written (and rejects
   * when the handshake was refused), `closed` when the connection ends,
   * `close()` starts the closing handshake.
   */
  socket: WebSocketStream<S>;
}

/**
 * Accept a WebSocket upgrade as a `WebSocketStream`: the same checks,
 * options and runtimes as {@linkcode upgradeWebSocket} (this module's
 * `serve` on Deno, Node and Bun; `Deno.serve`; Cloudflare's
 * `WebSocketPair`), with the socket in the WHATWG `WebSocketStream`
 * shape: `opened` gives `{ readable, writable, protocol, extensions }`,
 * `closed` gives `{ closeCode, reason }`, `close({ closeCode, reason })`.
 *
 * Backpressure runs end to end on this module's own `serve`: while
 * `highWaterMark` messages wait unread in `readable`, the server stops
 * reading the socket, so TCP slows the client down; `writable` writes
 * resolve when the socket accepted the bytes. On `Deno.serve` and Workers
 * the runtime owns the socket and cannot stop reading: unread messages
 * queue in memory there.
 *
 * @typeParam S Whether messages are streamed, from `options.streamMessages`.
 * @param request The upgrade request, as handed to the server's handler.
 * @param options Subprotocols, origin policy, extra 101 headers, limits,
 * `heartbeat`, `signal`, `highWaterMark`, `streamMessages`.
 * @returns The response to return and the socket.
 * @throws {TypeError} When the request came from a server that cannot be
 * upgraded (a plain `node:http` request outside this module's `serve`).
 *
 * @example Echo every message back, with backpressure
 * ```ts
 * import { serve, upgradeWebSocketStream, WebSocketStream } from "@edgews/websocket";
 * import assert from "node:assert/strict";
 *
 * const server = serve({ hostname: "127.0.0.1", port: 0 }, (request) => {
 *   const { response, socket } = upgradeWebSocketStream(request);
 *   socket.opened.then(({ readable, writable }) => readable.pipeTo(writable)).catch(() => {});
 *   return response;
 * });
 * const client = new WebSocketStream(`ws://127.0.0.1:${server.addr.port}/`);
 * const { readable, writable } = await client.opened;
 * await writable.getWriter().write("hello");
 * const reader = readable.getReader();
 * assert.equal((await reader.read()).value, "hello");
 * client.close({ closeCode: 1000 });
 * await client.closed;
 * await server.shutdown();
 * ```
 */
export function upgradeWebSocketStream<S extends boolean = false>(
  request: Request,
  options: UpgradeWebSocketStreamOptions<S> = {},
): WebSocketStreamUpgrade<S> {
  const { response, url, options: socketOptions, pending } = _prepareUpgrade(request, options);
  return {
    response,
    socket: _serverSocket<WebSocketStream<S>>(WebSocketStream, url, socketOptions, pending),
  };
}
