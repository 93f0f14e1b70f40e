/**
 * Client redirects: open a connection with a connector, and when the server
 * answers the opening handshake with a redirect, open the new location
 * instead (bounded, and never from `wss:` down to `ws:`). Not exported from
 * `mod.ts`.
 *
 * @module
 */

import { CloseCode } from "../errors/close_code.ts";
import { WebSocketError } from "../errors/websocket_error.ts";
import { HandshakeStatusError } from "../errors/handshake_status_error.ts";
import type { Connector, ConnectRequest, UpgradedTransport } from "./upgraded.ts";

/** Statuses that carry a `Location` to retry the handshake at (RFC 9110 §15.4). */
const _REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Connect to `url`, following up to `maxRedirects` redirects. Each hop is a
 * new connection through `connector` (so a proxy applies to every hop). A
 * redirect to another origin does not carry the `Authorization` and
 * `Cookie` headers along (as browsers and `ws` do), since they were meant
 * for the first server. The transport's `url` is the URL finally opened.
 */
export async function _connectFollowingRedirects(
  connector: Connector,
  url: URL,
  request: ConnectRequest,
  maxRedirects: number,
): Promise<UpgradedTransport> {
  let current = url;
  let headers = request.headers;
  // Bounded: each round either returns, throws, or counts one redirect.
  for (let redirects = 0;; redirects++) {
    let transport: UpgradedTransport;
    try {
      transport = await connector(current, { ...request, headers });
    } catch (error) {
      if (!(error instanceof HandshakeStatusError) || !_REDIRECTS.has(error.status)) throw error;
      const next = _redirectTarget(current, error);
      if (redirects >= maxRedirects) {
        throw new WebSocketError(
          CloseCode.ProtocolError,
          `Handshake failed: too many redirects (more than maxRedirects = ${maxRedirects}), the last one from ${current.href} to ${next.href}`,
          { cause: error },
        );
      }
      if (next.origin !== current.origin) headers = _withoutCredentials(headers);
      current = next;
      continue;
    }
    return current === url ? transport : { ...transport, url: current };
  }
}

/** Where a redirect points, as a `ws:`/`wss:` URL; refuses a downgrade from `wss:`. */
function _redirectTarget(from: URL, error: HandshakeStatusError): URL {
  const location = error.headers.get("location");
  if (location === null || location === "") {
    throw new WebSocketError(
      CloseCode.ProtocolError,
      `Handshake failed: server answered ${error.status} (a redirect) without a Location header`,
      { cause: error },
    );
  }
  const base = new URL(from);
  base.protocol = from.protocol === "wss:" ? "https:" : "http:";
  let target: URL;
  try {
    target = new URL(location, base);
  } catch (cause) {
    throw new WebSocketError(
      CloseCode.ProtocolError,
      `Handshake failed: redirect to ${JSON.stringify(location)}, which is not a URL`,
      { cause },
    );
  }
  if (target.protocol === "http:") target.protocol = "ws:";
  else if (target.protocol === "https:") target.protocol = "wss:";
  if (target.protocol !== "ws:" && target.protocol !== "wss:") {
    throw new WebSocketError(
      CloseCode.ProtocolError,
      `Handshake failed: redirect to ${target.href}, which is not a ws:, wss:, http: or https: URL`,
      { cause: error },
    );
  }
  if (from.protocol === "wss:" && target.protocol === "ws:") {
    throw new WebSocketError(
      CloseCode.ProtocolError,
      `Handshake failed: refused to follow a redirect from ${from.href} to ${target.href}: it would drop TLS (wss: to ws:)`,
      { cause: error },
    );
  }
  target.hash = "";
  return target;
}

function _withoutCredentials(headers: HeadersInit | undefined): Headers | undefined {
  if (headers === undefined) return undefined;
  const copy = new Headers(headers);
  copy.delete("authorization");
  copy.delete("cookie");
  return copy;
}
