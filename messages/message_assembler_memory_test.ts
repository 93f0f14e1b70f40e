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

/**
 * Feed a 4 MiB message the way a connection does when it reads in place:
 * the header and a first piece through a read buffer, then every read into
 * `payloadBuffer()` of what is left.
 */
function readInPlace(role: "client" | "server", opcode: number, data: Uint8Array, piece: number) {
  const messages: Message[] = [];
  const assembler = new MessageAssembler((m) => messages.push(m));
  const decoder = new FrameDecoder(assembler, { role });
  const key = new Uint8Array([0x12, 0x34, 0x56, 0x78]);
  const head = role === "server"
    ? [...header64(0x80 | opcode, data.length)].map((b, i) => i === 1 ? b | 0x80 : b)
    : [...header64(0x80 | opcode, data.length)];
  const wire = role === "server" ? data.map((b, i) => b ^ key[i & 3]!) : data.slice();
  const first = new Uint8Array([
    ...head,
    ...(role === "server" ? key : []),
    ...wire.subarray(0, 1000),
  ]);
  assert.equal(decoder.write(first), undefined);
  const views: Uint8Array[] = [];
  /** The size of the buffer behind each view when it was offered (a buffer grown in place is detached). */
  const capacities: number[] = [];
  /** Bytes copied into the message's buffer while decoding what was read in place. */
  let copied = 0;
  let position = 1000;
  /** Bytes copied by `set` while the buffer was offered (grown), for all the reads. */
  let grownCopied = 0;
  while (position < wire.length) {
    const originalSet = Uint8Array.prototype.set;
    Uint8Array.prototype.set = function (source: ArrayLike<number>, offset?: number) {
      grownCopied += source.length;
      return originalSet.call(this, source, offset);
    };
    let into: Uint8Array | undefined;
    try {
      into = assembler.payloadBuffer();
    } finally {
      Uint8Array.prototype.set = originalSet;
    }
    if (into === undefined) {
      // Under 64 KiB left: read anywhere, as a connection does.
      assert.ok(wire.length - position < 64 * 1024, `no place offered at byte ${position}`);
      assert.equal(decoder.write(wire.slice(position)), undefined);
      break;
    }
    // The peer's bytes land in the view, as a socket read would put them.
    const n = Math.min(piece, into.length, wire.length - position);
    into.set(wire.subarray(position, position + n));
    position += n;
    views.push(into);
    capacities.push(into.buffer.byteLength);
    const set = Uint8Array.prototype.set;
    Uint8Array.prototype.set = function (source: ArrayLike<number>, offset?: number) {
      if (this.buffer === into.buffer) copied += source.length;
      return set.call(this, source, offset);
    };
    try {
      assert.equal(decoder.write(into.subarray(0, n)), undefined);
    } finally {
      Uint8Array.prototype.set = set;
    }
  }
  return { messages, views, capacities, assembler, copied, grownCopied };
}

Deno.test("MessageAssembler: payloadBuffer offers the rest of a large frame in place, unmasked and whole", () => {
  const rng = new SeededRandom(13);
  const data = rng.bytes(4 << 20);
  for (const role of ["client", "server"] as const) {
    const { messages, views, capacities, copied, grownCopied } = readInPlace(
      role,
      0x2,
      data,
      300_000,
    );
    assert.deepEqual(messages, [{ type: "binary", data }]);
    // Decoding what was read in place copies nothing into the buffer, but
    // for the unmasking's write-back (SIMD masking goes through its memory).
    assert.equal(copied, role === "client" ? 0 : data.length - 1000);
    // Read straight into the buffer that is handed out: 256 KiB, 2 MiB, then 4 MiB.
    const last = views[views.length - 1]!;
    assert.equal((messages[0] as { data: Uint8Array }).data.buffer, last.buffer);
    assert.deepEqual([...new Set(capacities)], [
      256 << 10,
      2 << 20,
      4 << 20,
    ]);
    // Grown in place (`ArrayBuffer.prototype.transfer`): what arrived is not copied again.
    assert.equal(grownCopied, 0);
  }
  const text = "é".repeat(1 << 20); // 2 MiB of UTF-8
  const { messages } = readInPlace("server", 0x1, new TextEncoder().encode(text), 70_000);
  assert.deepEqual(messages, [{ type: "text", data: text }]);
});

Deno.test("MessageAssembler: where ArrayBuffer has no transfer (Node 20), a buffer grows by a copy", () => {
  const data = new SeededRandom(14).bytes(4 << 20);
  const prototype = ArrayBuffer.prototype as { transfer?: unknown };
  const transfer = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, "transfer");
  delete prototype.transfer;
  try {
    const { messages, capacities, grownCopied } = readInPlace("client", 0x2, data, 300_000);
    assert.deepEqual(messages, [{ type: "binary", data }]);
    assert.deepEqual([...new Set(capacities)], [256 << 10, 2 << 20, 4 << 20]);
    // What had arrived is copied at each growth: up to 256 KiB, then up to 2 MiB.
    assert.ok(grownCopied > 2 << 20 && grownCopied <= (256 << 10) + (2 << 20), `${grownCopied}`);
  } finally {
    if (transfer !== undefined) Object.defineProperty(ArrayBuffer.prototype, "transfer", transfer);
  }
  assert.equal(typeof prototype.transfer, "function");
});

Deno.test("MessageAssembler: payloadBuffer checks text in place and never offers more than the rules allow", () => {
  // Invalid UTF-8 read in place fails like any other (1007).
  const bad = new Uint8Array(1 << 20).fill(0x61);
  bad[700_000] = 0xff;
  assert.throws(() => readInPlace("client", 0x1, bad, 100_000), /not UTF-8 at byte 700000/);
  // A header that announces 32 MiB after 1,000 bytes: 256 KiB offered, not 32 MiB.
  const assembler = new MessageAssembler(() => {});
  const decoder = new FrameDecoder(assembler, { role: "client" });
  decoder.write(new Uint8Array([...header64(0x82, 32 << 20), ...new Uint8Array(1000)]));
  assert.equal(assembler.payloadBuffer()!.length, (256 << 10) - 1000);
  // Nothing offered: between frames, under 64 KiB to come, control frames, streaming.
  const idle = new MessageAssembler(() => {});
  assert.equal(idle.payloadBuffer(), undefined);
  const small = new MessageAssembler(() => {});
  new FrameDecoder(small, { role: "client" }).write(new Uint8Array([...header64(0x82, 60_000), 1]));
  assert.equal(small.payloadBuffer(), undefined);
  const control = new MessageAssembler(() => {});
  new FrameDecoder(control, { role: "client" }).write(new Uint8Array([0x89, 100, 1]));
  assert.equal(control.payloadBuffer(), undefined);
  const streaming = new MessageAssembler(() => {}, { streaming: true });
  new FrameDecoder(streaming, { role: "client" }).write(
    new Uint8Array([...header64(0x82, 1 << 20), 1]),
  );
  assert.equal(streaming.payloadBuffer(), undefined);
});
