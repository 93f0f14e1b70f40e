/**
 * `streamMessages` and `sendChunk` in the sans-I/O protocol: chunks per
 * payload slice with first/last, control frames in between, UTF-8 checked
 * per chunk, no interleaved messages on the sending side.
 */
import assert from "node:assert/strict";
import { PerMessageDeflate } from "../compression/per_message_deflate.ts";
import type { FrameInit } from "../frames/frame.ts";
import { encodeFrame } from "../frames/frame_encoder.ts";
import { Opcode } from "../frames/opcode.ts";
import type { Message } from "../messages/message.ts";
import { WebSocketProtocol } from "./websocket_protocol.ts";

const KEY = new Uint8Array([1, 2, 3, 4]);
const utf8 = (text: string) => new TextEncoder().encode(text);
const fromClient = (frame: FrameInit) => encodeFrame({ ...frame, mask: KEY });

function streamingServer(maxMessageSize?: number): WebSocketProtocol {
  return new WebSocketProtocol({ role: "server", streamMessages: true, maxMessageSize });
}

Deno.test("streamMessages: one chunk per payload slice, first and last marked, pings between", () => {
  const server = streamingServer();
  const first = fromClient({ opcode: Opcode.Text, fin: false, payload: utf8("Hél") });
  // Split inside the first frame's payload (and inside "é"): two slices.
  server.receiveData(first.subarray(0, 8));
  server.receiveData(first.subarray(8));
  server.receiveData(fromClient({ opcode: Opcode.Ping, payload: utf8("p") }));
  server.receiveData(fromClient({ opcode: Opcode.Continuation, payload: utf8("lo") }));
  const events = server.eventsReceived();
  const summary = events.map((event: Message) =>
    event.type === "chunk"
      ? [event.messageType, new TextDecoder().decode(event.data), event.first, event.last]
      : [event.type]
  );
  assert.deepEqual(summary, [
    ["text", "H\ufffd", true, false],
    ["text", "\ufffdl", false, false],
    ["ping"],
    ["text", "lo", false, true],
  ]);
  // The ping was answered while the message was still open.
  assert.equal(server.dataToSend().length, 1);
});

Deno.test("streamMessages: an empty final frame ends the message with an empty last chunk", () => {
  const server = streamingServer();
  server.receiveData(
    fromClient({ opcode: Opcode.Binary, fin: false, payload: new Uint8Array([7]) }),
  );
  server.receiveData(fromClient({ opcode: Opcode.Continuation, payload: new Uint8Array(0) }));
  server.receiveData(fromClient({ opcode: Opcode.Binary, payload: new Uint8Array(0) }));
  assert.deepEqual(server.eventsReceived(), [
    { type: "chunk", messageType: "binary", data: new Uint8Array([7]), first: true, last: false },
    { type: "chunk", messageType: "binary", data: new Uint8Array(0), first: false, last: true },
    { type: "chunk", messageType: "binary", data: new Uint8Array(0), first: true, last: true },
  ]);
});

Deno.test("streamMessages: bad UTF-8 fails with 1007 after the valid chunks; limits still apply", () => {
  const server = streamingServer();
  server.receiveData(fromClient({ opcode: Opcode.Text, fin: false, payload: utf8("ok") }));
  server.receiveData(fromClient({ opcode: Opcode.Continuation, payload: new Uint8Array([0xff]) }));
  assert.equal(server.eventsReceived().length, 1);
  assert.equal(server.closeExpected(), true);
  assert.equal(server.error?.closeCode, 1007);

  const limited = streamingServer(4);
  limited.receiveData(
    fromClient({ opcode: Opcode.Binary, fin: false, payload: new Uint8Array(3) }),
  );
  limited.receiveData(fromClient({ opcode: Opcode.Continuation, payload: new Uint8Array(2) }));
  limited.eventsReceived();
  assert.equal(limited.closeExpected(), true);
  assert.equal(limited.error?.closeCode, 1009);
});

Deno.test("streamMessages with permessage-deflate: a compressed message is one checked chunk", () => {
  const client = new WebSocketProtocol({
    role: "client",
    compression: PerMessageDeflate.fromHandshake("permessage-deflate", "client", { threshold: 0 }),
  });
  const server = new WebSocketProtocol({
    role: "server",
    streamMessages: true,
    compression: PerMessageDeflate.fromHandshake("permessage-deflate", "server", { threshold: 0 }),
  });
  client.sendText("squeeze ".repeat(100));
  for (const bytes of client.dataToSend()) server.receiveData(bytes);
  const [event] = server.eventsReceived();
  assert.equal(event?.type, "chunk");
  if (event?.type !== "chunk") return;
  assert.equal(event.first && event.last, true);
  assert.equal(new TextDecoder().decode(event.data), "squeeze ".repeat(100));
});

Deno.test("sendChunk: fragments on the wire, control frames may interleave, messages may not", () => {
  const client = new WebSocketProtocol({ role: "client", fragmentSize: 2 });
  const server = new WebSocketProtocol({ role: "server" });
  client.sendChunk("text", utf8("abc"), false); // two frames: "ab", "c"
  client.sendPing(utf8("mid"));
  assert.throws(() => client.sendText("other"), TypeError);
  assert.throws(() => client.sendBinary(new Uint8Array(1)), TypeError);
  assert.throws(() => client.sendChunk("binary", new Uint8Array(1), true), TypeError);
  client.sendChunk("text", utf8("d"), true);
  client.sendText("next"); // allowed again
  for (const bytes of client.dataToSend()) server.receiveData(bytes);
  assert.deepEqual(server.eventsReceived(), [
    { type: "ping", data: utf8("mid") },
    { type: "text", data: "abcd" },
    { type: "text", data: "next" },
  ]);
});
