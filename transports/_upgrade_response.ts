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
