/**
 * Regression tests from fuzzing (tests/fuzz): the assembler's buffer follows
 * the bytes that arrived, not the length a header announced.
 */
import assert from "node:assert/strict";
import { FrameDecoder } from "../frames/frame_decoder.ts";
import type { WebSocketError } from "../errors/websocket_error.ts";
import { SeededRandom } from "../tests/_random.ts";
import type { Message } from "./message.ts";
import { MessageAssembler } from "./message_assembler.ts";

/** An unmasked frame header (`first` byte given) announcing `length` in 64 bits. */
function header64(first: number, length: number): Uint8Array {
  const bytes = new Uint8Array(10);
  bytes[0] = first;
  bytes[1] = 127;
  new DataView(bytes.buffer).setUint32(2, Math.floor(length / 0x100000000));
  new DataView(bytes.buffer).setUint32(6, length >>> 0);
  return bytes;
}

Deno.test("MessageAssembler: a header that announces 32 MiB and sends 10 bytes costs no 32 MiB", () => {
  // Before the fix each of these decoders allocated the announced 32 MiB at
  // the first payload byte: 8 of them took 256 MiB for 160 bytes received.
  const size = 32 << 20;
  const before = Deno.memoryUsage().external;
  const decoders: FrameDecoder[] = [];
  for (const first of [0x82, 0x02, 0x81, 0x01, 0x82, 0x02, 0x81, 0x01]) {
    const decoder = new FrameDecoder(new MessageAssembler(() => {}, { maxMessageSize: size }), {
      role: "client",
      maxFrameSize: size,
    });
    assert.equal(
      decoder.write(new Uint8Array([...header64(first, size), ...new Uint8Array(10)])),
      undefined,
    );
    decoders.push(decoder);
  }
  const grown = Deno.memoryUsage().external - before;
  assert.ok(grown < 8 << 20, `${grown} bytes of buffers for 8 lying headers`);
  assert.equal(decoders.length, 8);
});

Deno.test("MessageAssembler: without a size limit, a lying 2^53-byte frame neither throws nor allocates what it announces", () => {
  const decoder = new FrameDecoder(new MessageAssembler(() => {}, { maxMessageSize: Infinity }), {
    role: "client",
    maxFrameSize: Infinity,
  });
  const error = decoder.write(new Uint8Array([...header64(0x82, 2 ** 53 - 1), 1, 2, 3]));
  assert.equal(error, undefined); // announced: fine; it would take forever to arrive
  assert.equal(decoder.write(new Uint8Array(100_000)), undefined);
});

Deno.test("MessageAssembler: messages in many fragments and slices come out whole while the buffer grows", () => {
  const rng = new SeededRandom(7);
  for (let round = 0; round < 20; round++) {
    const messages: Message[] = [];
    const decoder = new FrameDecoder(new MessageAssembler((m) => messages.push(m)), {
      role: "client",
    });
    const data = rng.bytes(rng.int(200_000));
    const wire: number[] = [];
    let position = 0;
    do {
      const end = Math.min(data.length, position + rng.int(40_000));
      const fragment = data.subarray(position, end);
      const first = (end === data.length ? 0x80 : 0) | (position === 0 ? 0x2 : 0x0);
      wire.push(...header64(first, fragment.length), ...fragment);
      position = end;
    } while (position < data.length);
    for (const chunk of rng.split(new Uint8Array(wire), 70_000)) {
      const error: WebSocketError | undefined = decoder.write(chunk);
      assert.equal(error, undefined);
    }
    assert.equal(messages.length, 1);
    assert.deepEqual(messages[0], { type: "binary", data });
  }
});
