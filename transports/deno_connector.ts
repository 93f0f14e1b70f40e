/**
 * Client connections over `Deno.connect` / `Deno.connectTls`.
 *
 * @module
 */

import { _DenoConnDuplex } from "../server/_deno_conn_duplex.ts";
import type { Connector, ConnectRequest, UpgradedTransport } from "../connection/upgraded.ts";
import { _readBodyPrefix } from "../handshake/_body_prefix.ts";
import { createClientHandshake, verifyServerHandshake } from "../handshake/client_handshake.ts";
import { formatExtensionHeader } from "../handshake/extension_header.ts";
import { readResponseHead, writeRequestHead } from "../http/http_head.ts";
import { _noDelay } from "../server/_no_delay.ts";

/** Time allowed for TCP, TLS and the opening handshake together. */
const _HANDSHAKE_TIMEOUT = 30_000;

/**
 * Open `url` over TCP (`ws:`) or TLS (`wss:`) with Deno's sockets and perform
 * the client's opening handshake (RFC 6455 §4.1), verifying the server's
 * answer (status 101, `Sec-WebSocket-Accept`, subprotocol, extensions).
 *
 * @param url A `ws:` or `wss:` URL.
 * @param request Subprotocols, headers, abort signal, extra CA certificates.
 * @returns The upgraded transport.
 *
 * @example
 * ```ts ignore
 * import { denoConnector, WebSocketStream } from "@edgews/websocket";
 *
 * const wss = new WebSocketStream("wss://127.0.0.1:8443/", {
 *   connector: denoConnector,
 *   caCerts: [await Deno.readTextFile("ca.pem")],
 * });
 * ```
 */
export const denoConnector: Connector = async (
  url: URL,
  request: ConnectRequest,
): Promise<UpgradedTransport> => {
  const secure = url.protocol === "wss:";
  const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port === "" ? (secure ? 443 : 80) : Number(url.port);
  const signal = request.signal === undefined
    ? AbortSignal.timeout(_HANDSHAKE_TIMEOUT)
    : AbortSignal.any([request.signal, AbortSignal.timeout(_HANDSHAKE_TIMEOUT)]);
  signal.throwIfAborted();
  const conn: Deno.Conn = secure
    ? await Deno.connectTls({
      hostname,
      port,
      ...(request.caCerts !== undefined ? { caCerts: request.caCerts } : {}),
      signal,
    } as Deno.ConnectTlsOptions)
    : await Deno.connect({ hostname, port, signal } as Deno.ConnectOptions);
  _noDelay(conn);
  const abort = () => _closeQuietly(conn);
  signal.addEventListener("abort", abort, { once: true });
  try {
    const { request: upgrade, key } = createClientHandshake(url, {
      protocols: request.protocols,
      extensions: request.extensions,
      headers: request.headers,
    });
    const writer = conn.writable.getWriter();
    await writer.write(writeRequestHead(upgrade));
    writer.releaseLock();
    const head = await readResponseHead(conn.readable, { signal });
    const bodyPrefix = head.status === 101
      ? undefined
      : await _readBodyPrefix(conn.readable, head, signal);
    const agreed = await verifyServerHandshake(
      { status: head.status, headers: head.headers, bodyPrefix },
      { key, protocols: request.protocols, extensions: request.extensions },
    );
    const duplex = new _DenoConnDuplex(conn);
    return {
      duplex,
      leftover: head.leftover,
      protocol: agreed.protocol,
      extensions: formatExtensionHeader(agreed.extensions),
      headers: head.headers,
    };
  } catch (error) {
    _closeQuietly(conn);
    throw error;
  } finally {
    signal.removeEventListener("abort", abort);
  }
};

function _closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}
