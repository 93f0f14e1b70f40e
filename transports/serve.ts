/**
 * An HTTP/1.1 server on `Deno.listen`/`Deno.listenTls` that does only what a
 * WebSocket endpoint needs: it reads one request head per connection, calls
 * the handler with a `Request`, and either hands the connection to a
 * WebSocket (after a `101`) or writes the handler's response and closes.
 *
 * @module
 */

import { _DenoConnDuplex } from "./_deno_conn_duplex.ts";
import type { WebSocketConnection } from "../connection/websocket_connection.ts";
import { CloseCode } from "../frames/close_code.ts";
import { readRequestHead, writeResponse, writeResponseHead } from "../handshake/http_head.ts";
import { HttpHeadError } from "../handshake/http_head_error.ts";
import { _setUpgradeSlot, type _UpgradeSlot } from "./_upgrade_slot.ts";
import { _upgradeHeadHeaders } from "./_upgrade_response.ts";
import { _noDelay } from "./_no_delay.ts";

/**
 * Options for {@linkcode serve}.
 *
 * @example
 * ```ts
 * import type { ServeOptions } from "@edgews/websocket/transports";
 *
 * const options: ServeOptions = { hostname: "127.0.0.1", port: 8080, handshakeTimeout: 5_000 };
 * ```
 */
export interface ServeOptions {
  /** Interface to listen on. @default {"127.0.0.1"} */
  hostname?: string | undefined;
  /** Port; 0 picks a free one. @default {8000} */
  port?: number | undefined;
  /** PEM certificate chain: serve TLS (`wss:`) when given with `key`. */
  cert?: string | undefined;
  /** PEM private key for `cert`. */
  key?: string | undefined;
  /** Stops the server: no new connections, open WebSockets close with 1001. */
  signal?: AbortSignal | undefined;
  /** Called once listening. */
  onListen?: ((addr: Deno.NetAddr) => void) | undefined;
  /** Time allowed for a client to send its request head (slow-loris guard). @default {10000} */
  handshakeTimeout?: number | undefined;
  /** Largest request head in bytes (431 above). @default {16384} */
  maxHeadSize?: number | undefined;
  /** Most header lines (431 above). @default {100} */
  maxHeaders?: number | undefined;
  /** Called with errors thrown by the handler (a 500 is sent). */
  onError?: ((error: unknown) => void) | undefined;
}

/**
 * Information about the connection a request came on.
 *
 * @example
 * ```ts
 * import type { ServeHandler } from "@edgews/websocket/transports";
 *
 * const handler: ServeHandler = (_request, info) => new Response(info.remoteAddr.hostname);
 * ```
 */
export interface ServeHandlerInfo {
  /** The client's address. */
  remoteAddr: Deno.NetAddr;
}

/**
 * A request handler: a `Request` in, a `Response` out.
 *
 * @example
 * ```ts
 * import type { ServeHandler } from "@edgews/websocket/transports";
 *
 * const handler: ServeHandler = () => new Response("hello");
 * ```
 */
export type ServeHandler = (
  request: Request,
  info: ServeHandlerInfo,
) => Response | Promise<Response>;

/**
 * A running server.
 *
 * @example
 * ```ts
 * import { serve } from "@edgews/websocket/transports";
 *
 * const server = serve({ hostname: "127.0.0.1", port: 0 }, () => new Response("hi"));
 * console.log(server.addr.port);
 * await server.shutdown();
 * ```
 */
export interface WebSocketServer {
  /** The address it listens on (with the real port when 0 was asked). */
  addr: Deno.NetAddr;
  /** Resolves when the server has stopped and its connections are closed. */
  finished: Promise<void>;
  /** Stop the server, closing open WebSockets with 1001 (bounded by their close timeout). */
  shutdown(): Promise<void>;
}

/**
 * Serve HTTP/1.1 upgrade requests with this module's framing.
 *
 * @param options Address, TLS, limits and the stop signal.
 * @param handler Returns a `Response`; use `upgradeWebSocket` for WebSockets.
 * @returns The running server.
 *
 * @example
 * ```ts
 * import { serve, upgradeWebSocket } from "@edgews/websocket";
 *
 * const server = serve({ hostname: "127.0.0.1", port: 0 }, async (request) => {
 *   if (request.headers.get("upgrade") === null) return new Response("hello");
 *   const { response, socket } = upgradeWebSocket(request);
 *   socket.onmessage = (event) => socket.send(event.data);
 *   return response;
 * });
 * await server.shutdown();
 * ```
 */
export function serve(options: ServeOptions, handler: ServeHandler): WebSocketServer {
  const hostname = options.hostname ?? "127.0.0.1";
  const port = options.port ?? 8000;
  const listener = options.cert !== undefined && options.key !== undefined
    ? Deno.listenTls({ hostname, port, cert: options.cert, key: options.key })
    : Deno.listen({ hostname, port });
  const addr = listener.addr as Deno.NetAddr;
  options.onListen?.(addr);
  /** Connections not yet handed over, and running WebSockets. */
  const handshaking = new Set<Promise<void>>();
  const sockets = new Set<WebSocketConnection>();
  let stopping = false;

  // One pair of functions for every connection (each WebSocket keeps them).
  const track = {
    connected: (connection: WebSocketConnection) => void sockets.add(connection),
    disconnected: (connection: WebSocketConnection) => void sockets.delete(connection),
  };
  const accept = async () => {
    try {
      for await (const conn of listener) {
        if (stopping) {
          _closeQuietly(conn);
          continue;
        }
        const task = _handleConnection(conn, handler, options, track);
        handshaking.add(task);
        void task.finally(() => handshaking.delete(task));
      }
    } catch (error) {
      if (!stopping) options.onError?.(error);
    }
  };
  const accepting = accept();

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      stopping = true;
      try {
        listener.close();
      } catch {
        // Already closed.
      }
      await accepting;
      await Promise.allSettled(handshaking);
      const closing: Promise<unknown>[] = [];
      for (const connection of sockets) {
        connection.close(CloseCode.GoingAway, "Server shutting down");
        closing.push(connection.closed);
      }
      await Promise.all(closing);
    })();
    return stopped;
  };
  options.signal?.addEventListener("abort", () => void stop(), { once: true });
  if (options.signal?.aborted) void stop();
  let resolveFinished!: () => void;
  const finished = new Promise<void>((resolve) => resolveFinished = resolve);
  void accepting.then(() => stop()).then(resolveFinished);
  return {
    addr,
    finished,
    shutdown: stop,
  };
}

async function _handleConnection(
  conn: Deno.Conn,
  handler: ServeHandler,
  options: ServeOptions,
  track: Pick<_UpgradeSlot, "connected" | "disconnected">,
): Promise<void> {
  _noDelay(conn);
  // The handshake deadline is a timer that answers 408 and closes the conn
  // (which ends the pending read), not an AbortSignal passed to the head
  // reader: that is an AbortController, a listener and a promise race per
  // read for every connection, all alive while thousands of handshakes of a
  // burst wait their turn.
  let timedOut: Promise<void> | undefined;
  const timer = setTimeout(() => {
    timedOut = _respondAndClose(
      conn,
      new Response("Timed out reading the request head\n", { status: 408 }),
    );
  }, options.handshakeTimeout ?? 10_000);
  let head;
  try {
    // Straight from the conn, into small buffers: the request head is
    // typically a few hundred bytes, and the bytes that follow it must not
    // pin a large chunk for the connection's lifetime.
    head = await readRequestHead(conn, {
      maxHeadSize: options.maxHeadSize,
      maxHeaders: options.maxHeaders,
    });
  } catch (error) {
    clearTimeout(timer);
    if (timedOut !== undefined) {
      // Answered by the timer (which closed the conn, ending the read).
      await timedOut;
      return;
    }
    const status = error instanceof HttpHeadError ? error.status : 400;
    const message = error instanceof Error ? error.message : "Bad request";
    await _respondAndClose(conn, new Response(`${message}\n`, { status }));
    return;
  }
  clearTimeout(timer);
  if (timedOut !== undefined) {
    // The head completed while the 408 was being written: too late.
    await timedOut;
    return;
  }
  const duplex = new _DenoConnDuplex(conn);
  // Frames sent right behind the head: copied, so that the read buffer they
  // arrived in is not kept alive by the connection.
  const leftover = head.leftover.length === 0 ? _EMPTY : head.leftover.slice();
  const slot: _UpgradeSlot = {
    duplex,
    leftover,
    httpVersion: head.httpVersion,
    connected: track.connected,
    disconnected: track.disconnected,
  };
  _setUpgradeSlot(head.request, slot);
  let response: Response;
  try {
    response = await handler(head.request, { remoteAddr: conn.remoteAddr as Deno.NetAddr });
  } catch (error) {
    options.onError?.(error);
    slot.upgrade?.reject(error);
    await _respondAndClose(conn, new Response("Internal Server Error\n", { status: 500 }));
    return;
  }
  const upgrade = slot.upgrade;
  // A 101 the handler built itself is accepted too: its headers (Set-Cookie, say) join the handshake's.
  if (upgrade === undefined || response.status !== 101) {
    upgrade?.reject(new Error("The handler did not return the 101 response of upgradeWebSocket"));
    await _respondAndClose(conn, response);
    return;
  }
  // Write the 101 head, then hand the raw connection to the WebSocket.
  try {
    const bytes = writeResponseHead(
      101,
      "Switching Protocols",
      _upgradeHeadHeaders(upgrade.response, response),
    );
    let offset = 0;
    while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
  } catch (error) {
    upgrade.reject(error);
    _closeQuietly(conn);
    return;
  }
  // The slot lives as long as the socket: drop what it no longer needs.
  slot.upgrade = undefined;
  upgrade.resolve({
    duplex,
    leftover,
    protocol: upgrade.protocol,
    extensions: upgrade.extensions,
  });
}

const _EMPTY = new Uint8Array(0);

/** How long and how much to keep reading after an error response (lingering close). */
const _LINGER_MS = 1000;
const _LINGER_BYTES = 1024 * 1024;

/**
 * Write `response` and close the connection. The client may still be sending
 * (an oversized head, say): closing a socket with unread input makes the
 * kernel send a reset, which can destroy the response before the client reads
 * it. So the write side is shut first and input is drained for a bounded
 * time and size (a "lingering close", as HTTP servers do) before closing.
 */
async function _respondAndClose(conn: Deno.Conn, response: Response): Promise<void> {
  try {
    const bytes = await writeResponse(response);
    const writer = conn.writable.getWriter();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      writer.write(bytes),
      new Promise((resolve) => timer = setTimeout(resolve, 5000)),
    ]);
    clearTimeout(timer);
    writer.releaseLock();
    await conn.closeWrite();
    await _drain(conn);
  } catch {
    // The client is gone; nothing to tell it.
  }
  _closeQuietly(conn);
}

async function _drain(conn: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(16 * 1024);
  let total = 0;
  const timer = setTimeout(() => _closeQuietly(conn), _LINGER_MS);
  try {
    while (total < _LINGER_BYTES) {
      const n = await conn.read(buffer);
      if (n === null) break;
      total += n;
    }
  } finally {
    clearTimeout(timer);
  }
}

function _closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}
