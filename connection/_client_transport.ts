/**
 * Opening a client connection, shared by `WebSocket` and `WebSocketStream`:
 * pick the connector, build the request, follow redirects when asked, and
 * give the caller a way to abort the handshake. Not exported from `mod.ts`.
 *
 * @module
 */

import { _clientExtensions } from "./_compression_option.ts";
import {
  CLIENT_DEFAULTS,
  type ClientOptions,
  type ConnectionOptions,
} from "./connection_options.ts";
import { _connectFollowingRedirects } from "./_redirects.ts";
import { type ConnectRequest, defaultConnector, type UpgradedTransport } from "./upgraded.ts";

/** The client options that shape the opening handshake. */
type _ClientTransportOptions =
  & ClientOptions
  & Pick<ConnectionOptions, "signal" | "perMessageDeflate">;

/**
 * Start connecting to `url`.
 *
 * @param kind The class opening it, for the error message.
 * @throws {TypeError} When there is no connector.
 */
export function _openClientTransport(
  kind: string,
  url: URL,
  protocols: string[],
  options: _ClientTransportOptions,
): { transport: Promise<UpgradedTransport>; abort: (reason?: unknown) => void } {
  const connector = options.connector ?? defaultConnector();
  if (connector === undefined) {
    throw new TypeError(`Cannot open a ${kind}: no connector (${_noConnectorHint()})`);
  }
  const controller = new AbortController();
  const request: ConnectRequest = {
    protocols,
    headers: options.headers,
    signal: options.signal === undefined
      ? controller.signal
      : AbortSignal.any([controller.signal, options.signal]),
    caCerts: options.caCerts,
    extensions: _clientExtensions(options.perMessageDeflate),
  };
  const transport = options.followRedirects === true
    ? _connectFollowingRedirects(
      connector,
      url,
      request,
      options.maxRedirects ?? CLIENT_DEFAULTS.maxRedirects,
    )
    : connector(url, request);
  return { transport, abort: (reason) => controller.abort(reason) };
}

/** What registers a connector on this runtime, for the error without one. */
function _noConnectorHint(): string {
  const runtime = globalThis as {
    Deno?: unknown;
    navigator?: { userAgent?: string };
    process?: { versions?: { node?: string } };
  };
  if (runtime.Deno !== undefined) return "import mod.ts, or pass the connector option";
  if (runtime.navigator?.userAgent === "Cloudflare-Workers") {
    return "pass the connector option: cloudflareConnector(connect), connect from cloudflare:sockets";
  }
  if (runtime.process?.versions?.node !== undefined) {
    return 'on Node and Bun import "@edgews/websocket" or node.ts, or pass the connector option';
  }
  return "pass the connector option";
}
