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

Deno.test("FrameDecoderStream: every frame of a chunk comes out, payloads whole across chunks", async () => {
  // RFC 6455 §5.7: unmasked "Hello" twice, then "Hel" + "lo" in two fragments.
  const hello = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
  const fragments = [0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f];
  const wire = new Uint8Array([...hello, ...hello, ...fragments]);
  const chunks = [wire.subarray(0, 16), wire.subarray(16, 17), wire.subarray(17)];
  const frames = await Array.fromAsync(
    ReadableStream.from(chunks).pipeThrough(new FrameDecoderStream({ role: "client" })),
  );
  assert.deepEqual(
    frames.map((frame) => [frame.fin, frame.opcode, new TextDecoder().decode(frame.payload)]),
    [[true, 1, "Hello"], [true, 1, "Hello"], [false, 1, "Hel"], [true, 0, "lo"]],
  );
});

Deno.test("FrameDecoderStream: the decoder's limits apply (1009 over maxFrameSize)", async () => {
  const frame = (length: number) => new Uint8Array([0x82, length, ...new Uint8Array(length)]);
  const options = { role: "client", maxFrameSize: 10 } as const;
  const fits = await Array.fromAsync(
    ReadableStream.from([frame(10)]).pipeThrough(new FrameDecoderStream(options)),
  );
  assert.equal(fits[0]!.payload.length, 10);
  const stream = ReadableStream.from([frame(11)]).pipeThrough(new FrameDecoderStream(options));
  await assert.rejects(Array.fromAsync(stream), { name: "WebSocketError", closeCode: 1009 });
});
