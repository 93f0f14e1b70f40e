import assert from "node:assert/strict";
import { FrameDecoderStream } from "../frames/frame_decoder_stream.ts";
import { FrameEncoderStream } from "../frames/frame_encoder_stream.ts";
import { Opcode } from "../frames/opcode.ts";
import { WebSocketError } from "../errors/websocket_error.ts";
import type { Message } from "./message.ts";
import { MessageDecoderStream } from "./message_decoder_stream.ts";
import { MessageEncoderStream } from "./message_encoder_stream.ts";

Deno.test("message streams: encode, frame, mask, decode, reassemble", async () => {
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

Deno.test("MessageDecoderStream errors with 1007 on invalid UTF-8 and 1009 over the limit", async () => {
  const bad = ReadableStream.from([
    {
      fin: true,
      rsv1: false,
      rsv2: false,
      rsv3: false,
      opcode: Opcode.Text,
      mask: undefined,
      payload: new Uint8Array([0xff]),
    },
  ]).pipeThrough(new MessageDecoderStream());
  await assert.rejects(
    Array.fromAsync(bad),
    (e) => e instanceof WebSocketError && e.closeCode === 1007,
  );

  const big = ReadableStream.from([
    {
      fin: true,
      rsv1: false,
      rsv2: false,
      rsv3: false,
      opcode: Opcode.Binary,
      mask: undefined,
      payload: new Uint8Array(11),
    },
  ]).pipeThrough(new MessageDecoderStream({ maxMessageSize: 10 }));
  await assert.rejects(
    Array.fromAsync(big),
    (e) => e instanceof WebSocketError && e.closeCode === 1009,
  );
});

Deno.test("MessageEncoder rejects control payloads over 125 bytes", async () => {
  const stream = ReadableStream.from([{ type: "ping" as const, data: new Uint8Array(126) }])
    .pipeThrough(new MessageEncoderStream());
  await assert.rejects(Array.fromAsync(stream), RangeError);
});
