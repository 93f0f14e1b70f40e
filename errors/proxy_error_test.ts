import assert from "node:assert/strict";
import { ProxyError } from "./proxy_error.ts";
import { WebSocketError } from "./websocket_error.ts";

Deno.test("ProxyError: a WebSocketError with 1006 (no WebSocket was opened), the status and a cause", () => {
  const cause = new Error("connection reset");
  const error = new ProxyError(407, "Proxy authentication failed: 407", { cause });
  assert.ok(error instanceof WebSocketError);
  assert.equal(error.name, "ProxyError");
  assert.equal(error.closeCode, 1006);
  assert.equal(error.status, 407);
  assert.equal(error.message, "Proxy authentication failed: 407");
  assert.equal(error.cause, cause);
  assert.equal("cause" in new ProxyError(403, "Proxy refused the tunnel: 403"), false);
});
