/** The WHATWG checks on close codes and reasons that applications pass in. */
import assert from "node:assert/strict";
import { _isBlob, _toMessageData, _validateUserClose } from "./_user_input.ts";

function rejects(
  code: number | undefined,
  reason: string | undefined,
  name: string,
  role?: "client" | "server",
) {
  assert.throws(
    () => _validateUserClose(code, reason, role),
    (e: unknown) => e instanceof DOMException && e.name === name,
    `${code} ${JSON.stringify(reason)} (${role ?? "client"})`,
  );
}

Deno.test("_validateUserClose: codes that are not integers fail up front, for clients and servers", () => {
  // A code that passed here and failed in the frame encoder would leave the
  // socket closing with no close frame sent (WebSocketStream's closeCode).
  for (const role of ["client", "server"] as const) {
    rejects(3000.5, undefined, "InvalidAccessError", role);
    rejects(NaN, undefined, "InvalidAccessError", role);
    rejects(Infinity, undefined, "InvalidAccessError", role);
  }
});

Deno.test("_validateUserClose: the browser's codes for clients, the wire's for servers, 123-byte reasons", () => {
  _validateUserClose(1000, "bye");
  _validateUserClose(3000, undefined);
  _validateUserClose(4999, "x".repeat(123));
  _validateUserClose(1008, "policy", "server");
  rejects(1008, undefined, "InvalidAccessError");
  rejects(1005, undefined, "InvalidAccessError", "server");
  rejects(5000, undefined, "InvalidAccessError", "server");
  rejects(1000, "x".repeat(124), "SyntaxError");
  // Counted in UTF-8 bytes: 62 two-byte characters are 124 bytes.
  rejects(1000, "é".repeat(62), "SyntaxError");
});

Deno.test("_toMessageData: buffers of another realm are bytes, detached ones empty, other values strings", async () => {
  const { runInNewContext } = await import("node:vm");
  const foreign = runInNewContext("new Uint8Array([1, 2, 3, 4]).buffer") as ArrayBuffer;
  assert.equal(foreign instanceof ArrayBuffer, false, "a buffer of another realm");
  assert.deepEqual(_toMessageData(foreign), new Uint8Array([1, 2, 3, 4]));
  // A Blob of another realm (none in a vm context): told by its brand.
  const foreignBlob = { [Symbol.toStringTag]: "Blob", size: 1, arrayBuffer: () => {} };
  assert.equal(_isBlob(foreignBlob), true);
  assert.equal(_isBlob({ arrayBuffer() {} }), false);
  // Detached: told by the buffer's length, which works where ArrayBuffer has
  // no `detached` (Node 20) and where views throw on byteOffset.
  const buffer = new ArrayBuffer(4);
  const view = new DataView(buffer);
  structuredClone(buffer, { transfer: [buffer] });
  assert.deepEqual(_toMessageData(buffer), new Uint8Array(0));
  assert.deepEqual(_toMessageData(view), new Uint8Array(0));
  assert.equal(_toMessageData(42), "42");
  assert.equal(_toMessageData({}), "[object Object]");
  assert.throws(() => _toMessageData(Symbol("s")), TypeError);
});
