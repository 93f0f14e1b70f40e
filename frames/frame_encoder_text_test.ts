import assert from "node:assert/strict";
import { FrameDecoder } from "./frame_decoder.ts";
import { FrameCollector } from "./frame_collector.ts";
import type { Frame } from "./frame.ts";
import { FrameEncoder } from "./frame_encoder.ts";
import { Opcode } from "./opcode.ts";

/** Decode what `encoder` wrote with a decoder of the other role. */
function decode(chunks: Uint8Array[], role: "client" | "server") {
  const frames: Frame[] = [];
  const decoder = new FrameDecoder(new FrameCollector((frame) => frames.push(frame)), { role });
  for (const chunk of chunks) assert.equal(decoder.write(chunk), undefined);
  return frames;
}

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
