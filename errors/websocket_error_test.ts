import assert from "node:assert/strict";
import { CloseCode } from "./close_code.ts";
import { WebSocketError } from "./websocket_error.ts";

Deno.test("WebSocketError: an Error with its close code, name, message and cause", () => {
  const cause = new TypeError("bad byte");
  const error = new WebSocketError(CloseCode.InvalidPayload, "Invalid UTF-8: at byte 3", {
    cause,
  });
  assert.ok(error instanceof Error);
  assert.equal(error.name, "WebSocketError");
  assert.equal(error.closeCode, 1007);
  assert.equal(error.message, "Invalid UTF-8: at byte 3");
  assert.equal(error.cause, cause);
  assert.match(String(error), /^WebSocketError: Invalid UTF-8: at byte 3$/);
  assert.ok(error.stack?.includes("websocket_error_test.ts"));
});

Deno.test("WebSocketError: an application code (3000-4999) is kept as given, no cause by default", () => {
  const error = new WebSocketError(4001, "Kicked");
  assert.equal(error.closeCode, 4001);
  assert.equal("cause" in error, false);
});
