/**
 * The `serve()` of this module on Node (20 and later) and Bun: a
 * `node:http` (or `node:https`) server whose `upgrade` event hands the raw
 * `node:net` socket to this module's framing, and whose other requests go to
 * the same handler as `Request`/`Response`. Exported from the Node entry
 * point (`@edgews/websocket/node`) as `serve`.
 *
 * @module
 */

import * as http from "node:http";
import * as https from "node:https";
import type * as net from "node:net";
import { Readable } from "node:stream";
import type { ByteDuplex } from "../connection/duplex.ts";
import type { WebSocketConnection } from "../connection/websocket_connection.ts";
import { CloseCode } from "../errors/close_code.ts";
import { writeResponse } from "../http/http_head.ts";
import { _completeUpgrade, _failUpgrade } from "../server/_upgrade_handoff.ts";
import { _nodeSocketDuplex } from "./_node_socket.ts";
import { _setUpgradeSlot, type _UpgradeSlot } from "../server/_upgrade_slot.ts";
import {
  type NetAddr,
  SERVE_DEFAULTS,
  type ServeHandler,
  type ServeHandlerInfo,
  type ServeOptions,
  type WebSocketServer,
} from "../server/serve.ts";

/**
 * A running Node server. Node binds asynchronously, so `addr` can be read
 * once `listening` has resolved (or in `onListen`).
 */
export interface NodeWebSocketServer extends WebSocketServer {
  /** Resolves with the address once the server listens; rejects when it cannot. */
  listening: Promise<NetAddr>;
}

/**
 * A listener for a Node `http.Server`'s `upgrade` event (one you already
 * run, say under Express): upgrade requests go to `handler` as a `Request`,
 * and `upgradeWebSocket(request)` takes the socket over with this module's
 * framing. A handler that answers with another `Response` has it written
 * before the socket closes.
 *
 * @param handler The same handler as for `serve`.
 * @param options `onError`, and `maxHeaders` (431 above).
 * @returns The listener for `server.on("upgrade", ...)`.
 *
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import { connect, nodeUpgradeListener, upgradeWebSocket } from "@edgews/websocket/node";
 * import assert from "node:assert/strict";
 *
 * const server = createServer((_req, res) => res.end("hello"));
 * server.on("upgrade", nodeUpgradeListener((request) => {
 *   const { response, socket } = upgradeWebSocket(request);
 *   socket.onmessage = (event) => socket.send(event.data);
 *   return response;
 * }));
 * await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
 * const { port } = server.address() as { port: number };
 * const ws = await connect(`ws://127.0.0.1:${port}/`);
 * await ws.writable.getWriter().write("under node:http");
 * assert.equal((await ws.readable.getReader().read()).value, "under node:http");
 * ws.close();
 * await ws.closed;
 * server.close();
 * ```
 */
export function nodeUpgradeListener(
  handler: ServeHandler,
  options: Pick<ServeOptions, "onError" | "maxHeaders"> = {},
): (request: http.IncomingMessage, socket: net.Socket, head: Uint8Array) => void {
  return (request, socket, head) => {
    void _handleUpgrade(request, socket, head, handler, options, _UNTRACKED);
  };
}

/**
 * Serve HTTP/1.1 on Node or Bun with the same options, handler and
 * `upgradeWebSocket` as the Deno `serve()`: WebSocket upgrades get this
 * module's framing on the raw socket; other requests get the handler's
 * `Response` through `node:http`. `cert` and `key` serve TLS (`wss:`).
 * `handshakeTimeout` becomes the server's `headersTimeout`, `maxHeadSize`
 * its `maxHeaderSize`; shutdown closes open WebSockets with 1001.
 *
 * @param options Address, TLS, limits and the stop signal.
 * @param handler Returns a `Response`; use `upgradeWebSocket` for WebSockets.
 * @returns The running server.
 *
 * @example
 * ```ts
 * import { connect, serve, upgradeWebSocket } from "@edgews/websocket/node";
 * import assert from "node:assert/strict";
 *
 * const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
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
 */
export function serve(options: ServeOptions, handler: ServeHandler): NodeWebSocketServer {
  const secure = options.cert !== undefined && options.key !== undefined;
  const serverOptions: http.ServerOptions = {
    maxHeaderSize: options.maxHeadSize ?? SERVE_DEFAULTS.maxHeadSize,
  };
  const server: http.Server = secure
    ? https.createServer({ ...serverOptions, cert: options.cert, key: options.key })
    : http.createServer(serverOptions);
  server.headersTimeout = options.handshakeTimeout ?? SERVE_DEFAULTS.handshakeTimeout;
  server.keepAliveTimeout = options.keepAliveTimeout ?? SERVE_DEFAULTS.keepAliveTimeout;
  if (options.maxConnections !== undefined) server.maxConnections = options.maxConnections;
  const sockets = new Set<WebSocketConnection>();
  const pending = new Set<Promise<void>>();
  let stopping = false;
  const connections = {
    connected: (connection: WebSocketConnection) => void sockets.add(connection),
    disconnected: (connection: WebSocketConnection) => void sockets.delete(connection),
  };
  const track = (task: Promise<void>) => {
    pending.add(task);
    void task.finally(() => pending.delete(task));
  };

  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    track(_handleRequest(req, res, secure, handler, options));
  });
  server.on("upgrade", (req: http.IncomingMessage, socket: net.Socket, head: Uint8Array) => {
    if (stopping) {
      socket.destroy();
      return;
    }
    track(_handleUpgrade(req, socket, head, handler, options, connections, secure));
  });

  let addr: NetAddr | undefined;
  const listening = new Promise<NetAddr>((resolve, reject) => {
    server.once("error", reject);
    server.listen(
      options.port ?? SERVE_DEFAULTS.port,
      options.hostname ?? SERVE_DEFAULTS.hostname,
      () => {
        server.off("error", reject);
        const bound = server.address() as net.AddressInfo;
        addr = { transport: "tcp", hostname: bound.address, port: bound.port };
        if (options.onListen !== undefined) options.onListen(addr);
        else {
          const shown = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
          console.log(`Listening on ${secure ? "https" : "http"}://${shown}:${addr.port}/`);
        }
        resolve(addr);
      },
    );
  });
  listening.catch(() => {});

  let resolveFinished!: () => void;
  const finished = new Promise<void>((resolve) => resolveFinished = resolve);
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      stopping = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections?.();
      const cut = setTimeout(
        () => server.closeAllConnections?.(),
        options.shutdownTimeout ?? SERVE_DEFAULTS.shutdownTimeout,
      );
      await Promise.allSettled(pending);
      clearTimeout(cut);
      const closing: Promise<unknown>[] = [];
      for (const connection of sockets) {
        connection.close(CloseCode.GoingAway, "Server shutting down");
        closing.push(connection.closed);
      }
      await Promise.all(closing);
      server.closeAllConnections?.();
      if (server.listening) await closed;
      resolveFinished();
    })();
    return stopped;
  };
  options.signal?.addEventListener("abort", () => void stop(), { once: true });
  if (options.signal?.aborted) void stop();

  return {
    get addr(): NetAddr {
      if (addr === undefined) {
        throw new Error("The server is not listening yet: await server.listening, or use onListen");
      }
      return addr;
    },
    listening,
    finished,
    shutdown: stop,
    ref: () => void server.ref(),
    unref: () => void server.unref(),
  };
}

/** A plain HTTP request: the handler's `Response` through `node:http`. */
async function _handleRequest(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  secure: boolean,
  handler: ServeHandler,
  options: ServeOptions,
): Promise<void> {
  let response: Response;
  // The client leaving before the response is sent aborts request.signal and the body's stream.
  const abort = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) abort.abort(new Error("The client closed the connection"));
  });
  try {
    const maxBodySize = options.maxBodySize ?? SERVE_DEFAULTS.maxBodySize;
    const request = _toRequest(req, secure, true, abort.signal, maxBodySize);
    if (Number(req.headers["content-length"] ?? 0) > maxBodySize) {
      response = new Response(`Request body larger than ${maxBodySize} bytes\n`, { status: 413 });
      res.shouldKeepAlive = false;
    } else if (request === undefined) {
      response = new Response("Bad request\n", { status: 400 });
    } else {
      // A plain request can never complete a WebSocket handshake (Node sends
      // those to `upgrade`), but upgradeWebSocket must answer it with the
      // handshake's own 400 rather than a TypeError.
      _setUpgradeSlot(request, {
        get duplex(): ByteDuplex {
          throw new Error("A plain HTTP request has no connection to take over");
        },
        leftover: new Uint8Array(0),
        httpVersion: `HTTP/${req.httpVersion}`,
        connected: () => {},
        disconnected: () => {},
      });
      response = await handler(request, _info(req.socket, res));
      if (response.status === 101) {
        response = new Response("Bad request: not a WebSocket upgrade\n", { status: 400 });
      }
    }
  } catch (error) {
    response = await _errorResponse(error, options);
  }
  try {
    response.headers.forEach((value, name) => {
      if (name !== "set-cookie") res.setHeader(name, value);
    });
    const cookies = response.headers.getSetCookie();
    if (cookies.length > 0) res.setHeader("set-cookie", cookies);
    res.writeHead(response.status, response.statusText || undefined);
    if (response.body !== null) {
      const reader = response.body.getReader();
      abort.signal.addEventListener("abort", () => reader.cancel().catch(() => {}));
      while (true) {
        const { done, value } = await reader.read();
        if (done || abort.signal.aborted) break;
        if (!res.write(value)) {
          await new Promise((resolve) => {
            res.once("drain", resolve);
            abort.signal.addEventListener("abort", resolve);
          });
        }
      }
    }
    res.end();
  } catch {
    res.destroy();
  }
}

/** An upgrade request: the handler decides, and a 101 hands the socket to the WebSocket. */
/** For upgrades of a server this module does not run: nothing to shut down. */
const _UNTRACKED: Pick<_UpgradeSlot, "connected" | "disconnected"> = {
  connected: () => {},
  disconnected: () => {},
};

async function _handleUpgrade(
  req: http.IncomingMessage,
  socket: net.Socket,
  head: Uint8Array,
  handler: ServeHandler,
  options: Pick<ServeOptions, "onError" | "maxHeaders">,
  connections: Pick<_UpgradeSlot, "connected" | "disconnected">,
  secure = (socket as { encrypted?: boolean }).encrypted === true,
): Promise<void> {
  socket.setNoDelay(true);
  const request = _toRequest(req, secure, false);
  if (request === undefined) {
    await _respondAndClose(socket, new Response("Bad request\n", { status: 400 }));
    return;
  }
  if (req.rawHeaders.length / 2 > (options.maxHeaders ?? SERVE_DEFAULTS.maxHeaders)) {
    await _respondAndClose(
      socket,
      new Response("Request header fields too large\n", { status: 431 }),
    );
    return;
  }
  let duplex: ByteDuplex | undefined;
  const slot: _UpgradeSlot = {
    get duplex(): ByteDuplex {
      return duplex ??= _nodeSocketDuplex(socket);
    },
    // Clients wait for the 101 before they send: a view per upgrade is rarely needed.
    leftover: head.byteLength === 0
      ? _NO_BYTES
      : new Uint8Array(head.buffer, head.byteOffset, head.byteLength),
    httpVersion: req.httpVersion === "1.1" ? "HTTP/1.1" : `HTTP/${req.httpVersion}`,
    connected: connections.connected,
    disconnected: connections.disconnected,
  };
  _setUpgradeSlot(request, slot);
  let response: Response;
  const info = new _UpgradeInfo(socket);
  try {
    // A handler that answers at once (the usual upgrade) costs no await.
    const answer = handler(request, info);
    response = answer instanceof Response ? answer : await answer;
  } catch (error) {
    _failUpgrade(slot, error);
    response = await _errorResponse(error, options);
  }
  try {
    if (await _completeUpgrade(slot, response, (bytes) => _write(socket, bytes))) {
      info.complete();
      return;
    }
  } catch {
    socket.destroy();
    info.complete();
    return;
  }
  await _respondAndClose(socket, response);
  info.complete();
}

/** The bytes after the head of an upgrade that has none. */
const _NO_BYTES = new Uint8Array(0);

/**
 * The handler's `info` for an upgrade: `completed` is made only when read
 * (most handlers never do). The address is read at once: once the socket
 * has closed, Node no longer knows it, and a handler may log it then.
 */
class _UpgradeInfo implements ServeHandlerInfo {
  readonly remoteAddr: NetAddr;
  #completed: Promise<void> | undefined;
  #resolve: (() => void) | undefined;
  #done = false;

  constructor(socket: net.Socket) {
    this.remoteAddr = _remoteAddr(socket);
  }

  get completed(): Promise<void> {
    return this.#completed ??= this.#done
      ? Promise.resolve()
      : new Promise<void>((resolve) => this.#resolve = resolve);
  }

  /** The upgrade is done (or failed): `completed` resolves. */
  complete(): void {
    this.#done = true;
    this.#resolve?.();
  }
}

/** The response for a handler that threw: `onError`'s, or a 500 (the error logged when no onError). */
async function _errorResponse(
  error: unknown,
  options: Pick<ServeOptions, "onError">,
): Promise<Response> {
  if (options.onError === undefined) {
    console.error("serve: the handler failed:", error);
  } else {
    try {
      const response = await options.onError(error);
      if (response instanceof Response) return response;
    } catch (failure) {
      console.error("serve: onError failed:", failure);
    }
  }
  return new Response("Internal Server Error\n", { status: 500 });
}

/** The handler's `info` for a plain request: `completed` once the response is sent or the socket lost. */
function _info(socket: net.Socket, res: http.ServerResponse): ServeHandlerInfo {
  const completed = new Promise<void>((resolve) => res.once("close", () => resolve()));
  return { remoteAddr: _remoteAddr(socket), completed };
}

/** How long and how much to keep reading after an error response (lingering close). */
const _LINGER_MS = 1000;

/**
 * Write `response`, end our side, and discard what the client still sends
 * for a moment before closing, so its unread input does not turn the close
 * into a reset that destroys the response (as `serve.ts` does on Deno).
 */
async function _respondAndClose(socket: net.Socket, response: Response): Promise<void> {
  let bytes: Uint8Array;
  try {
    bytes = await writeResponse(response);
  } catch {
    socket.destroy();
    return;
  }
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve();
    }, _LINGER_MS + 5000);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
    socket.on("error", () => socket.destroy());
    socket.end(bytes, () => setTimeout(() => socket.destroy(), _LINGER_MS));
    socket.resume();
  });
}

function _write(socket: net.Socket, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.write(bytes, (error) => error ? reject(error) : resolve());
  });
}

/**
 * The `Request` for a Node request head, or `undefined` when it cannot be
 * one. The fields are appended to the request's own headers, and the URL
 * is given as a string: a `Headers` or a `URL` passed to `Request` is
 * copied or parsed again (the request of an upgrade took 7 KB and now
 * takes 4.5 on Node 20).
 */
function _toRequest(
  req: http.IncomingMessage,
  secure: boolean,
  withBody: boolean,
  signal?: AbortSignal,
  maxBodySize = Infinity,
): Request | undefined {
  try {
    const raw = req.rawHeaders;
    let host = "";
    let found = false;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!;
      if (name.length === 4 && name.toLowerCase() === "host") {
        // Two Host fields are a 400 (RFC 9112 §3.2).
        if (found) return undefined;
        found = true;
        host = raw[i + 1]!;
      }
    }
    const target = req.url ?? "/";
    const url = target.startsWith("/")
      ? `${secure ? "https" : "http"}://${host.trim() || "localhost"}${target}`
      : target;
    const method = req.method ?? "GET";
    let body = withBody && method !== "GET" && method !== "HEAD"
      ? Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>
      : undefined;
    if (body !== undefined && maxBodySize !== Infinity) {
      body = body.pipeThrough(_limit(maxBodySize));
    }
    // A GET (every upgrade) without a signal takes no init: 0.8 KB less on Node 20.
    const request = method === "GET" && signal === undefined ? new Request(url) : new Request(url, {
      method,
      ...(signal === undefined ? {} : { signal }),
      ...(body === undefined ? {} : { body, duplex: "half" } as RequestInit),
    });
    const headers = request.headers;
    for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
    return request;
  } catch {
    return undefined;
  }
}

/** Errors the body past `max` bytes (the handler's read rejects; it then answers as it sees fit). */
function _limit(max: number): TransformStream<Uint8Array, Uint8Array> {
  let total = 0;
  return new TransformStream({
    transform(chunk, controller) {
      total += chunk.length;
      if (total > max) controller.error(new RangeError(`Request body larger than ${max} bytes`));
      else controller.enqueue(chunk);
    },
  });
}

function _remoteAddr(socket: net.Socket): ServeHandlerInfo["remoteAddr"] {
  return { transport: "tcp", hostname: socket.remoteAddress ?? "", port: socket.remotePort ?? 0 };
}
