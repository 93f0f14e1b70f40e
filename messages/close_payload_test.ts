import assert from "node:assert/strict";
import { WebSocketError } from "../errors/websocket_error.ts";
import { encodeClosePayload, parseClosePayload } from "./close_payload.ts";

function body(code: number, reason: number[] = []): Uint8Array {
  return new Uint8Array([code >>> 8, code & 0xff, ...reason]);
}

function closeCodeOf(fn: () => unknown): number {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof WebSocketError);
    return error.closeCode;
  }
  assert.fail("expected a WebSocketError");
}

Deno.test("parseClosePayload: valid codes pass", () => {
  for (
    const code of [
      1000,
      1001,
      1002,
      1003,
      1007,
      1008,
      1009,
      1010,
      1011,
      1012,
      1013,
      1014,
      3000,
      3999,
      4000,
      4999,
    ]
  ) {
    assert.deepEqual(parseClosePayload(body(code)), { code, reason: "" });
  }
  assert.deepEqual(parseClosePayload(new Uint8Array()), {
    code: 1005,
    reason: "",
  });
  const reason = [...new TextEncoder().encode("κόσμε")];
  assert.deepEqual(parseClosePayload(body(1000, reason)), {
    code: 1000,
    reason: "κόσμε",
  });
});

Deno.test("parseClosePayload: invalid codes fail with 1002", () => {
  for (
    const code of [
      0,
      1,
      999,
      1004,
      1005,
      1006,
      1015,
      1016,
      1100,
      2000,
      2999,
      5000,
      65535,
    ]
  ) {
    assert.equal(
      closeCodeOf(() => parseClosePayload(body(code))),
      1002,
      `code ${code}`,
    );
  }
});

Deno.test("parseClosePayload: a 1-byte body fails with 1002", () => {
  assert.equal(
    closeCodeOf(() => parseClosePayload(new Uint8Array([0x03]))),
    1002,
  );
});

Deno.test("parseClosePayload: a reason that is not UTF-8 fails with 1007", () => {
  assert.equal(
    closeCodeOf(() => parseClosePayload(body(1000, [0xce, 0xba, 0xe1]))),
    1007,
  );
  assert.equal(closeCodeOf(() => parseClosePayload(body(1000, [0xff]))), 1007);
});

Deno.test("encodeClosePayload: codes, reasons and limits", () => {
  assert.deepEqual(encodeClosePayload(1000), body(1000));
  assert.deepEqual(encodeClosePayload(4000, "x"), body(4000, [0x78]));
  assert.equal(encodeClosePayload().length, 0);
  assert.equal(encodeClosePayload(1000, "a".repeat(123)).length, 125);
  assert.throws(() => encodeClosePayload(1000, "a".repeat(124)), RangeError);
  assert.throws(() => encodeClosePayload(1000, "é".repeat(62)), RangeError);
  for (const code of [0, 999, 1004, 1006, 1015, 2000, 5000]) {
    assert.throws(() => encodeClosePayload(code), RangeError, `code ${code}`);
  }
  assert.throws(() => encodeClosePayload(1005, "reason"), RangeError);
});

Deno.test("parseClosePayload: a reason that starts with U+FEFF keeps it", () => {
  const reason = [...new TextEncoder().encode("\uFEFFbye")];
  assert.deepEqual(parseClosePayload(body(1000, reason)), { code: 1000, reason: "\uFEFFbye" });
});
