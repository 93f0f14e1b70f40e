/**
 * Regression tests from fuzzing (tests/fuzz): what follows the peer's close
 * frame is ignored whether it arrives in the same chunk or a later one.
 */
import assert from "node:assert/strict";
import { encodeFrame } from "../frames/frame_encoder.ts";
import { Opcode } from "../frames/opcode.ts";
import { concat } from "../tests/_random.ts";
import { WebSocketProtocol } from "./websocket_protocol.ts";

const KEY = new Uint8Array([9, 8, 7, 6]);
const masked = (opcode: number, payload: Uint8Array) => encodeFrame({ opcode, payload, mask: KEY });
const close = masked(Opcode.Close, new Uint8Array([0x03, 0xef, 0x71])); // 1007 "q"
const after = [
  ["a ping", masked(Opcode.Ping, new Uint8Array([1, 2]))],
  ["a text message", masked(Opcode.Text, new TextEncoder().encode("late"))],
  ["a frame with reserved bits", new Uint8Array([0xb1, 0x80, 0, 0, 0, 0])],
  ["an unmasked frame", new Uint8Array([0x81, 0x00])],
] as const;

function outcome(chunks: Uint8Array[]) {
  const protocol = new WebSocketProtocol({ role: "server" });
  const events = [];
  let sent = 0;
  for (const chunk of chunks) {
    protocol.receiveData(chunk.slice());
    events.push(...protocol.eventsReceived());
    sent += protocol.dataToSend().length;
  }
  return {
    events,
    sent,
    closeCode: protocol.closeCode,
    closeReason: protocol.closeReason,
    error: protocol.error?.closeCode,
  };
}

for (const [what, bytes] of after) {
  Deno.test(`WebSocketProtocol: ${what} right after the close frame is ignored, in one chunk or two`, () => {
    // Found by fuzzing: in one chunk, a ping after the close was reported and
    // a violation after it replaced the peer's close code with 1002.
    const together = outcome([concat([close, bytes])]);
    const apart = outcome([close, bytes]);
    assert.deepEqual(together, apart);
    assert.deepEqual(together.events, [{ type: "close", code: 1007, reason: "q" }]);
    assert.equal(together.closeCode, 1007);
    assert.equal(together.closeReason, "q");
    assert.equal(together.error, undefined);
    assert.equal(together.sent, 1); // the echo of the close frame, nothing else
  });
}
