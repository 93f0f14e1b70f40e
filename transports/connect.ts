/**
 * A one-call client: open, wait for the handshake, get the streams.
 *
 * @module
 */

import type { WebSocketCloseInfo } from "../connection/close_info.ts";
import {
  type WebSocketCloseOptions,
  type WebSocketOpenInfo,
  WebSocketStream,
  type WebSocketStreamOptions,
} from "../connection/websocket_stream.ts";
import { proxyConnector, type ProxyOption } from "./proxy.ts";

/**
 * Options for {@linkcode connect}: those of `WebSocketStream`, plus a proxy.
 *
 * @typeParam S Whether messages are streamed (`streamMessages`).
 */
export interface ConnectOptions<S extends boolean = boolean> extends WebSocketStreamOptions<S> {
  /**
   * Go through this HTTP proxy with a `CONNECT` tunnel (TLS for `wss:` runs
   * inside it): a URL such as `"http://user:password@host:port"`, or
   * `"env"` for `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`. See `proxyConnector`.
   */
  proxy?: ProxyOption | undefined;
}

/**
 * An open client connection, as {@linkcode connect} returns it.
 *
 * @typeParam S Whether messages are streamed (`streamMessages`).
 */
export interface ConnectedWebSocket<S extends boolean = false> extends WebSocketOpenInfo<S> {
  /** The underlying `WebSocketStream`. */
  socket: WebSocketStream<S>;
  /** Resolves after a clean close; rejects with a `WebSocketError` otherwise. */
  closed: Promise<WebSocketCloseInfo>;
  /** Start the closing handshake. */
  close(options?: WebSocketCloseOptions): void;
}

/**
 * Connect to a `ws:` or `wss:` URL and wait for the opening handshake.
 * Rejects with a `WebSocketError` that says what went wrong (refused
 * connection, non-101 status, bad `Sec-WebSocket-Accept`, an unoffered
 * subprotocol).
 *
 * @param url The server's URL.
 * @typeParam S Whether messages are streamed, from `options.streamMessages`.
 * @param options Subprotocols, headers, `caCerts`, limits, `signal`, `proxy`,
 * `followRedirects`, `heartbeat`, `streamMessages`.
 * @returns The streams, the negotiated protocol and extensions, and `close`.
 *
 * @example
 * ```ts
 * import { connect, serve, upgradeWebSocket } from "@edgews/websocket";
 * import assert from "node:assert/strict";
 *
 * const server = serve({ hostname: "127.0.0.1", port: 0 }, (request) => {
 *   const { response, socket } = upgradeWebSocket(request, { protocols: ["echo"] });
 *   socket.onmessage = (event) => socket.send(event.data);
 *   return response;
 * });
 * const ws = await connect(`ws://127.0.0.1:${server.addr.port}/`, { protocols: ["echo"] });
 * assert.equal(ws.protocol, "echo");
 * await ws.writable.getWriter().write("hi");
 * assert.equal((await ws.readable.getReader().read()).value, "hi");
 * ws.close();
 * await ws.closed;
 * await server.shutdown();
 * ```
 */
export async function connect<S extends boolean = false>(
  url: string | URL,
  options: ConnectOptions<S> = {},
): Promise<ConnectedWebSocket<S>> {
  const socket = new WebSocketStream<S>(
    url,
    options.proxy === undefined
      ? options
      : { ...options, connector: proxyConnector(options.proxy, options.connector) },
  );
  const opened = await socket.opened;
  return {
    ...opened,
    socket,
    closed: socket.closed,
    close: (closeOptions) => socket.close(closeOptions),
  };
}
