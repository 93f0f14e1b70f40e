import assert from "node:assert/strict";
import { concat } from "../tests/_random.ts";
import { FrameCollector } from "../frames/frame_collector.ts";
import { FrameDecoder } from "../frames/frame_decoder.ts";
import type { Frame } from "../frames/frame.ts";
import { encodeFrame } from "../frames/frame_encoder.ts";
import { Opcode } from "../frames/opcode.ts";
import { WebSocketError } from "../errors/websocket_error.ts";
import { parseClosePayload } from "../messages/close_payload.ts";
import { WebSocketProtocol } from "./websocket_protocol.ts";

/** Decode what a protocol sent, as its peer would see it. */
function sentFrames(protocol: WebSocketProtocol): Frame[] {
  const frames: Frame[] = [];
  const decoder = new FrameDecoder(new FrameCollector((f) => frames.push(f)), {
    role: protocol.role === "client" ? "server" : "client",
  });
  for (const chunk of protocol.dataToSend()) {
    const error = decoder.write(chunk.slice());
    assert.equal(error, undefined, error?.message);
  }
  return frames;
}

const KEY = new Uint8Array([1, 2, 3, 4]);
const fromClient = (opcode: number, payload: Uint8Array, fin = true) =>
  encodeFrame({ opcode, payload, fin, mask: KEY });
const utf8 = (s: string) => new TextEncoder().encode(s);

Deno.test("WebSocketProtocol: a ping is answered with a pong carrying the same data", () => {
  const server = new WebSocketProtocol({ role: "server" });
  server.receiveData(fromClient(Opcode.Ping, utf8("abc")));
  assert.deepEqual(server.eventsReceived(), [{ type: "ping", data: utf8("abc") }]);
  const [pong] = sentFrames(server);
  assert.equal(pong?.opcode, Opcode.Pong);
  assert.deepEqual(pong?.payload, utf8("abc"));
  assert.equal(pong?.mask, undefined, "servers do not mask");
});

Deno.test("WebSocketProtocol: the peer's close is echoed and the server expects to close", () => {
  const server = new WebSocketProtocol({ role: "server" });
  server.receiveData(fromClient(Opcode.Close, new Uint8Array([0x0f, 0xa0, 0x68, 0x69])));
  assert.deepEqual(server.eventsReceived(), [{ type: "close", code: 4000, reason: "hi" }]);
  const [echo] = sentFrames(server);
  assert.equal(echo?.opcode, Opcode.Close);
  assert.deepEqual(parseClosePayload(echo!.payload), { code: 4000, reason: "" });
  assert.equal(server.state, "closed");
  assert.equal(server.closeExpected(), true);
  assert.equal(server.closeCode, 4000);
  assert.equal(server.closeReason, "hi");
});

Deno.test("WebSocketProtocol: an empty close is echoed empty and reported as 1005", () => {
  const server = new WebSocketProtocol({ role: "server" });
  server.receiveData(fromClient(Opcode.Close, new Uint8Array()));
  const [echo] = sentFrames(server);
  assert.equal(echo?.payload.length, 0);
  assert.equal(server.closeCode, 1005);
});

Deno.test("WebSocketProtocol: client-initiated closing handshake", () => {
  const client = new WebSocketProtocol({ role: "client" });
  const server = new WebSocketProtocol({ role: "server" });
  client.sendClose(1000, "done");
  assert.equal(client.state, "closing");
  assert.equal(client.closeExpected(), false);
  for (const b of client.dataToSend()) server.receiveData(b);
  assert.equal(server.state, "closed");
  for (const b of server.dataToSend()) client.receiveData(b);
  assert.equal(client.state, "closed");
  assert.equal(client.closeCode, 1000);
  assert.throws(() => client.sendText("late"), WebSocketError);
});

Deno.test("WebSocketProtocol: a protocol violation sends a close with its code and discards further input", () => {
  const server = new WebSocketProtocol({ role: "server" });
  server.receiveData(encodeFrame({ opcode: Opcode.Text, payload: utf8("unmasked") }));
  assert.equal(server.closeExpected(), true);
  assert.equal(server.error?.closeCode, 1002);
  const [close] = sentFrames(server);
  assert.equal(parseClosePayload(close!.payload).code, 1002);
  assert.match(parseClosePayload(close!.payload).reason, /unmasked/);
  server.receiveData(fromClient(Opcode.Ping, utf8("x")));
  assert.deepEqual(server.eventsReceived(), []);
  assert.deepEqual(server.dataToSend(), []);
});

Deno.test("WebSocketProtocol: invalid UTF-8 fails with 1007, too-big with 1009", () => {
  const a = new WebSocketProtocol({ role: "server" });
  a.receiveData(fromClient(Opcode.Text, new Uint8Array([0x61, 0xff])));
  assert.equal(parseClosePayload(sentFrames(a)[0]!.payload).code, 1007);

  const b = new WebSocketProtocol({ role: "server", maxMessageSize: 10 });
  b.receiveData(concat([
    fromClient(Opcode.Binary, new Uint8Array(6), false),
    fromClient(Opcode.Continuation, new Uint8Array(6)),
  ]));
  assert.equal(parseClosePayload(sentFrames(b)[0]!.payload).code, 1009);
});

Deno.test("WebSocketProtocol: end of stream without a close is 1006", () => {
  const client = new WebSocketProtocol({ role: "client" });
  client.receiveData(new Uint8Array([0x81, 0x05, 0x48]));
  client.receiveEof();
  assert.equal(client.state, "closed");
  assert.equal(client.closeCode, 1006);
  assert.match(client.closeReason, /middle of a frame/);
});

Deno.test("WebSocketProtocol: a client masks every frame with a different key; no pong after close sent", () => {
  const client = new WebSocketProtocol({ role: "client", fragmentSize: 2 });
  client.sendText("Hello");
  const frames = sentFrames(client);
  assert.equal(frames.length, 3);
  const keys = new Set(frames.map((f) => f.mask!.join(",")));
  assert.equal(keys.size, 3);
  client.sendClose(1000);
  sentFrames(client);
  client.receiveData(encodeFrame({ opcode: Opcode.Ping, payload: utf8("p") }));
  assert.deepEqual(client.dataToSend(), []);
});

Deno.test("WebSocketProtocol: fail() sends the given code once", () => {
  const server = new WebSocketProtocol({ role: "server" });
  server.fail(1008, "policy");
  server.fail(1011, "again");
  const frames = sentFrames(server);
  assert.equal(frames.length, 1);
  assert.deepEqual(parseClosePayload(frames[0]!.payload), { code: 1008, reason: "policy" });
  assert.equal(server.closeCode, 1008);
});

Deno.test("WebSocketProtocol: a long failure reason is cut to 123 bytes and keeps a leading U+FEFF", () => {
  const server = new WebSocketProtocol({ role: "server" });
  server.fail(1011, "\uFEFF" + "é".repeat(100));
  const [close] = sentFrames(server);
  const payload = close!.payload;
  assert.ok(payload.length <= 125, `close payload of ${payload.length} bytes`);
  // The byte order mark is the reason's first character, not dropped.
  assert.deepEqual([...payload.subarray(2, 5)], [0xef, 0xbb, 0xbf]);
  const { reason } = parseClosePayload(payload);
  assert.equal(reason, "\uFEFF" + "é".repeat(60));
});
