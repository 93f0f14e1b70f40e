/**
 * An HTTP/1.1 server on `Deno.listen`/`Deno.listenTls` (RFC 9110, RFC 9112)
 * with the shape of `Deno.serve`: a `Request` in, a `Response` out, over
 * persistent connections, with streamed bodies both ways; and WebSocket
 * upgrades that run this module's framing on the raw connection.
 *
 * @module
 */

import type { WebSocketConnection } from "../connection/websocket_connection.ts";
import { CloseCode } from "../errors/close_code.ts";
import { _HttpConnection, type _ServerContext } from "./_http_connection.ts";
import {
  type NetAddr,
  SERVE_DEFAULTS,
  type ServeHandler,
  type ServeOptions,
  type WebSocketServer,
} from "./serve_options.ts";

export * from "./serve_options.ts";

/** How often connection deadlines are checked: timeouts fire up to this late. */
const _SWEEP_INTERVAL = 250;

/** At most one accept error is logged in this many ms. */
const _ACCEPT_LOG_INTERVAL = 10_000;

/**
 * Serve HTTP/1.1 with this module's WebSocket framing for upgrades.
 *
 * Persistent connections and pipelining, request bodies as streams with
 * backpressure, responses streamed (`Content-Length` when the body is
 * known at once, `chunked` otherwise), `Expect: 100-continue`, and strict
 * parsing against request smuggling. Accept errors (such as running out of
 * file descriptors) never stop the server: it backs off and goes on.
 *
 * @param options Address, TLS, limits, error handling and the stop signal.
 * @param handler Returns a `Response`; use `upgradeWebSocket` for WebSockets.
 * @returns The running server.
 *
 * @example
 * ```ts
 * import { serve, upgradeWebSocket } from "@edgews/websocket";
 * import assert from "node:assert/strict";
 *
 * const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
 *   if (request.headers.get("upgrade") !== "websocket") {
 *     return new Response(`got ${(await request.text()).length} bytes`);
 *   }
 *   const { response, socket } = upgradeWebSocket(request);
 *   socket.onmessage = (event) => socket.send(event.data);
 *   return response;
 * });
 * const response = await fetch(`http://127.0.0.1:${server.addr.port}/`, { method: "POST", body: "hello" });
 * assert.equal(await response.text(), "got 5 bytes");
 * await server.shutdown();
 * ```
 */
export function serve(options: ServeOptions, handler: ServeHandler): WebSocketServer {
  const hostname = options.hostname ?? SERVE_DEFAULTS.hostname;
  const port = options.port ?? SERVE_DEFAULTS.port;
  const tls = options.cert !== undefined && options.key !== undefined;
  const listener = tls
    ? Deno.listenTls({ hostname, port, cert: options.cert!, key: options.key! })
    : Deno.listen({ hostname, port, ...(options.reusePort ? { reusePort: true } : {}) });
  const addr = listener.addr as NetAddr;
  if (options.onListen !== undefined) {
    options.onListen(addr);
  } else {
    const shown = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
    console.log(`Listening on ${tls ? "https" : "http"}://${shown}:${addr.port}/`);
  }
  const maxConnections = options.maxConnections ?? SERVE_DEFAULTS.maxConnections;
  /** Running WebSockets, and connections still speaking HTTP: together, the open connections. */
  const sockets = new Set<WebSocketConnection>();
  const connections = new Set<_HttpConnection>();
  let wakeAccept: (() => void) | undefined;
  let stopping = false;

  const context: _ServerContext = {
    handler,
    options,
    secure: tls,
    stopping: () => stopping,
    // One set of functions for every connection (each WebSocket keeps them).
    connected: (connection) => void sockets.add(connection),
    disconnected: (connection) => {
      sockets.delete(connection);
      wakeAccept?.();
    },
    released: (http) => {
      connections.delete(http);
      wakeAccept?.();
    },
  };

  const accept = async () => {
    let backoff = 0;
    let logged = -Infinity;
    while (!stopping) {
      if (connections.size + sockets.size >= maxConnections) {
        await new Promise<void>((resolve) => wakeAccept = resolve);
        wakeAccept = undefined;
        continue;
      }
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (stopping || error instanceof Deno.errors.BadResource) return;
        // EMFILE, ENFILE, ECONNABORTED...: the listener is still good. Log
        // at most once per burst (10 s), back off (descriptors free up as
        // connections end), go on.
        if (Date.now() - logged > _ACCEPT_LOG_INTERVAL) {
          logged = Date.now();
          console.error("serve: accept failed, retrying:", error);
        }
        backoff = Math.min(backoff === 0 ? 10 : backoff * 2, 1000);
        await new Promise((resolve) => setTimeout(resolve, backoff));
        continue;
      }
      backoff = 0;
      const http = new _HttpConnection(conn, context);
      connections.add(http);
      http.run();
    }
  };
  const accepting = accept();
  // One timer for the deadlines of every connection (heads, idle keep-alive).
  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const http of connections) http.tick(now);
  }, _SWEEP_INTERVAL);
  Deno.unrefTimer(sweeper);

  let stopped: Promise<void> | undefined;
  let resolveFinished!: () => void;
  const finished = new Promise<void>((resolve) => resolveFinished = resolve);
  const stop = () => {
    stopped ??= (async () => {
      stopping = true;
      try {
        listener.close();
      } catch {
        // Already closed.
      }
      wakeAccept?.();
      await accepting;
      clearInterval(sweeper);
      const draining: Promise<void>[] = [];
      for (const http of connections) draining.push(http.shutdown());
      const closing: Promise<unknown>[] = [];
      for (const connection of sockets) {
        connection.close(CloseCode.GoingAway, "Server shutting down");
        closing.push(connection.closed);
      }
      await Promise.all(draining);
      // WebSockets upgraded while responses were draining.
      for (const connection of sockets) {
        connection.close(CloseCode.GoingAway, "Server shutting down");
        closing.push(connection.closed);
      }
      await Promise.all(closing);
      resolveFinished();
    })();
    return stopped;
  };
  options.signal?.addEventListener("abort", () => void stop(), { once: true });
  if (options.signal?.aborted) void stop();
  return {
    addr,
    finished,
    shutdown: stop,
    ref: () => listener.ref(),
    unref: () => listener.unref(),
  };
}
