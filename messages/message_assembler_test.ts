import assert from "node:assert/strict";
import { concat, SeededRandom } from "../tests/_random.ts";
import { FrameDecoder } from "../frames/frame_decoder.ts";
import { encodeFrame } from "../frames/frame_encoder.ts";
import type { FrameInit } from "../frames/frame.ts";
import { Opcode } from "../frames/opcode.ts";
import type { WebSocketError } from "../errors/websocket_error.ts";
import type { Message } from "./message.ts";
import {
  decodeTextMessage,
  MessageAssembler,
  type MessageAssemblerOptions,
} from "./message_assembler.ts";
import { MessageEncoder } from "./message_encoder.ts";

interface Run {
  messages: Message[];
  error: WebSocketError | undefined;
  /** How many input bytes had been written when the error appeared. */
  failedAfter: number;
}

function run(chunks: Uint8Array[], options: MessageAssemblerOptions = {}): Run {
  const messages: Message[] = [];
  const decoder = new FrameDecoder(
    new MessageAssembler((m) => messages.push(m), options),
    {
      role: "client",
    },
  );
  let written = 0;
  for (const chunk of chunks) {
    written += chunk.length;
    const error = decoder.write(chunk);
    if (error !== undefined) return { messages, error, failedAfter: written };
  }
  return { messages, error: undefined, failedAfter: -1 };
}

const wire = (...frames: FrameInit[]) => concat(frames.map((f) => encodeFrame(f)));
const utf8 = (s: string) => new TextEncoder().encode(s);
const bytes = (...v: number[]) => new Uint8Array(v);

Deno.test("MessageAssembler: fragments reassemble and control frames interleave", () => {
  const r = run([wire(
    { opcode: Opcode.Text, fin: false, payload: utf8("Hel") },
    { opcode: Opcode.Ping, payload: utf8("p") },
    { opcode: Opcode.Continuation, fin: false, payload: utf8("") },
    { opcode: Opcode.Pong, payload: utf8("q") },
    { opcode: Opcode.Continuation, payload: utf8("lo") },
    { opcode: Opcode.Binary, payload: bytes(1, 2, 3) },
    { opcode: Opcode.Text, payload: utf8("") },
    { opcode: Opcode.Close, payload: bytes(0x03, 0xe8, 0x6f, 0x6b) },
  )]);
  assert.equal(r.error, undefined);
  assert.deepEqual(r.messages, [
    { type: "ping", data: utf8("p") },
    { type: "pong", data: utf8("q") },
    { type: "text", data: "Hello" },
    { type: "binary", data: bytes(1, 2, 3) },
    { type: "text", data: "" },
    { type: "close", code: 1000, reason: "ok" },
  ]);
});

Deno.test("MessageAssembler: invalid UTF-8 fails with 1007 at the first bad byte, before the frame ends", () => {
  // A 20-byte text frame whose 3rd payload byte is invalid; only 5 bytes sent.
  const frame = concat([
    bytes(0x81, 20),
    utf8("ab"),
    bytes(0xff),
    utf8("c".repeat(17)),
  ]);
  const r = run([frame.subarray(0, 5), frame.subarray(5)]);
  assert.equal(r.error?.closeCode, 1007);
  assert.equal(
    r.failedAfter,
    5,
    "failed on the first chunk, not at the frame's end",
  );
});

Deno.test("MessageAssembler: invalid UTF-8 in a later fragment fails fast, byte by byte", () => {
  const frames = wire(
    { opcode: Opcode.Text, fin: false, payload: utf8("κό") },
    {
      opcode: Opcode.Continuation,
      fin: true,
      payload: bytes(0xf4, 0x90, 0x80, 0x80, 0x61),
    },
  );
  const r = run([...frames].map((b) => bytes(b)));
  assert.equal(r.error?.closeCode, 1007);
  // Header of frame 2 is 2 bytes: fails on the 0x90 right after 0xF4.
  assert.equal(r.failedAfter, 2 + 4 + 2 + 2);
});

Deno.test("MessageAssembler: a message ending inside a code point fails with 1007", () => {
  const r = run([wire(
    { opcode: Opcode.Text, fin: false, payload: utf8("a") },
    { opcode: Opcode.Continuation, payload: bytes(0xce) },
  )]);
  assert.equal(r.error?.closeCode, 1007);
  // Split across fragments is fine when the sequence completes.
  const ok = run([wire(
    { opcode: Opcode.Text, fin: false, payload: bytes(0xce) },
    { opcode: Opcode.Continuation, payload: bytes(0xba) },
  )]);
  assert.deepEqual(ok.messages, [{ type: "text", data: "κ" }]);
});

Deno.test("MessageAssembler: message size limit fails with 1009 at the header, before buffering", () => {
  const first = encodeFrame({
    opcode: Opcode.Binary,
    fin: false,
    payload: new Uint8Array(600),
  });
  const second = encodeFrame({
    opcode: Opcode.Continuation,
    payload: new Uint8Array(600),
  });
  // Only the header of the second frame is sent: that is enough to fail.
  const r = run([first, second.subarray(0, 4)], { maxMessageSize: 1000 });
  assert.equal(r.error?.closeCode, 1009);
  assert.equal(r.failedAfter, first.length + 4);
  // At the limit exactly, it passes.
  const ok = run([wire(
    { opcode: Opcode.Binary, fin: false, payload: new Uint8Array(500) },
    { opcode: Opcode.Continuation, payload: new Uint8Array(500) },
  )], { maxMessageSize: 1000 });
  assert.equal(ok.error, undefined);
  assert.equal((ok.messages[0] as { data: Uint8Array }).data.length, 1000);
});

Deno.test("MessageAssembler: invalid close bodies", () => {
  assert.equal(
    run([wire({ opcode: Opcode.Close, payload: bytes(0x03) })]).error
      ?.closeCode,
    1002,
  );
  assert.equal(
    run([wire({ opcode: Opcode.Close, payload: bytes(0x03, 0xed) })]).error
      ?.closeCode,
    1002,
  );
  assert.equal(
    run([wire({ opcode: Opcode.Close, payload: bytes(0x03, 0xe8, 0xff) })])
      .error?.closeCode,
    1007,
  );
  assert.deepEqual(
    run([wire({ opcode: Opcode.Close, payload: bytes() })]).messages,
    [
      { type: "close", code: 1005, reason: "" },
    ],
  );
});

Deno.test("MessageAssembler: binary messages are copies the caller owns", () => {
  const chunk = wire({ opcode: Opcode.Binary, payload: bytes(1, 2, 3) });
  const r = run([chunk]);
  chunk.fill(0);
  assert.deepEqual(
    (r.messages[0] as { data: Uint8Array }).data,
    bytes(1, 2, 3),
  );
});

Deno.test("MessageAssembler + MessageEncoder property: random messages, fragment sizes and splits round-trip", () => {
  const random = new SeededRandom(7);
  const texts = [
    "",
    "a",
    "Hello",
    "κόσμε",
    "𝄞𝄞𝄞",
    "日本語".repeat(50),
    "x".repeat(70000),
  ];
  for (let round = 0; round < 80; round++) {
    const encoder = new MessageEncoder({
      fragmentSize: [1, 2, 3, 100, 65536, Infinity][round % 6]!,
    });
    const sent: Message[] = [];
    for (let i = 0; i < 1 + random.int(6); i++) {
      const kind = random.int(3);
      if (kind === 0) {
        sent.push({ type: "text", data: texts[random.int(texts.length)]! });
      } else if (kind === 1) {
        sent.push({ type: "binary", data: random.bytes(random.int(3000)) });
      } else sent.push({ type: "ping", data: random.bytes(random.int(126)) });
    }
    const stream = concat(
      sent.flatMap((m) => encoder.encode(m)).map((f) => encodeFrame(f)),
    );
    const r = run(random.split(stream, [1, 7, 500, 100000][round % 4]!));
    assert.equal(r.error, undefined, `round ${round}: ${r.error?.message}`);
    assert.deepEqual(r.messages, sent, `round ${round}`);
  }
});

Deno.test("MessageAssembler: a text message that starts with U+FEFF keeps it, whole, fragmented or decompressed", () => {
  const text = "\uFEFFhi";
  const whole = run([wire({ opcode: Opcode.Text, payload: utf8(text) })]);
  const fragmented = run([
    wire(
      { opcode: Opcode.Text, fin: false, payload: utf8(text).subarray(0, 2) },
      { opcode: Opcode.Continuation, payload: utf8(text).subarray(2) },
    ),
  ]);
  assert.deepEqual(whole.messages, [{ type: "text", data: text }]);
  assert.deepEqual(fragmented.messages, [{ type: "text", data: text }]);
  // What decompressed text messages are decoded with.
  assert.equal(decodeTextMessage(utf8(text)), text);
});

Deno.test("MessageAssembler: streamMessages delivers chunks; the deprecated streaming too", () => {
  const bytes = wire({ opcode: Opcode.Text, payload: new TextEncoder().encode("hi") });
  const whole = run([bytes]);
  assert.deepEqual(whole.messages.map((m) => m.type), ["text"]);
  for (const options of [{ streamMessages: true }, { streaming: true }]) {
    const { messages, error } = run([bytes], options);
    assert.equal(error, undefined);
    assert.ok(
      messages.length > 0 && messages.every((m) => m.type === "chunk"),
      JSON.stringify(options),
    );
  }
});
