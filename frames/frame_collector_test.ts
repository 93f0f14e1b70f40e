import assert from "node:assert/strict";
import type { Frame, FrameHeader } from "./frame.ts";
import { FrameCollector } from "./frame_collector.ts";
import { FrameDecoder } from "./frame_decoder.ts";

function header(length: number, mask?: Uint8Array): FrameHeader {
  return { fin: true, rsv1: false, rsv2: false, rsv3: false, opcode: 2, mask, length };
}

Deno.test("FrameCollector: a payload in one slice is passed as that view, uncopied", () => {
  const frames: Frame[] = [];
  const collector = new FrameCollector((frame) => frames.push(frame));
  const chunk = new Uint8Array([0, 1, 2, 3, 4, 5]);
  collector.onFrameStart(header(4));
  collector.onFramePayload(chunk.subarray(1, 5));
  collector.onFrameEnd();
  assert.equal(frames.length, 1);
  assert.equal(frames[0]!.payload.buffer, chunk.buffer);
  assert.equal(frames[0]!.payload.byteOffset, 1);
  assert.deepEqual([...frames[0]!.payload], [1, 2, 3, 4]);
});

Deno.test("FrameCollector: slices are joined in order into a new buffer of the frame's length", () => {
  const frames: Frame[] = [];
  const collector = new FrameCollector((frame) => frames.push(frame));
  const source = new Uint8Array([1, 2, 3, 4, 5, 6, 7]);
  for (const cuts of [[1, 6], [3], [6], [1, 2, 3, 4, 5, 6]]) {
    collector.onFrameStart(header(source.length));
    let start = 0;
    for (const end of [...cuts, source.length]) {
      collector.onFramePayload(source.subarray(start, end));
      start = end;
    }
    collector.onFrameEnd();
    const payload = frames.at(-1)!.payload;
    assert.deepEqual([...payload], [...source], `cut at ${cuts}`);
    assert.notEqual(payload.buffer, source.buffer);
  }
});

Deno.test("FrameCollector: flags and opcode kept, the reused mask buffer copied, empty payloads", () => {
  const frames: Frame[] = [];
  const collector = new FrameCollector((frame) => frames.push(frame));
  const mask = new Uint8Array([1, 2, 3, 4]);
  collector.onFrameStart({ ...header(0, mask), fin: false, rsv1: true, rsv3: true, opcode: 9 });
  collector.onFrameEnd();
  mask.fill(0); // the decoder reuses its key buffer for the next frame
  collector.onFrameStart(header(0));
  collector.onFrameEnd();
  assert.deepEqual(frames, [
    {
      fin: false,
      rsv1: true,
      rsv2: false,
      rsv3: true,
      opcode: 9,
      mask: new Uint8Array([1, 2, 3, 4]),
      payload: new Uint8Array(0),
    },
    {
      fin: true,
      rsv1: false,
      rsv2: false,
      rsv3: false,
      opcode: 2,
      mask: undefined,
      payload: new Uint8Array(0),
    },
  ]);
});

Deno.test("FrameCollector behind a FrameDecoder: masked frames split over chunks, each key its own", () => {
  // RFC 6455 §5.7: a masked "Hello", then a masked pong "Hello" with another key.
  const wire = new Uint8Array([
    ...[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58],
    ...[0x8a, 0x85, 0, 0, 0, 0, 0x48, 0x65, 0x6c, 0x6c, 0x6f],
  ]);
  for (let cut = 0; cut <= wire.length; cut++) {
    const frames: Frame[] = [];
    const decoder = new FrameDecoder(new FrameCollector((f) => frames.push(f)), { role: "server" });
    const bytes = wire.slice(); // the decoder unmasks in place
    assert.equal(decoder.write(bytes.subarray(0, cut)), undefined);
    assert.equal(decoder.write(bytes.subarray(cut)), undefined);
    assert.deepEqual(
      frames.map((f) => [f.opcode, [...f.mask!], new TextDecoder().decode(f.payload)]),
      [[1, [0x37, 0xfa, 0x21, 0x3d], "Hello"], [10, [0, 0, 0, 0], "Hello"]],
      `cut at ${cut}`,
    );
  }
});
