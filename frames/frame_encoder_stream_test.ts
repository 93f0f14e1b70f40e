import assert from "node:assert/strict";
import { MaskKeyGenerator } from "../masking/mask_key_generator.ts";
import { encodeFrame } from "./frame_encoder.ts";
import { FrameEncoderStream } from "./frame_encoder_stream.ts";
import { Opcode } from "./opcode.ts";

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

Deno.test("FrameEncoderStream (client): each frame masked with its own key from the source", async () => {
  const keys = new MaskKeyGenerator((pool) => {
    for (let i = 0; i < pool.length; i++) pool[i] = i & 0xff;
  });
  const payload = new TextEncoder().encode("Hello");
  const chunks = await Array.fromAsync(
    ReadableStream.from([
      { opcode: Opcode.Text, fin: false, payload },
      { opcode: Opcode.Continuation, payload },
    ]).pipeThrough(new FrameEncoderStream({ role: "client", keys })),
  );
  assert.deepEqual(chunks, [
    encodeFrame({ opcode: Opcode.Text, fin: false, payload, mask: new Uint8Array([0, 1, 2, 3]) }),
    encodeFrame({ opcode: Opcode.Continuation, payload, mask: new Uint8Array([4, 5, 6, 7]) }),
  ]);
  assert.equal(new TextDecoder().decode(payload), "Hello");
});

Deno.test("FrameEncoderStream: a frame that cannot be encoded errors the stream", async () => {
  const stream = ReadableStream.from([{ opcode: 0x10, payload: new Uint8Array() }]).pipeThrough(
    new FrameEncoderStream({ role: "server" }),
  );
  await assert.rejects(Array.fromAsync(stream), RangeError);
});
