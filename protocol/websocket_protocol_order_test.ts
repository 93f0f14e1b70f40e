/**
 * Frames take effect in the order they arrived, however TCP split them: a
 * violation later in a chunk fails the connection only after the messages
 * before it were taken, so replies to them go out before the close frame
 * (Autobahn cases 3.2, 4.1.3, 5.15 judge this "strict" behaviour).
 */
import assert from "node:assert/strict";
import { concat } from "../tests/_random.ts";
import { FrameCollector } from "../frames/frame_collector.ts";
import { FrameDecoder } from "../frames/frame_decoder.ts";
import type { Frame } from "../frames/frame.ts";
import { encodeFrame } from "../frames/frame_encoder.ts";
import { Opcode } from "../frames/opcode.ts";
import { parseClosePayload } from "../messages/close_payload.ts";
import { WebSocketProtocol } from "./websocket_protocol.ts";

const KEY = new Uint8Array([9, 8, 7, 6]);
const utf8 = (s: string) => new TextEncoder().encode(s);
const hello = () => encodeFrame({ opcode: Opcode.Text, payload: utf8("Hello"), mask: KEY });
/** A masked text frame with RSV2 set: a violation without an extension (1002). */
const reservedBits = () =>
  encodeFrame({ opcode: Opcode.Text, payload: utf8("x"), mask: KEY, rsv2: true });

function sentFrames(protocol: WebSocketProtocol): Frame[] {
  const frames: Frame[] = [];
  const decoder = new FrameDecoder(new FrameCollector((f) => frames.push(f)), { role: "client" });
  for (const chunk of protocol.dataToSend()) {
    const error = decoder.write(chunk.slice());
    assert.equal(error, undefined, error?.message);
  }
  return frames;
}

Deno.test("WebSocketProtocol: a reply to a message sent before a later violation in the same chunk goes out before the close", () => {
  const server = new WebSocketProtocol({ role: "server" });
  server.receiveData(concat([hello(), reservedBits(), hello()]));
  // Not failed yet: the message before the violation has not been taken.
  assert.equal(server.state, "open");
  assert.equal(server.closeCode, undefined);
  assert.deepEqual(server.eventsReceived(), [{ type: "text", data: "Hello" }]);
  server.sendText("Hello"); // the application's echo
  const frames = sentFrames(server);
  assert.deepEqual(frames.map((f) => f.opcode), [Opcode.Text, Opcode.Close]);
  assert.equal(parseClosePayload(frames[1]!.payload).code, 1002);
  assert.equal(server.error?.closeCode, 1002);
  assert.equal(server.closeExpected(), true);
  // The message after the violation is never delivered, and input stays ignored.
  server.receiveData(hello());
  assert.deepEqual(server.eventsReceived(), []);
});

Deno.test("WebSocketProtocol: a violation with no message before it fails at once", () => {
  const server = new WebSocketProtocol({ role: "server" });
  server.receiveData(reservedBits());
  assert.equal(server.error?.closeCode, 1002);
  assert.equal(server.closeExpected(), true);
});

Deno.test("WebSocketProtocol: a pending violation fails before the end of stream is counted as 1006", () => {
  const server = new WebSocketProtocol({ role: "server" });
  server.receiveData(concat([hello(), reservedBits()]));
  server.receiveEof();
  assert.equal(server.closeCode, 1002);
  assert.deepEqual(server.eventsReceived(), [{ type: "text", data: "Hello" }]);
});

Deno.test("WebSocketProtocol: the violation waits while the events before it are not taken", () => {
  const server = new WebSocketProtocol({ role: "server" });
  server.receiveData(concat([hello(), reservedBits()]));
  assert.deepEqual(server.dataToSend(), []);
  assert.equal(server.closeExpected(), false);
  assert.equal(server.eventsReceived().length, 1);
  assert.equal(server.closeExpected(), true);
});

const close = (code: number) =>
  encodeFrame({
    opcode: Opcode.Close,
    payload: new Uint8Array([code >> 8, code & 0xff]),
    mask: KEY,
  });

Deno.test("WebSocketProtocol: with deferCloseReply, replies to messages read with the peer's close go out before the echo", () => {
  const server = new WebSocketProtocol({ role: "server", deferCloseReply: true });
  server.receiveData(concat([hello(), hello(), close(1000)]));
  // The close is recorded but not answered: replies may still be sent.
  assert.equal(server.state, "open");
  assert.equal(server.closeReceived, true);
  assert.equal(server.closeExpected(), false);
  const events = server.eventsReceived();
  assert.deepEqual(events.map((event) => event.type), ["text", "text", "close"]);
  server.sendText("Hello");
  assert.deepEqual(sentFrames(server).map((f) => f.opcode), [Opcode.Text]);
  server.sendText("Hello");
  server.eventsHandled();
  const frames = sentFrames(server);
  assert.deepEqual(frames.map((f) => f.opcode), [Opcode.Text, Opcode.Close]);
  assert.equal(parseClosePayload(frames[1]!.payload).code, 1000);
  assert.equal(server.state, "closed");
  assert.equal(server.closeExpected(), true);
  assert.throws(() => server.sendText("late"), /Cannot send text: the connection is closed/);
});

Deno.test("WebSocketProtocol: without deferCloseReply, the peer's close is answered as it is parsed", () => {
  const server = new WebSocketProtocol({ role: "server" });
  server.receiveData(concat([hello(), close(1000)]));
  assert.equal(server.state, "closed");
  assert.throws(() => server.sendText("Hello"), /Cannot send text: the connection is closed/);
  assert.deepEqual(sentFrames(server).map((f) => f.opcode), [Opcode.Close]);
});

Deno.test("WebSocketProtocol: with deferCloseReply, every reply to the messages before a violation precedes the 1002", () => {
  const server = new WebSocketProtocol({ role: "server", deferCloseReply: true });
  server.receiveData(concat([hello(), hello(), reservedBits()]));
  assert.equal(server.eventsReceived().length, 2);
  server.sendText("one");
  assert.equal(sentFrames(server).length, 1); // taking the output does not fail it yet
  server.sendText("two");
  server.eventsHandled();
  const frames = sentFrames(server);
  assert.deepEqual(frames.map((f) => f.opcode), [Opcode.Text, Opcode.Close]);
  assert.equal(parseClosePayload(frames[1]!.payload).code, 1002);
  assert.equal(server.closeExpected(), true);
});

Deno.test("WebSocketProtocol: with deferCloseReply, a close sent before eventsHandled() completes the handshake", () => {
  const server = new WebSocketProtocol({ role: "server", deferCloseReply: true });
  server.receiveData(close(4000));
  server.eventsReceived();
  server.sendClose(1001, "going away");
  server.eventsHandled();
  const frames = sentFrames(server);
  assert.deepEqual(frames.map((f) => f.opcode), [Opcode.Close]);
  assert.equal(parseClosePayload(frames[0]!.payload).code, 1001);
  assert.equal(server.state, "closed");
  assert.equal(server.closeCode, 4000);
});
