import assert from "node:assert/strict";
import type { FrameInit } from "../frames/frame.ts";
import { Opcode } from "../frames/opcode.ts";
import type { Message } from "./message.ts";
import { MessageEncoder } from "./message_encoder.ts";

/** Frames as [opcode, fin, rsv1, payload bytes], defaults filled in as the frame encoder does. */
function shape(frames: FrameInit[]): [number, boolean, boolean, number[]][] {
  return frames.map((f) => [f.opcode, f.fin ?? true, f.rsv1 ?? false, [...f.payload]]);
}

const bytes = (...values: number[]) => new Uint8Array(values);

const cases: [
  name: string,
  message: Message,
  fragmentSize: number,
  frames: ReturnType<typeof shape>,
][] = [
  ["text as UTF-8", { type: "text", data: "hé" }, Infinity, [[Opcode.Text, true, false, [
    0x68,
    0xc3,
    0xa9,
  ]]]],
  ["empty text", { type: "text", data: "" }, 2, [[Opcode.Text, true, false, []]]],
  ["binary", { type: "binary", data: bytes(1, 2, 3) }, 3, [[Opcode.Binary, true, false, [
    1,
    2,
    3,
  ]]]],
  // §5.4: the first fragment carries the opcode, the rest are continuations, the last has FIN.
  ["binary over fragmentSize", { type: "binary", data: bytes(1, 2, 3, 4, 5) }, 2, [
    [Opcode.Binary, false, false, [1, 2]],
    [Opcode.Continuation, false, false, [3, 4]],
    [Opcode.Continuation, true, false, [5]],
  ]],
  ["text split inside a character", { type: "text", data: "aé" }, 2, [
    [Opcode.Text, false, false, [0x61, 0xc3]],
    [Opcode.Continuation, true, false, [0xa9]],
  ]],
  // RFC 7692 §6.1: RSV1 on the first frame of a compressed message only.
  ["compressed text", { type: "compressed", messageType: "text", data: bytes(9, 8, 7) }, 2, [
    [Opcode.Text, false, true, [9, 8]],
    [Opcode.Continuation, true, false, [7]],
  ]],
  ["compressed binary", { type: "compressed", messageType: "binary", data: bytes(9) }, 2, [
    [Opcode.Binary, true, true, [9]],
  ]],
  [
    "first chunk",
    { type: "chunk", messageType: "text", data: bytes(0x61), first: true, last: false },
    4,
    [
      [Opcode.Text, false, false, [0x61]],
    ],
  ],
  [
    "middle chunk over fragmentSize",
    {
      type: "chunk",
      messageType: "binary",
      data: bytes(1, 2, 3),
      first: false,
      last: false,
    },
    2,
    [
      [Opcode.Continuation, false, false, [1, 2]],
      [Opcode.Continuation, false, false, [3]],
    ],
  ],
  [
    "first and last chunk",
    { type: "chunk", messageType: "binary", data: bytes(1), first: true, last: true },
    4,
    [
      [Opcode.Binary, true, false, [1]],
    ],
  ],
  [
    "last chunk",
    { type: "chunk", messageType: "binary", data: bytes(1, 2, 3), first: false, last: true },
    2,
    [
      [Opcode.Continuation, false, false, [1, 2]],
      [Opcode.Continuation, true, false, [3]],
    ],
  ],
  // §5.5: control frames are never fragmented, whatever fragmentSize says.
  ["ping of 125 bytes", { type: "ping", data: new Uint8Array(125) }, 1, [
    [Opcode.Ping, true, false, new Array(125).fill(0)],
  ]],
  ["pong", { type: "pong", data: bytes(1, 2) }, 1, [[Opcode.Pong, true, false, [1, 2]]]],
  // §5.5.1: a close body is a 2-byte code and a UTF-8 reason; 1005 means no body.
  ["close with reason", { type: "close", code: 1000, reason: "bye" }, 1, [
    [Opcode.Close, true, false, [0x03, 0xe8, 0x62, 0x79, 0x65]],
  ]],
  ["close without code", { type: "close", code: 1005, reason: "" }, 1, [[
    Opcode.Close,
    true,
    false,
    [],
  ]]],
];

for (const [name, message, fragmentSize, frames] of cases) {
  Deno.test(`MessageEncoder.encode: ${name}`, () => {
    assert.deepEqual(shape(new MessageEncoder({ fragmentSize }).encode(message)), frames);
  });
}

Deno.test("MessageEncoder: payloads are not copied, fragments are views of them", () => {
  const data = new Uint8Array(10);
  const encoder = new MessageEncoder({ fragmentSize: 4 });
  const [whole] = new MessageEncoder().encode({ type: "binary", data });
  assert.equal(whole!.payload, data);
  for (const frame of encoder.encode({ type: "binary", data })) {
    assert.equal(frame.payload.buffer, data.buffer);
  }
});

Deno.test("MessageEncoder.encodePayload: bytes already encoded, fragmented and flagged alike", () => {
  const encoder = new MessageEncoder({ fragmentSize: 2 });
  assert.deepEqual(shape(encoder.encodePayload("text", bytes(0x61, 0x62, 0x63), true)), [
    [Opcode.Text, false, true, [0x61, 0x62]],
    [Opcode.Continuation, true, false, [0x63]],
  ]);
  assert.deepEqual(shape(encoder.encodePayload("binary", bytes(1))), [
    [Opcode.Binary, true, false, [1]],
  ]);
});

Deno.test("MessageEncoder: what cannot be sent is a RangeError", () => {
  for (const fragmentSize of [0, -1, NaN]) {
    assert.throws(
      () => new MessageEncoder({ fragmentSize }),
      (error: unknown) =>
        error instanceof RangeError &&
        error.message === `Invalid fragmentSize ${fragmentSize}: must be at least 1`,
    );
  }
  const encoder = new MessageEncoder();
  for (const type of ["ping", "pong"] as const) {
    assert.throws(
      () => encoder.encode({ type, data: new Uint8Array(126) }),
      (error: unknown) =>
        error instanceof RangeError &&
        error.message === `Cannot send ${type}: payload is 126 bytes, the limit is 125`,
    );
  }
  assert.throws(() => encoder.encode({ type: "close", code: 1006, reason: "" }), RangeError);
  assert.throws(
    () => encoder.encode({ type: "close", code: 1000, reason: "x".repeat(124) }),
    RangeError,
  );
});
