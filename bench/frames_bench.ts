import { FrameDecoder } from "../frames/frame_decoder.ts";
import { encodeFrame } from "../frames/frame_encoder.ts";
import { FrameEncoder } from "../frames/frame_encoder.ts";
import type { FrameHandler } from "../frames/frame.ts";
import { Opcode } from "../frames/opcode.ts";
import { MessageAssembler } from "../messages/message_assembler.ts";

/** Counts payload bytes; does nothing else, so the decoder's own cost shows. */
const sink: FrameHandler = {
  onFrameStart() {},
  onFramePayload() {},
  onFrameEnd() {},
};

for (const size of [16, 1024, 65536, 1 << 20]) {
  const group = `decode ${size} B`;
  // 64 frames per chunk for small payloads, as a busy socket read delivers them.
  const count = size <= 1024 ? 64 : 1;
  const key = new Uint8Array([1, 2, 3, 4]);
  const one = encodeFrame({ opcode: Opcode.Binary, payload: new Uint8Array(size), mask: key });
  const chunk = new Uint8Array(one.length * count);
  for (let i = 0; i < count; i++) chunk.set(one, i * one.length);
  const server = new FrameDecoder(sink, { role: "server" });
  Deno.bench({
    name: `decode ${count} masked frame(s) of ${size} B (per chunk)`,
    group,
    baseline: true,
    fn() {
      server.write(chunk);
    },
  });
  const messages = new FrameDecoder(new MessageAssembler(() => {}), { role: "server" });
  Deno.bench({
    name: `decode + assemble ${count} binary message(s) of ${size} B`,
    group,
    fn() {
      messages.write(chunk);
    },
  });
  const encoder = new FrameEncoder({ role: "client" });
  const payload = new Uint8Array(size);
  Deno.bench({
    name: `encode ${count} masked client frame(s) of ${size} B`,
    group,
    fn() {
      for (let i = 0; i < count; i++) encoder.encode({ opcode: Opcode.Binary, payload });
    },
  });
}

// A message that arrives in pieces (a frame split across reads, as a peer
// that writes in its own sizes causes): the assembler copies it into a
// buffer of its own.
for (const [size, piece] of [[16384, 8192], [1 << 20, 65536]] as const) {
  const one = encodeFrame({
    opcode: Opcode.Binary,
    payload: new Uint8Array(size),
    mask: new Uint8Array([1, 2, 3, 4]),
  });
  const pieces: Uint8Array[] = [];
  for (let i = 0; i < one.length; i += piece) pieces.push(one.slice(i, i + piece));
  const messages = new FrameDecoder(new MessageAssembler(() => {}), { role: "server" });
  Deno.bench({
    name: `decode + assemble a binary message of ${size} B in ${pieces.length} pieces`,
    group: `assemble split ${size} B`,
    fn() {
      for (const chunk of pieces) messages.write(chunk);
    },
  });
}
