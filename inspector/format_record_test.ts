import assert from "node:assert/strict";
import { encodeFrame } from "../frames/frame_encoder.ts";
import { Opcode } from "../frames/opcode.ts";
import { concat } from "../tests/_random.ts";
import { FrameInspector, type FrameInspectorOptions, RecordFormatter } from "./mod.ts";

async function show(bytes: Uint8Array, options: FrameInspectorOptions = {}, full = false) {
  const inspector = new FrameInspector(options);
  const formatter = new RecordFormatter({ full });
  return [...await inspector.write(bytes), ...await inspector.end()]
    .map((record) => formatter.format(record)).join("\n");
}

const utf8 = (text: string) => new TextEncoder().encode(text);

Deno.test("RecordFormatter: frames, close codes, pings and problems", async () => {
  const wire = concat([
    encodeFrame({ opcode: Opcode.Binary, payload: new Uint8Array([0, 1, 0xfe, 0xff]) }),
    encodeFrame({ opcode: Opcode.Ping, payload: utf8("are you there?") }),
    encodeFrame({ opcode: Opcode.Pong, payload: new Uint8Array([1, 2]) }),
    encodeFrame({ opcode: Opcode.Text, payload: new Uint8Array() }),
    encodeFrame({ opcode: Opcode.Close, payload: new Uint8Array() }),
    encodeFrame({ opcode: Opcode.Close, payload: new Uint8Array([0x0f, 0xa1, 0x22]) }),
    encodeFrame({ opcode: Opcode.Text, payload: new Uint8Array([0xff]) }),
    new Uint8Array([0x81, 0x7e, 0x00]),
  ]);
  assert.equal(
    await show(wire),
    [
      "#1 @0 binary fin=1 rsv=000 len=4 mask=none",
      "   hex 00 01 fe ff",
      "#2 @6 ping fin=1 rsv=000 len=14 mask=none",
      '   hex 61 72 65 20 79 6f 75 20 74 68 65 72 65 3f  "are you there?"',
      "#3 @22 pong fin=1 rsv=000 len=2 mask=none",
      "   hex 01 02",
      "#4 @26 text fin=1 rsv=000 len=0 mask=none",
      "   (empty)",
      "#5 @28 close fin=1 rsv=000 len=0 mask=none",
      "   close without a status code",
      "#6 @30 close fin=1 rsv=000 len=3 mask=none",
      '   close 4001 (private use) "\\""',
      "#7 @35 text fin=1 rsv=000 len=1 mask=none",
      '   "\ufffd"',
      "!! @35 1007 (invalid payload data): Invalid text message: not UTF-8 at byte 0",
      "   (a receiver closes with 1007 here; inspection goes on)",
      "!! @38 1006 (abnormal closure): The capture ends inside frame 8: 3 byte(s) of it are there",
      "   (the capture is cut short here)",
    ].join("\n"),
  );
});

Deno.test("RecordFormatter: long payloads are cut unless full", async () => {
  const long = "ab".repeat(150) + "é";
  const wire = concat([
    encodeFrame({ opcode: Opcode.Text, payload: utf8(long) }),
    encodeFrame({ opcode: Opcode.Binary, payload: new Uint8Array(100) }),
  ]);
  const cut = (await show(wire)).split("\n");
  assert.equal(cut[1], `   ${JSON.stringify("ab".repeat(100))}... (102 more bytes)`);
  assert.equal(cut[3], `   hex ${"00 ".repeat(63)}00 ... (36 more bytes)`);
  const full = (await show(wire, {}, true)).split("\n");
  assert.equal(full[1], `   ${JSON.stringify(long)}`);
  assert.equal(full[3], `   hex ${"00 ".repeat(99)}00`);
});

Deno.test("RecordFormatter: a compressed message shows its wire bytes, then the inflated text", async () => {
  // "Hello" compressed as in RFC 7692 §7.2.3.1, in two fragments.
  const compressed = new Uint8Array([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
  const wire = concat([
    encodeFrame({
      opcode: Opcode.Text,
      rsv1: true,
      fin: false,
      payload: compressed.subarray(0, 3),
    }),
    encodeFrame({ opcode: Opcode.Continuation, payload: compressed.subarray(3) }),
  ]);
  assert.equal(
    await show(wire, { deflate: true }),
    [
      "#1 @0 text fin=0 rsv=100 len=3 mask=none",
      "   hex f2 48 cd",
      "#2 @5 continuation fin=1 rsv=000 len=4 mask=none",
      "   hex c9 c9 07 00",
      '   = text message (2 frames, inflated 7 -> 5 bytes): "Hello"',
    ].join("\n"),
  );
});
