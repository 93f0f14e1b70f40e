import assert from "node:assert/strict";
import { SeededRandom } from "../tests/_random.ts";
import type { Frame, FrameInit } from "./frame.ts";
import { FrameDecoderStream } from "./frame_decoder_stream.ts";
import { FrameEncoderStream } from "./frame_encoder_stream.ts";
import { Opcode } from "./opcode.ts";
import { WebSocketError } from "../errors/websocket_error.ts";

Deno.test("FrameEncoderStream -> FrameDecoderStream: client frames are masked with fresh keys and round-trip", async () => {
  const random = new SeededRandom(3);
  const frames: FrameInit[] = [];
  for (let i = 0; i < 50; i++) {
    frames.push({ opcode: Opcode.Binary, payload: random.bytes(random.int(70000)) });
  }
  const chunks = await Array.fromAsync(
    ReadableStream.from(frames).pipeThrough(new FrameEncoderStream({ role: "client" })),
  );
  // Re-chunk randomly, as a network would.
  const total = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    total.set(c, offset);
    offset += c.length;
  }
  const decoded: Frame[] = await Array.fromAsync(
    ReadableStream.from(random.split(total, 5000)).pipeThrough(
      new FrameDecoderStream({ role: "server" }),
    ),
  );
  assert.equal(decoded.length, frames.length);
  const keys = new Set<string>();
  for (let i = 0; i < frames.length; i++) {
    assert.deepEqual(decoded[i]!.payload, frames[i]!.payload);
    assert.ok(decoded[i]!.mask !== undefined, "client frames are masked");
    keys.add(decoded[i]!.mask!.join(","));
  }
  assert.ok(keys.size >= 49, `keys repeat: ${keys.size} distinct of 50`);
});

Deno.test("FrameEncoderStream (server): large payloads pass through uncopied", async () => {
  const payload = new Uint8Array(100_000);
  const chunks = await Array.fromAsync(
    ReadableStream.from([{ opcode: Opcode.Binary, payload }]).pipeThrough(
      new FrameEncoderStream({ role: "server" }),
    ),
  );
  assert.equal(chunks.length, 2);
  assert.equal(chunks[1], payload);
});

Deno.test("FrameDecoderStream errors with the close code on a protocol violation", async () => {
  const stream = ReadableStream.from([new Uint8Array([0x81, 0x00])]).pipeThrough(
    new FrameDecoderStream({ role: "server" }),
  );
  await assert.rejects(Array.fromAsync(stream), (error) => {
    assert.ok(error instanceof WebSocketError);
    assert.equal(error.closeCode, 1002);
    return true;
  });
});

Deno.test("FrameDecoderStream errors with 1006 when input ends mid-frame", async () => {
  const stream = ReadableStream.from([new Uint8Array([0x81, 0x05, 0x48])]).pipeThrough(
    new FrameDecoderStream({ role: "client" }),
  );
  await assert.rejects(Array.fromAsync(stream), (error) => {
    assert.ok(error instanceof WebSocketError);
    assert.equal(error.closeCode, 1006);
    return true;
  });
});
