import assert from "node:assert/strict";
import { concat, SeededRandom } from "../tests/_random.ts";
import { CloseCode } from "../errors/close_code.ts";
import type { Frame } from "./frame.ts";
import { FrameCollector } from "./frame_collector.ts";
import { FrameDecoder, type FrameDecoderOptions, ReservedBits } from "./frame_decoder.ts";
import { encodeFrame } from "./frame_encoder.ts";
import { Opcode } from "./opcode.ts";
import { WebSocketError } from "../errors/websocket_error.ts";

function decodeAll(
  chunks: Uint8Array[],
  options: FrameDecoderOptions,
): { frames: Frame[]; error: WebSocketError | undefined; idle: boolean } {
  const frames: Frame[] = [];
  const decoder = new FrameDecoder(
    new FrameCollector((frame) => frames.push({ ...frame, payload: frame.payload.slice() })),
    options,
  );
  let error: WebSocketError | undefined;
  for (const chunk of chunks) error = decoder.write(chunk);
  return { frames, error, idle: decoder.idle };
}

function bytes(...values: number[]): Uint8Array {
  return new Uint8Array(values);
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("FrameDecoder: RFC 6455 §5.7 examples byte for byte", () => {
  // Single-frame unmasked text.
  let r = decodeAll([bytes(0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f)], {
    role: "client",
  });
  assert.equal(r.error, undefined);
  assert.equal(r.frames.length, 1);
  assert.equal(r.frames[0]!.fin, true);
  assert.equal(r.frames[0]!.opcode, Opcode.Text);
  assert.equal(r.frames[0]!.mask, undefined);
  assert.equal(text(r.frames[0]!.payload), "Hello");

  // Single-frame masked text.
  r = decodeAll([
    bytes(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58),
  ], { role: "server" });
  assert.equal(r.error, undefined);
  assert.deepEqual([...r.frames[0]!.mask!], [0x37, 0xfa, 0x21, 0x3d]);
  assert.equal(text(r.frames[0]!.payload), "Hello");

  // Fragmented unmasked text.
  r = decodeAll([bytes(0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f)], {
    role: "client",
  });
  assert.equal(r.frames.length, 2);
  assert.equal(r.frames[0]!.fin, false);
  assert.equal(r.frames[0]!.opcode, Opcode.Text);
  assert.equal(r.frames[1]!.fin, true);
  assert.equal(r.frames[1]!.opcode, Opcode.Continuation);
  assert.equal(
    text(r.frames[0]!.payload) + text(r.frames[1]!.payload),
    "Hello",
  );

  // Unmasked ping, masked pong.
  r = decodeAll([bytes(0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f)], {
    role: "client",
  });
  assert.equal(r.frames[0]!.opcode, Opcode.Ping);
  assert.equal(text(r.frames[0]!.payload), "Hello");
  r = decodeAll([
    bytes(0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58),
  ], { role: "server" });
  assert.equal(r.frames[0]!.opcode, Opcode.Pong);
  assert.equal(text(r.frames[0]!.payload), "Hello");

  // 256 bytes binary, 16-bit length.
  const p256 = new SeededRandom(1).bytes(256);
  r = decodeAll([concat([bytes(0x82, 0x7e, 0x01, 0x00), p256])], {
    role: "client",
  });
  assert.deepEqual(r.frames[0]!.payload, p256);

  // 64 KiB binary, 64-bit length.
  const p64k = new SeededRandom(2).bytes(65536);
  r = decodeAll([
    concat([bytes(0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0), p64k]),
  ], { role: "client" });
  assert.deepEqual(r.frames[0]!.payload, p64k);
});

/** Every protocol rule, with the close code it must produce. */
const violations: {
  name: string;
  wire: Uint8Array;
  options: FrameDecoderOptions;
  code: number;
}[] = [
  {
    name: "RSV1 without extension",
    wire: bytes(0xc1, 0x00),
    options: { role: "client" },
    code: 1002,
  },
  {
    name: "RSV2 without extension",
    wire: bytes(0xa1, 0x00),
    options: { role: "client" },
    code: 1002,
  },
  {
    name: "RSV3 without extension",
    wire: bytes(0x91, 0x00),
    options: { role: "client" },
    code: 1002,
  },
  {
    name: "RSV2 when only RSV1 is negotiated",
    wire: bytes(0xa1, 0x00),
    options: { role: "client", allowedReservedBits: ReservedBits.Rsv1 },
    code: 1002,
  },
  ...[3, 4, 5, 6, 7].map((op) => ({
    name: `reserved data opcode ${op}`,
    wire: bytes(0x80 | op, 0x00),
    options: { role: "client" as const },
    code: 1002,
  })),
  ...[11, 12, 13, 14, 15].map((op) => ({
    name: `reserved control opcode ${op}`,
    wire: bytes(0x80 | op, 0x00),
    options: { role: "client" as const },
    code: 1002,
  })),
  {
    name: "fragmented ping",
    wire: bytes(0x09, 0x00),
    options: { role: "client" },
    code: 1002,
  },
  {
    name: "fragmented close",
    wire: bytes(0x08, 0x00),
    options: { role: "client" },
    code: 1002,
  },
  {
    name: "ping with 126 bytes",
    wire: bytes(0x89, 0x7e, 0x00, 0x7e),
    options: { role: "client" },
    code: 1002,
  },
  {
    name: "64-bit length with the top bit set",
    wire: bytes(0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0),
    options: { role: "client" },
    code: 1002,
  },
  {
    name: "masked frame from the server",
    wire: bytes(0x81, 0x80, 1, 2, 3, 4),
    options: { role: "client" },
    code: 1002,
  },
  {
    name: "unmasked frame from a client",
    wire: bytes(0x81, 0x00),
    options: { role: "server" },
    code: 1002,
  },
  {
    name: "continuation without a message",
    wire: bytes(0x80, 0x00),
    options: { role: "client" },
    code: 1002,
  },
  {
    name: "text frame while a fragmented message is open",
    wire: bytes(0x01, 0x01, 0x61, 0x81, 0x01, 0x62),
    options: { role: "client" },
    code: 1002,
  },
  {
    name: "binary frame while a fragmented message is open",
    wire: bytes(0x02, 0x00, 0x82, 0x00),
    options: { role: "client" },
    code: 1002,
  },
  {
    name: "frame above maxFrameSize",
    wire: bytes(0x82, 0x7e, 0x01, 0x00),
    options: { role: "client", maxFrameSize: 255 },
    code: 1009,
  },
  {
    name: "64-bit length above the default limit (64 MiB)",
    wire: bytes(0x82, 0x7f, 0, 0, 0, 0, 0x04, 0, 0, 1),
    options: { role: "client" },
    code: 1009,
  },
];

for (const { name, wire, options, code } of violations) {
  Deno.test(`FrameDecoder rejects ${name} with ${code}, whole and byte by byte`, () => {
    const whole = decodeAll([wire.slice()], options);
    assert.ok(whole.error instanceof WebSocketError, "expected an error");
    assert.equal(whole.error.closeCode, code);
    assert.match(whole.error.message, /\w/);
    const split = decodeAll([...wire].map((b) => bytes(b)), options);
    assert.equal(split.error?.closeCode, code);
  });
}

Deno.test("FrameDecoder fails fast on the first two bytes before the rest of the header arrives", () => {
  // A 64-bit length frame whose length bytes never arrive: the reserved opcode
  // is already enough to fail.
  const r = decodeAll([bytes(0x83, 0x7f)], { role: "client" });
  assert.equal(r.error?.closeCode, CloseCode.ProtocolError);
});

Deno.test("FrameDecoder: after an error, further input is ignored", () => {
  const frames: Frame[] = [];
  const decoder = new FrameDecoder(new FrameCollector((f) => frames.push(f)), {
    role: "client",
  });
  const first = decoder.write(bytes(0x83, 0x00));
  assert.equal(first?.closeCode, 1002);
  assert.equal(decoder.write(bytes(0x81, 0x01, 0x61)), first);
  assert.equal(frames.length, 0);
});

Deno.test("FrameDecoder: allowed reserved bits pass through, control frames interleave", () => {
  const wire = concat([
    bytes(0x41, 0x01, 0x61), // RSV1, text, not final
    bytes(0x89, 0x00), // ping in the middle
    bytes(0x80, 0x01, 0x62), // final continuation
  ]);
  const r = decodeAll([wire], {
    role: "client",
    allowedReservedBits: ReservedBits.Rsv1,
  });
  assert.equal(r.error, undefined);
  assert.deepEqual(r.frames.map((f) => [f.opcode, f.rsv1, f.fin]), [
    [Opcode.Text, true, false],
    [Opcode.Ping, false, true],
    [Opcode.Continuation, false, true],
  ]);
});

Deno.test("FrameDecoder: a handler's WebSocketError fails the stream instead of throwing", () => {
  const decoder = new FrameDecoder({
    onFrameStart() {},
    onFramePayload() {
      throw new WebSocketError(1007, "bad text");
    },
    onFrameEnd() {},
  }, { role: "client" });
  const error = decoder.write(bytes(0x81, 0x01, 0xff));
  assert.equal(error?.closeCode, 1007);
  assert.equal(decoder.error, error);
});

Deno.test("FrameDecoder: idle reports a partial frame", () => {
  const decoder = new FrameDecoder(new FrameCollector(() => {}), {
    role: "client",
  });
  assert.equal(decoder.idle, true);
  decoder.write(bytes(0x81));
  assert.equal(decoder.idle, false);
  decoder.write(bytes(0x02, 0x61));
  assert.equal(decoder.idle, false);
  decoder.write(bytes(0x62));
  assert.equal(decoder.idle, true);
});

/** A random valid frame sequence (as the given role would receive it). */
function randomFrames(
  random: SeededRandom,
  count: number,
  masked: boolean,
): Frame[] {
  const frames: Frame[] = [];
  let open = false;
  for (let i = 0; i < count; i++) {
    const kind = random.int(4);
    const mask = masked ? random.bytes(4) : undefined;
    if (kind === 0) {
      const opcode = [Opcode.Ping, Opcode.Pong, Opcode.Close][random.int(3)]!;
      frames.push({
        fin: true,
        rsv1: false,
        rsv2: false,
        rsv3: false,
        opcode,
        mask,
        payload: random.bytes(random.int(126)),
      });
      continue;
    }
    const sizes = [0, 1, 5, 125, 126, 127, 1000, 65535, 65536, 70000];
    const length = random.int(3) === 0 ? sizes[random.int(sizes.length)]! : random.int(300);
    const fin = random.int(2) === 0;
    frames.push({
      fin,
      rsv1: false,
      rsv2: false,
      rsv3: false,
      opcode: open ? Opcode.Continuation : (random.int(2) === 0 ? Opcode.Text : Opcode.Binary),
      mask,
      payload: random.bytes(length),
    });
    open = !fin;
  }
  return frames;
}

Deno.test("FrameDecoder property: any split of a random frame stream decodes to the same frames", () => {
  const random = new SeededRandom(0x5eed);
  for (let round = 0; round < 60; round++) {
    const masked = round % 2 === 0;
    const frames = randomFrames(random, 1 + random.int(12), masked);
    const wire = concat(frames.map((f) => encodeFrame(f)));
    const maxChunk = [1, 2, 3, 7, 64, 1000, 100000][round % 7]!;
    const r = decodeAll(random.split(wire, maxChunk), {
      role: masked ? "server" : "client",
    });
    assert.equal(r.error, undefined, `round ${round}: ${r.error?.message}`);
    assert.equal(r.idle, true);
    assert.equal(r.frames.length, frames.length, `round ${round}`);
    for (let i = 0; i < frames.length; i++) {
      const got = r.frames[i]!;
      const want = frames[i]!;
      assert.equal(got.fin, want.fin);
      assert.equal(got.opcode, want.opcode);
      assert.deepEqual(got.mask, want.mask);
      assert.deepEqual(got.payload, want.payload, `round ${round} frame ${i}`);
    }
  }
});
