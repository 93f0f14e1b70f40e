/**
 * Cloudflare Workers: outbound WebSockets over `connect()` from
 * `cloudflare:sockets`, with this module's framing. (Inbound ones need
 * nothing here: `upgradeWebSocket` wraps a `WebSocketPair` by itself.)
 *
 * @module
 */

import type { Connector } from "../connection/upgraded.ts";
import { _socketConnector, type _SocketDriver, type _TlsSettings } from "./_socket_connector.ts";

/**
 * The socket that Cloudflare's `connect()` returns, as far as this module
 * uses it: its `{ readable, writable }` pair is the byte duplex.
 */
export interface CloudflareSocket {
  /** Bytes from the server. */
  readable: ReadableStream<Uint8Array>;
  /** Bytes to the server. */
  writable: WritableStream<Uint8Array>;
  /** Resolves once connected (and, with `secureTransport: "on"`, encrypted). */
  opened: Promise<unknown>;
  /** Resolves when the socket has closed. */
  closed: Promise<unknown>;
  /** Close both directions. */
  close(): Promise<unknown>;
  /** Upgrade a socket opened with `secureTransport: "starttls"` to TLS; use the returned socket. */
  startTls(options?: { expectedServerHostname?: string }): CloudflareSocket;
}

/**
 * Options of Cloudflare's `connect()` that this module sets.
 */
export interface CloudflareSocketOptions {
  /** `"off"`: TCP; `"on"`: TLS from the start; `"starttls"`: TLS later, with `startTls()`. */
  secureTransport?: "off" | "on" | "starttls";
  /** Keep the writable open after the readable ended. */
  allowHalfOpen?: boolean;
}

/**
 * The signature of `connect` from `cloudflare:sockets`.
 */
export type CloudflareConnect = (
  address: { hostname: string; port: number },
  options?: CloudflareSocketOptions,
) => CloudflareSocket;

/**
 * A connector for Cloudflare Workers over `connect()` from
 * `cloudflare:sockets` (pass the function in: this module imports no
 * runtime-specific module, so it loads everywhere). `ws:` opens TCP, `wss:`
 * opens with `secureTransport: "on"`, and through an HTTP proxy (see
 * `proxyConnector`) the tunnel is opened with `"starttls"` and upgraded with
 * `startTls()` after `CONNECT`. Workers trust the public CAs only, so
 * `caCerts` is refused with a `TypeError`. An example needs a Worker: the
 * README's Runtimes section shows one, and `transports/cloudflare_test.ts` runs
 * this connector in workerd.
 *
 * @param connect `connect` from `cloudflare:sockets`.
 * @returns The connector, for the `connector` option or `setDefaultConnector`.
 */
export function cloudflareConnector(connect: CloudflareConnect): Connector {
  const driver: _SocketDriver<CloudflareSocket> = {
    async open(hostname, port, tls, startTlsLater, signal) {
      if (tls !== undefined) _refuseCaCerts(tls);
      const socket = connect({ hostname, port }, {
        secureTransport: tls !== undefined ? "on" : startTlsLater ? "starttls" : "off",
        allowHalfOpen: false,
      });
      return await _opened(socket, signal);
    },
    async startTls(socket, tls, signal) {
      _refuseCaCerts(tls);
      return await _opened(socket.startTls({ expectedServerHostname: tls.serverName }), signal);
    },
    async read(socket) {
      const reader = socket.readable.getReader();
      try {
        const { value, done } = await reader.read();
        return done ? null : value;
      } finally {
        reader.releaseLock();
      }
    },
    async write(socket, bytes) {
      const writer = socket.writable.getWriter();
      try {
        await writer.write(bytes);
      } finally {
        writer.releaseLock();
      }
    },
    duplex(socket) {
      return {
        readable: socket.readable,
        writable: socket.writable,
        close: () => void socket.close().catch(() => {}),
      };
    },
    close(socket) {
      socket.close().catch(() => {});
    },
  };
  return _socketConnector(driver);
}

function _refuseCaCerts(tls: _TlsSettings): void {
  if (tls.caCerts !== undefined) {
    throw new TypeError(
      "Cannot use caCerts with cloudflare:sockets: Workers trust the public certificate authorities only",
    );
  }
}

async function _opened(socket: CloudflareSocket, signal: AbortSignal): Promise<CloudflareSocket> {
  let onAbort: (() => void) | undefined;
  try {
    await Promise.race([
      socket.opened,
      new Promise((_, reject) => {
        onAbort = () => reject(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
      }),
    ]);
    return socket;
  } catch (error) {
    socket.close().catch(() => {});
    throw error;
  } finally {
    if (onAbort !== undefined) signal.removeEventListener("abort", onAbort);
  }
}
