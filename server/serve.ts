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

/** How often connection deadlines are checked: timeouts fire up to this late. */
const _SWEEP_INTERVAL = 250;

/** At most one accept error is logged in this many ms. */
const _ACCEPT_LOG_INTERVAL = 10_000;

/**
 * A TCP address, as `Deno.NetAddr` (declared here so the types also work
 * on Node and Bun, where there is no `Deno` namespace).
 */
export interface NetAddr {
  /** Always `"tcp"`. */
  transport: "tcp";
  /** The address, such as `"127.0.0.1"` or `"::1"`. */
  hostname: string;
  /** The port number. */
  port: number;
}

/**
 * Options for {@linkcode serve}. Limits are per connection; every one has a
 * default, listed in the README's "Limits and errors".
 */
export interface ServeOptions {
  /** Interface to listen on. @default {"0.0.0.0"} */
  hostname?: string | undefined;
  /** Port; 0 picks a free one. @default {8000} */
  port?: number | undefined;
  /**
   * Let several processes or workers listen on the same port, the kernel
   * spreading connections between them (`SO_REUSEPORT`, Linux): the way to
   * use every core. Deno gates it behind `--unstable-net`. Not with TLS.
   * @default {false}
   */
  reusePort?: boolean | undefined;
  /** PEM certificate chain: serve TLS (`https:`, `wss:`) when given with `key`. */
  cert?: string | undefined;
  /** PEM private key for `cert`. */
  key?: string | undefined;
  /** Stops the server, as `shutdown()` does. */
  signal?: AbortSignal | undefined;
  /** Called once listening; without it, a "Listening on" line is printed, as `Deno.serve` does. */
  onListen?: ((addr: NetAddr) => void) | undefined;
  /**
   * Called when the handler throws or rejects; what it returns is sent (a
   * 500 when it returns nothing). Without it, the error is logged to stderr
   * and a 500 is sent.
   */
  onError?: ((error: unknown) => Response | void | Promise<Response | void>) | undefined;
  /** Time allowed for a client to send a request head once it started it (408 after). @default {10000} */
  handshakeTimeout?: number | undefined;
  /** How long an idle persistent connection is kept waiting for its next request. @default {5000} */
  keepAliveTimeout?: number | undefined;
  /** Largest request head in bytes (431 above; 414 for a request line alone). @default {16384} */
  maxHeadSize?: number | undefined;
  /** Most header lines (431 above). @default {100} */
  maxHeaders?: number | undefined;
  /** Largest request body in bytes (413 above); bodies are streamed, never buffered whole. @default {Infinity} */
  maxBodySize?: number | undefined;
  /** Most connections open at once; past it, new ones wait in the kernel's backlog. @default {Infinity} */
  maxConnections?: number | undefined;
  /** How long `shutdown()` lets responses in progress finish before cutting them. @default {5000} */
  shutdownTimeout?: number | undefined;
}

/**
 * Information about the connection a request came on, shaped like
 * `Deno.ServeHandlerInfo`.
 */
export interface ServeHandlerInfo {
  /** The client's address. */
  remoteAddr: NetAddr;
  /** Resolves once the response has been sent, or the connection was lost. */
  completed: Promise<void>;
}

/** A request handler: a `Request` in, a `Response` out. */
export type ServeHandler = (
  request: Request,
  info: ServeHandlerInfo,
) => Response | Promise<Response>;

/** A running server, shaped like `Deno.HttpServer`. */
export interface WebSocketServer {
  /** The address it listens on (with the real port when 0 was asked). */
  addr: NetAddr;
  /** Resolves once the server has been shut down and its connections are closed. */
  finished: Promise<void>;
  /**
   * Stop: no new connections; idle connections and those still sending a
   * head close at once; responses in progress get `shutdownTimeout` to
   * finish; WebSockets close with 1001 at once (bounded by their close
   * timeout).
   */
  shutdown(): Promise<void>;
  /** Keep the process alive while the server listens (the default). */
  ref(): void;
  /** Let the process exit even though the server listens. */
  unref(): void;
}

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
  const hostname = options.hostname ?? "0.0.0.0";
  const port = options.port ?? 8000;
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
  const maxConnections = options.maxConnections ?? Infinity;
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
