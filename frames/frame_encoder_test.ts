import assert from "node:assert/strict";
import { FrameDecoder } from "./frame_decoder.ts";
import { FrameCollector } from "./frame_collector.ts";
import type { Frame } from "./frame.ts";
import { MaskKeyGenerator } from "../masking/mask_key_generator.ts";
import { encodeFrame, FrameEncoder, frameHeaderSize, writeFrameHeader } from "./frame_encoder.ts";
import { Opcode } from "./opcode.ts";

/** Decode what `encoder` wrote with a decoder of the other role. */
function decode(chunks: Uint8Array[], role: "client" | "server") {
  const frames: Frame[] = [];
  const decoder = new FrameDecoder(new FrameCollector((frame) => frames.push(frame)), { role });
  for (const chunk of chunks) assert.equal(decoder.write(chunk), undefined);
  return frames;
}

function bytes(...values: number[]): Uint8Array {
  return new Uint8Array(values);
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("encodeFrame: RFC 6455 §5.7 examples byte for byte", () => {
  const hello = new TextEncoder().encode("Hello");
  const key = bytes(0x37, 0xfa, 0x21, 0x3d);
  assert.deepEqual(
    encodeFrame({ opcode: Opcode.Text, payload: hello }),
    bytes(0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f),
  );
  assert.deepEqual(
    encodeFrame({ opcode: Opcode.Text, payload: hello, mask: key }),
    bytes(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58),
  );
  assert.deepEqual(
    encodeFrame({
      opcode: Opcode.Text,
      fin: false,
      payload: hello.subarray(0, 3),
    }),
    bytes(0x01, 0x03, 0x48, 0x65, 0x6c),
  );
  assert.deepEqual(
    encodeFrame({ opcode: Opcode.Continuation, payload: hello.subarray(3) }),
    bytes(0x80, 0x02, 0x6c, 0x6f),
  );
  assert.deepEqual(
    encodeFrame({ opcode: Opcode.Ping, payload: hello }),
    bytes(0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f),
  );
  assert.deepEqual(
    encodeFrame({ opcode: Opcode.Pong, payload: hello, mask: key }),
    bytes(0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58),
  );
  assert.deepEqual(
    encodeFrame({ opcode: Opcode.Binary, payload: new Uint8Array(256) })
      .subarray(0, 4),
    bytes(0x82, 0x7e, 0x01, 0x00),
  );
  assert.deepEqual(
    encodeFrame({ opcode: Opcode.Binary, payload: new Uint8Array(65536) })
      .subarray(0, 10),
    bytes(0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0),
  );
  // The caller's payload is never modified by masking.
  assert.equal(text(hello), "Hello");
});

Deno.test("encodeFrame: minimal length encoding at every boundary (§5.2)", () => {
  const cases: [number, number[]][] = [
    [0, [0x82, 0]],
    [125, [0x82, 125]],
    [126, [0x82, 126, 0, 126]],
    [65535, [0x82, 126, 0xff, 0xff]],
    [65536, [0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]],
  ];
  for (const [length, head] of cases) {
    const frame = encodeFrame({
      opcode: Opcode.Binary,
      payload: new Uint8Array(length),
    });
    assert.deepEqual(
      [...frame.subarray(0, head.length)],
      head,
      `length ${length}`,
    );
    assert.equal(frame.length, head.length + length);
  }
});

Deno.test("frameHeaderSize: 2, 4 or 10 bytes by length (§5.2), plus 4 for a key", () => {
  const cases: [length: number, unmasked: number][] = [
    [0, 2],
    [125, 2],
    [126, 4],
    [0xffff, 4],
    [0x10000, 10],
    [Number.MAX_SAFE_INTEGER, 10],
  ];
  for (const [length, size] of cases) {
    assert.equal(frameHeaderSize(length, false), size, `length ${length}`);
    assert.equal(frameHeaderSize(length, true), size + 4, `length ${length}, masked`);
  }
});

Deno.test("writeFrameHeader: flags, opcode, 64-bit length and key at an offset", () => {
  const target = new Uint8Array(3 + 14 + 2).fill(0xee);
  const length = 2 ** 40 + 0x01020304; // high word 0x100, low word 0x01020304
  const written = writeFrameHeader(target, 3, {
    fin: false,
    rsv1: true,
    rsv2: false,
    rsv3: true,
    opcode: Opcode.Binary,
    mask: bytes(9, 8, 7, 6),
    length,
  });
  assert.equal(written, 14);
  assert.deepEqual(
    [...target],
    [0xee, 0xee, 0xee, 0x52, 0xff, 0, 0, 0x01, 0x00, 1, 2, 3, 4, 9, 8, 7, 6, 0xee, 0xee],
  );
  // Each flag bit on its own (§5.2: FIN 0x80, RSV1 0x40, RSV2 0x20, RSV3 0x10).
  const flags = [["fin", 0x80], ["rsv1", 0x40], ["rsv2", 0x20], ["rsv3", 0x10]] as const;
  for (const [flag, bit] of flags) {
    const head = new Uint8Array(2);
    const header = { fin: false, rsv1: false, rsv2: false, rsv3: false, [flag]: true };
    writeFrameHeader(head, 0, { ...header, opcode: 0xf, mask: undefined, length: 0 });
    assert.deepEqual([...head], [bit | 0xf, 0], flag);
  }
});

Deno.test("writeFrameHeader: lengths and opcodes that cannot be encoded are a RangeError", () => {
  const header = { fin: true, rsv1: false, rsv2: false, rsv3: false, mask: undefined };
  for (const length of [-1, 1.5, NaN, Infinity, Number.MAX_SAFE_INTEGER + 1]) {
    assert.throws(
      () => writeFrameHeader(new Uint8Array(14), 0, { ...header, opcode: 2, length }),
      (error: unknown) =>
        error instanceof RangeError &&
        error.message === `Cannot encode frame: invalid payload length ${length}`,
    );
  }
  for (const opcode of [-1, 0x10]) {
    assert.throws(
      () => writeFrameHeader(new Uint8Array(14), 0, { ...header, opcode, length: 0 }),
      (error: unknown) =>
        error instanceof RangeError &&
        error.message === `Cannot encode frame: opcode ${opcode} is not 4 bits`,
    );
  }
});

Deno.test("FrameEncoder (server): unmasked; payloads over 1 KiB are a second chunk, uncopied", () => {
  const encoder = new FrameEncoder({ role: "server" });
  const small = new Uint8Array(1024).fill(1);
  const [one, ...rest] = encoder.encode({ opcode: Opcode.Binary, payload: small });
  assert.equal(rest.length, 0);
  assert.deepEqual(one, encodeFrame({ opcode: Opcode.Binary, payload: small }));
  const large = new Uint8Array(1025).fill(2);
  const chunks = encoder.encode({ opcode: Opcode.Binary, fin: false, payload: large });
  assert.equal(chunks.length, 2);
  assert.deepEqual(chunks[0], bytes(0x02, 126, 0x04, 0x01));
  assert.equal(chunks[1], large);
});

Deno.test("FrameEncoder (client): every frame masked with the next key (§5.3), payload untouched", () => {
  let refills = 0;
  const keys = new MaskKeyGenerator((pool) => {
    refills++;
    for (let i = 0; i < pool.length; i++) pool[i] = (i * 31 + 7) & 0xff;
  });
  const encoder = new FrameEncoder({ role: "client", keys });
  const reference = new MaskKeyGenerator((pool) => {
    for (let i = 0; i < pool.length; i++) pool[i] = (i * 31 + 7) & 0xff;
  });
  for (const length of [0, 5, 1024, 1025, 70000]) {
    const payload = new Uint8Array(length).fill(0x5a);
    const chunks = encoder.encode({ opcode: Opcode.Binary, payload });
    assert.equal(chunks.length, 1, "a client's frame is one chunk, however large");
    const key = reference.next().slice();
    assert.deepEqual(chunks[0], encodeFrame({ opcode: Opcode.Binary, payload, mask: key }));
    assert.ok(payload.every((byte) => byte === 0x5a), "the caller's payload is not masked");
  }
  const [textFrame] = encoder.encodeText("Hello");
  const key = reference.next().slice();
  assert.deepEqual(
    textFrame,
    encodeFrame({ opcode: Opcode.Text, payload: bytes(72, 101, 108, 108, 111), mask: key }),
  );
  assert.equal(refills, 1);
});

Deno.test("FrameEncoder: a frame's own key is used whatever the role", () => {
  const key = bytes(0x37, 0xfa, 0x21, 0x3d);
  const hello = new TextEncoder().encode("Hello");
  const masked = bytes(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58);
  for (const role of ["server", "client"] as const) {
    const keys = new MaskKeyGenerator(() => assert.fail("no key is drawn"));
    const chunks = new FrameEncoder({ role, keys }).encode({
      opcode: Opcode.Text,
      payload: hello,
      mask: key,
    });
    assert.deepEqual(chunks, [masked], role);
  }
});

// Around the 7-bit/16-bit length boundaries, with 1-, 2-, 3- and 4-byte characters.
const texts = [
  "",
  "a",
  "a".repeat(125),
  "a".repeat(126),
  "é".repeat(62) + "a", // 125 bytes from 63 code units
  "é".repeat(63), // 126 bytes
  "€".repeat(42), // 126 bytes, header sized from 42 code units
  "😀".repeat(31) + "a", // 125 bytes with surrogate pairs
  "é".repeat(10000), // 20,000 bytes: encoded in place in the slab
  "a".repeat(21800), // worst case just under the slab's 64 KiB limit
  "a".repeat(21900), // just over: encoded apart
  "a".repeat(0xffff),
  "a".repeat(0x10000),
  "x\ud800y", // a lone surrogate becomes U+FFFD, as TextEncoder does
];

for (const role of ["server", "client"] as const) {
  Deno.test(`FrameEncoder.encodeText (${role}) matches encode() of the UTF-8 bytes`, () => {
    const encoder = new FrameEncoder({ role });
    for (const text of texts) {
      const frames = decode(encoder.encodeText(text), role === "server" ? "client" : "server");
      assert.equal(frames.length, 1);
      const frame = frames[0]!;
      assert.equal(frame.opcode, Opcode.Text);
      assert.equal(frame.fin, true);
      assert.equal(frame.mask !== undefined, role === "client", "masked only by a client");
      assert.deepEqual(frame.payload, new TextEncoder().encode(text), `text of ${text.length}`);
    }
  });
}

Deno.test("FrameEncoder output views never share bytes, even from one slab", () => {
  const encoder = new FrameEncoder({ role: "server" });
  const outputs = [
    ...encoder.encodeText("first"),
    ...encoder.encode({ opcode: Opcode.Binary, payload: new Uint8Array([1, 2, 3]) }),
    ...encoder.encodeText("third"),
  ];
  const copies = outputs.map((bytes) => bytes.slice());
  // Scribbling over one frame leaves the others intact.
  outputs[0]!.fill(0xff);
  assert.deepEqual(outputs[1], copies[1]);
  assert.deepEqual(outputs[2], copies[2]);
  // And the encoded frames are still what they were.
  assert.deepEqual(decode([outputs[2]!], "client")[0]!.payload, new TextEncoder().encode("third"));
});
