import assert from "node:assert/strict";
import { CloseCode, isValidCloseCode } from "./close_code.ts";

/** Every range of RFC 6455 §7.4 and the IANA registry, by its edges: [first, last, valid on the wire]. */
const RANGES: [number, number, boolean][] = [
  [0, 999, false], // unused
  [1000, 1003, true], // normal, going away, protocol error, unsupported data
  [1004, 1004, false], // reserved
  [1005, 1006, false], // local only: no status, abnormal closure
  [1007, 1014, true], // invalid data ... bad gateway (1012–1014 from the registry)
  [1015, 1015, false], // local only: TLS handshake
  [1016, 2999, false], // reserved for future RFCs
  [3000, 4999, true], // registered and private use
  [5000, 65535, false], // out of range
];

Deno.test("isValidCloseCode: every range of RFC 6455 §7.4, at its edges", () => {
  for (const [first, last, valid] of RANGES) {
    for (const code of [first, last]) assert.equal(isValidCloseCode(code), valid, `code ${code}`);
  }
});

Deno.test("isValidCloseCode: negative, fractional, NaN and infinite codes are not valid", () => {
  for (const code of [-1, 3000.5, NaN, Infinity, -Infinity]) {
    assert.equal(isValidCloseCode(code), false, `code ${code}`);
  }
});

Deno.test("CloseCode: the codes sent on the wire are valid, the local ones are not", () => {
  const local: number[] = [
    CloseCode.NoStatusReceived,
    CloseCode.AbnormalClosure,
    CloseCode.TlsHandshake,
  ];
  for (const code of Object.values(CloseCode)) {
    assert.equal(isValidCloseCode(code), !local.includes(code), `code ${code}`);
  }
});
