/**
 * The `Response` that `upgradeWebSocket` returns, on every runtime. Not
 * exported from `mod.ts`.
 *
 * @module
 */

import { handshakeResponse, type ServerHandshake } from "../handshake/server_handshake.ts";

/**
 * The handshake's response. Deno and Bun construct a 101 `Response`; Node's
 * `Response` refuses any status below 200 (a `RangeError`), so there the
 * 101 is a bodiless `Response` whose `status` reads 101. Either way only
 * this module's servers send it, and they write the head themselves
 * (`writeResponseHead`), so the stand-in never reaches a runtime's own HTTP
 * stack.
 */
export function _upgradeResponse(handshake: ServerHandshake): Response {
  if (!handshake.ok) return handshakeResponse(handshake);
  try {
    return handshakeResponse(handshake);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
  }
  const response = new Response(null, { status: 200, headers: handshake.headers });
  Object.defineProperties(response, {
    status: { value: 101 },
    statusText: { value: "Switching Protocols" },
    ok: { value: false },
  });
  return response;
}

/** Headers of the 101 that only the handshake may set. */
const _HANDSHAKE_HEADERS = new Set([
  "upgrade",
  "connection",
  "sec-websocket-accept",
  "sec-websocket-protocol",
  "sec-websocket-extensions",
  "sec-websocket-version",
]);

/**
 * The headers of the 101 head to write when the handler returned
 * `returned` for an upgrade whose response was `upgrade`: the handshake's
 * own headers always come from `upgrade`; any other header (such as
 * `Set-Cookie`) from `returned`, which is `upgrade` itself (perhaps with
 * headers added to it) or a new `101` `Response` the handler built.
 */
export function _upgradeHeadHeaders(upgrade: Response, returned: Response): Headers {
  if (returned === upgrade) return upgrade.headers;
  const headers = new Headers();
  // forEach, not for-of: see writeResponseHead.
  upgrade.headers.forEach((value, name) => {
    if (_HANDSHAKE_HEADERS.has(name)) headers.append(name, value);
  });
  returned.headers.forEach((value, name) => {
    if (!_HANDSHAKE_HEADERS.has(name)) headers.append(name, value);
  });
  return headers;
}
