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

/** Feed `wire` in `slice`-byte pieces and count the byte buffers of 1 KiB or more allocated meanwhile. */
function countBuffers(wire: Uint8Array, slice: number): { messages: Message[]; buffers: number } {
  const messages: Message[] = [];
  const decoder = new FrameDecoder(new MessageAssembler((m) => messages.push(m)), {
    role: "client",
  });
  let buffers = 0;
  const original = globalThis.Uint8Array;
  globalThis.Uint8Array = new Proxy(original, {
    construct(target, args, newTarget) {
      if (typeof args[0] === "number" && args[0] >= 1024) buffers++;
      return Reflect.construct(target, args, newTarget);
    },
  });
  try {
    for (let i = 0; i < wire.length; i += slice) {
      assert.equal(decoder.write(wire.subarray(i, i + slice)), undefined);
    }
  } finally {
    globalThis.Uint8Array = original;
  }
  return { messages, buffers };
}

Deno.test("MessageAssembler: a single-frame message that arrives in pieces fills one buffer of its length", () => {
  // Before: a zero-filled buffer from 16 KiB, doubled and copied over as the
  // bytes came (5 buffers for 200 KiB, 7 for 1 MiB).
  const rng = new SeededRandom(11);
  for (const [size, most] of [[200 * 1024, 1], [1 << 20, 2]] as const) {
    const data = rng.bytes(size);
    const { messages, buffers } = countBuffers(
      new Uint8Array([...header64(0x82, size), ...data]),
      1000,
    );
    assert.deepEqual(messages, [{ type: "binary", data }]);
    assert.ok(buffers <= most, `${buffers} buffers for a ${size}-byte message`);
    // Handed out whole: no copy, no spare bytes behind it.
    assert.equal((messages[0] as { data: Uint8Array }).data.buffer.byteLength, size);
  }
});

Deno.test("MessageAssembler: a fragmented message grows from its first fragment's size", () => {
  // Ten 100 KiB fragments: 100, 200, 400, 800 KiB, then the message's length
  // once the last fragment announces it. Before: 16 KiB doubled, 8 buffers.
  const rng = new SeededRandom(12);
  const data = rng.bytes(10 * 100 * 1024);
  const wire: number[] = [];
  for (let i = 0; i < 10; i++) {
    const first = (i === 9 ? 0x80 : 0) | (i === 0 ? 0x2 : 0x0);
    wire.push(
      ...header64(first, 100 * 1024),
      ...data.subarray(i * 100 * 1024, (i + 1) * 100 * 1024),
    );
  }
  const { messages, buffers } = countBuffers(new Uint8Array(wire), 1000);
  assert.deepEqual(messages, [{ type: "binary", data }]);
  assert.ok(buffers <= 5, `${buffers} buffers for ten fragments`);
});
