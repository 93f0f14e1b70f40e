import assert from "node:assert/strict";
import { CloseCode, isValidCloseCode } from "./close_code.ts";

Deno.test("CloseCode: the codes of RFC 6455 §7.4.1 and the IANA registry, by name", () => {
  assert.deepEqual(CloseCode, {
    NormalClosure: 1000,
    GoingAway: 1001,
    ProtocolError: 1002,
    UnsupportedData: 1003,
    NoStatusReceived: 1005,
    AbnormalClosure: 1006,
    InvalidPayload: 1007,
    PolicyViolation: 1008,
    MessageTooBig: 1009,
    MandatoryExtension: 1010,
    InternalError: 1011,
    ServiceRestart: 1012,
    TryAgainLater: 1013,
    BadGateway: 1014,
    TlsHandshake: 1015,
  });
});

// RFC 6455 §7.4.1: 1004 is reserved; 1005, 1006 and 1015 "MUST NOT be set
// as a status code in a Close control frame". §7.4.2: 0-999 are not used,
// 1000-2999 are for the protocol (1016 and above not yet assigned), 3000-4999
// for libraries, frameworks and applications.
const cases: [code: number, valid: boolean][] = [
  [-1, false],
  [0, false],
  [999, false],
  [1000, true],
  [1001, true],
  [1002, true],
  [1003, true],
  [1004, false],
  [1005, false],
  [1006, false],
  [1007, true],
  [1011, true],
  [1014, true],
  [1015, false],
  [1016, false],
  [2999, false],
  [3000, true],
  [3999, true],
  [4000, true],
  [4999, true],
  [5000, false],
  [65535, false],
  [3000.5, false],
  [NaN, false],
  [Infinity, false],
];

Deno.test("isValidCloseCode: the codes a close frame may carry, at every range boundary", () => {
  for (const [code, valid] of cases) assert.equal(isValidCloseCode(code), valid, `code ${code}`);
});

Deno.test("isValidCloseCode: every named code that is sent is valid; the local-only ones are not", () => {
  const localOnly: number[] = [
    CloseCode.NoStatusReceived,
    CloseCode.AbnormalClosure,
    CloseCode.TlsHandshake,
  ];
  for (const [name, code] of Object.entries(CloseCode)) {
    assert.equal(isValidCloseCode(code), !localOnly.includes(code), name);
  }
});

Deno.test("isValidCloseCode: negative, fractional, NaN and infinite codes are not valid", () => {
  for (const code of [-1, 1000.5, 1001.25, 3000.5, NaN, Infinity, -Infinity]) {
    assert.equal(isValidCloseCode(code), false, `code ${code}`);
  }
});
