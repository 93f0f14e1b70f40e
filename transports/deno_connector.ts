/**
 * Client connections over `Deno.connect` / `Deno.connectTls`.
 *
 * @module
 */

import type { Connector } from "../connection/upgraded.ts";
import { _denoDriver } from "./_deno_socket_driver.ts";
import { _socketConnector } from "./_socket_connector.ts";

/**
 * Open `url` over TCP (`ws:`) or TLS (`wss:`) with Deno's sockets and perform
 * the client's opening handshake (RFC 6455 §4.1), verifying the server's
 * answer (status 101, `Sec-WebSocket-Accept`, subprotocol, extensions).
 * The same connection flow as `nodeConnector`, on Deno's sockets, so
 * `proxyConnector` can tunnel through it.
 *
 * @param url A `ws:` or `wss:` URL.
 * @param request Subprotocols, headers, abort signal, extra CA certificates.
 * @returns The upgraded transport.
 */
export const denoConnector: Connector = _socketConnector(_denoDriver);
