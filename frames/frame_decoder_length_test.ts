/**
 * Regression tests from fuzzing (tests/fuzz): announced lengths that no
 * limit can admit.
 */
import assert from "node:assert/strict";
import { FrameCollector } from "./frame_collector.ts";
import { FrameDecoder } from "./frame_decoder.ts";
import { WebSocketError } from "../errors/websocket_error.ts";

/** A binary frame header with a 64-bit length of `high * 2^32 + low`. */
function header64(high: number, low: number): Uint8Array {
  const bytes = new Uint8Array(10);
  bytes[0] = 0x82;
  bytes[1] = 127;
  new DataView(bytes.buffer).setUint32(2, high);
  new DataView(bytes.buffer).setUint32(6, low);
  return bytes;
}

Deno.test("FrameDecoder: a length past 2^53 - 1 fails with 1009 even without a size limit", () => {
  // Found by fuzzing: with maxFrameSize Infinity, 2^63 - 1 was accepted, and
  // the assembler then threw a RangeError out of write().
  for (const [high, low] of [[0x7fffffff, 0xffffffff], [0x00200000, 0], [0x00200000, 1]]) {
    const frames: unknown[] = [];
    const decoder = new FrameDecoder(new FrameCollector((f) => frames.push(f)), {
      role: "client",
      maxFrameSize: Infinity,
    });
    const error = decoder.write(new Uint8Array([...header64(high!, low!), 1, 2, 3]));
    assert.ok(error instanceof WebSocketError);
    assert.equal(error.closeCode, 1009);
    assert.match(
      error.message,
      /^Frame too big: \d+ bytes announced, the limit is 9007199254740991$/,
    );
    assert.equal(frames.length, 0);
  }
});

Deno.test("FrameDecoder: 2^53 - 1 itself is within an unlimited decoder's range", () => {
  let started = 0;
  const decoder = new FrameDecoder({
    onFrameStart(header) {
      started++;
      assert.equal(header.length, Number.MAX_SAFE_INTEGER);
    },
    onFramePayload() {},
    onFrameEnd() {},
  }, { role: "client", maxFrameSize: Infinity });
  assert.equal(decoder.write(new Uint8Array([...header64(0x1fffff, 0xffffffff), 1, 2])), undefined);
  assert.equal(started, 1);
});
