import assert from "node:assert/strict";
import { isControlOpcode, Opcode } from "./opcode.ts";

Deno.test("Opcode: the values of RFC 6455 §5.2", () => {
  assert.deepEqual(Opcode, {
    Continuation: 0x0,
    Text: 0x1,
    Binary: 0x2,
    Close: 0x8,
    Ping: 0x9,
    Pong: 0xa,
  });
});

Deno.test("isControlOpcode: exactly the opcodes with the high bit set, 0x8-0xF (§5.5)", () => {
  for (let opcode = 0; opcode <= 0xf; opcode++) {
    assert.equal(isControlOpcode(opcode), opcode >= 0x8, `opcode ${opcode}`);
  }
});
