/**
 * One client connection flow for every runtime: open TCP (or TLS), or open
 * a tunnel through an HTTP proxy with `CONNECT` and start TLS inside it,
 * then do the opening handshake. Each runtime supplies a small
 * {@linkcode _SocketDriver}. Not exported from `mod.ts`.
 *
 * @module
 */

import type { ByteDuplex } from "../connection/duplex.ts";
import type { Connector, ConnectRequest, UpgradedTransport } from "../connection/upgraded.ts";
import { latin1Encode } from "../http/_http_syntax.ts";
import { readResponseHead } from "../http/http_head.ts";
import { _upgradeClient } from "./_client_upgrade.ts";
import { ProxyError } from "../errors/proxy_error.ts";

/** Time allowed for TCP, the proxy tunnel, TLS and the opening handshake together. */
const _HANDSHAKE_TIMEOUT = 30_000;

/** TLS settings for one connection. */
export interface _TlsSettings {
  /** The name to verify the certificate against (and send as SNI when not an IP address). */
  serverName: string;
  /** Extra trusted CA certificates (PEM). */
  caCerts: string[] | undefined;
}

/** What a runtime provides so that {@linkcode _connectWith} can open connections. */
export interface _SocketDriver<S> {
  /**
   * Open TCP to `host:port`, with TLS when `tls` is given. `startTlsLater`
   * says that {@linkcode _SocketDriver.startTls} will be called on it
   * (Cloudflare's `connect()` must know that up front).
   */
  open(
    host: string,
    port: number,
    tls: _TlsSettings | undefined,
    startTlsLater: boolean,
    signal: AbortSignal,
  ): Promise<S>;
  /** Start TLS on an open plain socket; the returned socket replaces it. */
  startTls(socket: S, tls: _TlsSettings, signal: AbortSignal): Promise<S>;
  /** Read one chunk, without reading ahead of it; `null` at end of stream. */
  read(socket: S): Promise<Uint8Array | null>;
  /** Write all of `bytes`. */
  write(socket: S, bytes: Uint8Array): Promise<void>;
  /** Hand the socket over as a duplex, which owns it from then on. */
  duplex(socket: S): ByteDuplex;
  /** Close at once, quietly. */
  close(socket: S): void;
}

const _DRIVER: unique symbol = Symbol("socketDriver");

/** A connector that knows its driver, so a proxy can reuse the runtime's sockets. */
type _DriverConnector = Connector & { [_DRIVER]: _SocketDriver<unknown> };

/** A connector for `driver`'s runtime: direct connections, no proxy. */
export function _socketConnector<S>(driver: _SocketDriver<S>): Connector {
  const connector = (url: URL, request: ConnectRequest) =>
    _connectWith(driver, url, request, undefined);
  return Object.assign(connector, { [_DRIVER]: driver as _SocketDriver<unknown> });
}

/** The driver behind a connector made by {@linkcode _socketConnector}, if it was. */
export function _driverOf(connector: Connector): _SocketDriver<unknown> | undefined {
  return (connector as Partial<_DriverConnector>)[_DRIVER];
}

/** `[::1]` → `::1`: socket APIs take bare IPv6 addresses. */
export function _bareHost(hostname: string): string {
  return hostname.startsWith("[") ? hostname.slice(1, -1) : hostname;
}

/**
 * Open `url` with `driver`, through the HTTP proxy `proxy` when given, and
 * perform the client's opening handshake.
 */
export async function _connectWith<S>(
  driver: _SocketDriver<S>,
  url: URL,
  request: ConnectRequest,
  proxy: URL | undefined,
): Promise<UpgradedTransport> {
  const secure = url.protocol === "wss:";
  const host = _bareHost(url.hostname);
  const port = url.port === "" ? (secure ? 443 : 80) : Number(url.port);
  const signal = request.signal === undefined
    ? AbortSignal.timeout(_HANDSHAKE_TIMEOUT)
    : AbortSignal.any([request.signal, AbortSignal.timeout(_HANDSHAKE_TIMEOUT)]);
  signal.throwIfAborted();
  const tls = secure ? { serverName: host, caCerts: request.caCerts } : undefined;
  let socket: S | undefined;
  const abort = () => {
    if (socket !== undefined) driver.close(socket);
  };
  signal.addEventListener("abort", abort, { once: true });
  try {
    if (proxy === undefined) {
      socket = await driver.open(host, port, tls, false, signal);
    } else {
      const proxyPort = proxy.port === "" ? 80 : Number(proxy.port);
      socket = await driver.open(_bareHost(proxy.hostname), proxyPort, undefined, secure, signal);
      await _openTunnel(driver, socket, `${url.hostname}:${port}`, proxy, signal);
      // wss: TLS runs end to end inside the tunnel; the proxy sees only ciphertext.
      if (tls !== undefined) socket = await driver.startTls(socket, tls, signal);
    }
    signal.throwIfAborted();
    return await _upgradeClient(driver.duplex(socket), url, request, signal);
  } catch (error) {
    if (socket !== undefined) driver.close(socket);
    throw error;
  } finally {
    signal.removeEventListener("abort", abort);
  }
}

/**
 * Ask the proxy for a tunnel to `authority` (RFC 9110 §9.3.6, as RFC 6455
 * §4.1 describes for clients behind a proxy) and read its answer without
 * reading past it, so TLS can start on the same socket.
 */
async function _openTunnel<S>(
  driver: _SocketDriver<S>,
  socket: S,
  authority: string,
  proxy: URL,
  signal: AbortSignal,
): Promise<void> {
  const label = `the proxy at ${proxy.protocol}//${proxy.host}`;
  let head = `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n`;
  const credentials = proxy.username !== "" || proxy.password !== "";
  if (credentials) {
    const pair = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
    head += `Proxy-Authorization: Basic ${_base64(new TextEncoder().encode(pair))}\r\n`;
  }
  await driver.write(socket, latin1Encode(head + "\r\n"));
  // A pull-only stream: nothing is read unless the head parser asks.
  const readable = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const chunk = await driver.read(socket);
      if (chunk === null) controller.close();
      else controller.enqueue(chunk);
    },
  }, { highWaterMark: 0 });
  let answer;
  try {
    answer = await readResponseHead(readable, { signal });
  } catch (error) {
    throw new ProxyError(
      0,
      `Proxy tunnel failed: ${label} did not answer CONNECT ${authority} with an HTTP response (${
        error instanceof Error ? error.message : String(error)
      })`,
      { cause: error },
    );
  }
  const status = answer.status;
  // 407 is the standard answer; some proxies (tinyproxy) answer wrong credentials with 401.
  if (status === 407 || (status === 401 && credentials)) {
    const challenge = answer.headers.get("proxy-authenticate");
    throw new ProxyError(
      status,
      `Proxy authentication failed: ${label} answered ${status} ${answer.statusText}${
        challenge === null ? "" : ` (${challenge})`
      }; ${
        credentials
          ? "check the user and password in the proxy URL"
          : "put them in the proxy URL, as http://user:password@host:port"
      }`,
    );
  }
  if (status < 200 || status > 299) {
    throw new ProxyError(
      status,
      `Proxy tunnel refused: ${label} answered ${status} ${answer.statusText} to CONNECT ${authority}`,
    );
  }
  if (answer.leftover.length > 0) {
    throw new ProxyError(
      status,
      `Proxy tunnel failed: ${label} sent ${answer.leftover.length} bytes after its ${status} answer, before the server could speak`,
    );
  }
}

function _base64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]!);
  return btoa(binary);
}
