import assert from "node:assert/strict";
import type { Frame } from "../frames/frame.ts";
import { Opcode } from "../frames/opcode.ts";
import { WebSocketError } from "../errors/websocket_error.ts";
import { MessageDecoderStream } from "./message_decoder_stream.ts";

function frame(opcode: number, payload: number[] | string, fin = true, rsv1 = false): Frame {
  const bytes = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
  return {
    fin,
    rsv1,
    rsv2: false,
    rsv3: false,
    opcode,
    mask: undefined,
    payload: new Uint8Array(bytes),
  };
}

Deno.test("MessageDecoderStream: fragments reassemble, control frames interleave (§5.4)", async () => {
  const messages = await Array.fromAsync(
    ReadableStream.from([
      frame(Opcode.Text, "Hel", false),
      frame(Opcode.Ping, [1, 2]),
      frame(Opcode.Continuation, "lo", false),
      frame(Opcode.Continuation, "!"),
      frame(Opcode.Binary, [7]),
      frame(Opcode.Close, [0x03, 0xe8, 0x62, 0x79, 0x65]),
    ]).pipeThrough(new MessageDecoderStream()),
  );
  assert.deepEqual(messages, [
    { type: "ping", data: new Uint8Array([1, 2]) },
    { type: "text", data: "Hello!" },
    { type: "binary", data: new Uint8Array([7]) },
    { type: "close", code: 1000, reason: "bye" },
  ]);
});

Deno.test("MessageDecoderStream with compression: RSV1 marks a compressed message (RFC 7692 §6), not a control frame", async () => {
  const options = { compression: true };
  const messages = await Array.fromAsync(
    ReadableStream.from([
      frame(Opcode.Binary, [0xf2, 0x48], false, true),
      frame(Opcode.Continuation, [0]),
    ])
      .pipeThrough(new MessageDecoderStream(options)),
  );
  assert.deepEqual(messages, [
    { type: "compressed", messageType: "binary", data: new Uint8Array([0xf2, 0x48, 0]) },
  ]);
  const ping = ReadableStream.from([frame(Opcode.Ping, [], true, true)])
    .pipeThrough(new MessageDecoderStream(options));
  await assert.rejects(Array.fromAsync(ping), { name: "WebSocketError", closeCode: 1002 });
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
