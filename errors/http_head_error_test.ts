import assert from "node:assert/strict";
import { HttpHeadError, HttpHeadErrorCode } from "./http_head_error.ts";

Deno.test("HttpHeadError: status, code, message and cause", () => {
  const cause = new Error("reset");
  const error = new HttpHeadError(
    400,
    HttpHeadErrorCode.Closed,
    "Connection failed before the request head was complete",
    { cause },
  );
  assert.ok(error instanceof Error);
  assert.equal(error.name, "HttpHeadError");
  assert.equal(error.status, 400);
  assert.equal(error.code, "closed");
  assert.equal(error.cause, cause);
  assert.deepEqual(Object.values(HttpHeadErrorCode), [
    "malformed",
    "too-large",
    "timeout",
    "closed",
  ]);
});
