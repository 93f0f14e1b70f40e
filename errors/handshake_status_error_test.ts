import assert from "node:assert/strict";
import { HandshakeStatusError } from "./handshake_status_error.ts";
import { WebSocketError } from "./websocket_error.ts";

Deno.test("HandshakeStatusError: a WebSocketError with 1002 that keeps the status, headers and body", () => {
  const headers = new Headers({ "retry-after": "30" });
  const error = new HandshakeStatusError(503, headers, "Handshake failed: status 503", "busy");
  assert.ok(error instanceof WebSocketError);
  assert.ok(error instanceof Error);
  assert.equal(error.name, "HandshakeStatusError");
  assert.equal(error.closeCode, 1002);
  assert.equal(error.status, 503);
  assert.equal(error.headers, headers);
  assert.equal(error.headers.get("retry-after"), "30");
  assert.equal(error.body, "busy");
  assert.equal(error.message, "Handshake failed: status 503");
});

Deno.test("HandshakeStatusError: the body is empty when none is given", () => {
  const error = new HandshakeStatusError(301, new Headers({ location: "/x" }), "Redirected");
  assert.equal(error.body, "");
  assert.equal(error.headers.get("location"), "/x");
});
