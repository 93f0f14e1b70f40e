import assert from "node:assert/strict";
import { FrameDecoderStream } from "../frames/frame_decoder_stream.ts";
import { FrameEncoderStream } from "../frames/frame_encoder_stream.ts";
import type { Message } from "./message.ts";
import { MessageDecoderStream } from "./message_decoder_stream.ts";
import { MessageEncoderStream } from "./message_encoder_stream.ts";

Deno.test("MessageEncoderStream -> frames -> MessageDecoderStream: encode, frame, mask, decode, reassemble", async () => {
  const sent: Message[] = [
    { type: "text", data: "héllo wörld ".repeat(100) },
    { type: "binary", data: new Uint8Array(5000).fill(7) },
    { type: "pong", data: new Uint8Array([1]) },
    { type: "close", code: 4001, reason: "done" },
  ];
  const received = await Array.fromAsync(
    ReadableStream.from(sent)
      .pipeThrough(new MessageEncoderStream({ fragmentSize: 333 }))
      .pipeThrough(new FrameEncoderStream({ role: "client" }))
      .pipeThrough(new FrameDecoderStream({ role: "server" }))
      .pipeThrough(new MessageDecoderStream()),
  );
  assert.deepEqual(received, sent);
});

Deno.test("MessageEncoderStream: each message becomes its frames, fragmented by fragmentSize", async () => {
  const frames = await Array.fromAsync(
    ReadableStream.from<Message>([
      { type: "binary", data: new Uint8Array([1, 2, 3, 4, 5]) },
      { type: "ping", data: new Uint8Array([9]) },
      { type: "text", data: "ab" },
    ]).pipeThrough(new MessageEncoderStream({ fragmentSize: 2 })),
  );
  assert.deepEqual(
    frames.map((frame) => [frame.opcode, frame.fin ?? true, [...frame.payload]]),
    [
      [0x2, false, [1, 2]],
      [0x0, false, [3, 4]],
      [0x0, true, [5]],
      [0x9, true, [9]],
      [0x1, true, [0x61, 0x62]],
    ],
  );
});

Deno.test("MessageEncoderStream errors on a control payload over 125 bytes (§5.5)", async () => {
  const stream = ReadableStream.from([{ type: "ping" as const, data: new Uint8Array(126) }])
    .pipeThrough(new MessageEncoderStream());
  await assert.rejects(Array.fromAsync(stream), RangeError);
});
