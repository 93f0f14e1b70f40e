/**
 * The types of `serve()`'s options, handler and result, and the options'
 * defaults, apart from `serve.ts` so the connection loop and the Node
 * server can use them without importing it.
 *
 * @module
 */

import { DEFAULT_MAX_HEAD_SIZE, DEFAULT_MAX_HEADERS } from "../http/http_head.ts";

/** The defaults of {@linkcode ServeOptions}, for `serve` on Deno and on Node. */
export const SERVE_DEFAULTS: {
  readonly hostname: string;
  readonly port: number;
  readonly handshakeTimeout: number;
  readonly keepAliveTimeout: number;
  readonly maxHeadSize: number;
  readonly maxHeaders: number;
  readonly maxBodySize: number;
  readonly maxConnections: number;
  readonly shutdownTimeout: number;
} = Object.freeze({
  hostname: "0.0.0.0",
  port: 8000,
  handshakeTimeout: 10_000,
  keepAliveTimeout: 5000,
  maxHeadSize: DEFAULT_MAX_HEAD_SIZE,
  maxHeaders: DEFAULT_MAX_HEADERS,
  maxBodySize: Infinity,
  maxConnections: Infinity,
  shutdownTimeout: 5000,
});

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
 * Options for `serve()`. Limits are per connection; their defaults are
 * {@linkcode SERVE_DEFAULTS}.
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
