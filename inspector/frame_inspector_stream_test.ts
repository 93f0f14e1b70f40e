import assert from "node:assert/strict";
import { encodeFrame } from "../frames/frame_encoder.ts";
import { Opcode } from "../frames/opcode.ts";
import type { InspectedFrame, InspectorRecord } from "./inspector_record.ts";
import { FrameInspectorStream, FrameTapStream } from "./frame_inspector_stream.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);
const KEY = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);
const frames = (records: InspectorRecord[]) =>
  records.filter((r): r is InspectedFrame => r.kind === "frame");

Deno.test("FrameInspectorStream and FrameTapStream: records out, or the same bytes through", async () => {
  const wire = [
    encodeFrame({ opcode: Opcode.Text, payload: utf8("tap"), mask: KEY }),
    encodeFrame({ opcode: Opcode.Close, payload: new Uint8Array([0x0f, 0xa0]), mask: KEY }),
  ];
  const copies = wire.map((chunk) => chunk.slice());
  const records = await Array.fromAsync(
    ReadableStream.from(copies).pipeThrough(new FrameInspectorStream({ sender: "client" })),
  );
  assert.deepEqual(frames(records).map((f) => f.message?.text ?? f.close?.code), ["tap", 4000]);

  const seen: InspectorRecord[] = [];
  const passed = await Array.fromAsync(
    ReadableStream.from(copies).pipeThrough(
      new FrameTapStream({ sender: "client", onRecord: (r) => seen.push(r) }),
    ),
  );
  assert.equal(passed.length, 2);
  assert.equal(passed[0], copies[0], "the very same chunks");
  assert.deepEqual(passed, wire, "and unmodified (still masked)");
  assert.deepEqual(seen, records);
});

Deno.test("FrameInspectorStream: a capture cut inside a frame ends with a 1006 problem, not a stream error", async () => {
  const whole = encodeFrame({ opcode: Opcode.Binary, payload: new Uint8Array(10) });
  const records = await Array.fromAsync(
    ReadableStream.from([whole, whole.subarray(0, 5)]).pipeThrough(new FrameInspectorStream()),
  );
  assert.deepEqual(records.map((r) => r.kind === "frame" ? r.opcodeName : r.closeCode), [
    "binary",
    1006,
  ]);
});

Deno.test("FrameInspectorStream: after a fatal problem the rest of the input is read and ignored", async () => {
  // A server's frame must not be masked (RFC 6455 §5.1): the receiver fails with 1002.
  const masked = encodeFrame({ opcode: Opcode.Text, payload: utf8("x"), mask: KEY });
  const plain = encodeFrame({ opcode: Opcode.Text, payload: utf8("y") });
  let pulled = 0;
  const source = ReadableStream.from([plain, masked, plain, plain]).pipeThrough(
    new TransformStream({
      transform(chunk, controller) {
        pulled++;
        controller.enqueue(chunk);
      },
    }),
  );
  const records = await Array.fromAsync(
    source.pipeThrough(new FrameInspectorStream({ sender: "server" })),
  );
  assert.equal(pulled, 4);
  assert.deepEqual(records.map((r) => r.kind === "frame" ? r.message?.text : r.closeCode), [
    "y",
    1002,
  ]);
  assert.equal(records[1]!.kind === "problem" && records[1]!.fatal, true);
});

Deno.test("FrameTapStream: records from the end of input reach onRecord too", async () => {
  const seen: InspectorRecord[] = [];
  const cut = new Uint8Array([0x82, 0x05, 1, 2]);
  const passed = await Array.fromAsync(
    ReadableStream.from([cut]).pipeThrough(
      new FrameTapStream({ onRecord: (record) => seen.push(record) }),
    ),
  );
  assert.deepEqual(passed, [cut]);
  assert.deepEqual(seen.map((r) => r.kind === "problem" && r.closeCode), [1006]);
});
