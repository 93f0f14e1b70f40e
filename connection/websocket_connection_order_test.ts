/**
 * Over a real socket: the echoes of messages that arrived in the same read as
 * a later protocol violation, or as the peer's close frame, go out before the
 * close frame (the frames take effect in order, however TCP split them).
 */
import assert from "node:assert/strict";
import { concat } from "../tests/_random.ts";
import { FrameCollector } from "../frames/frame_collector.ts";
import { FrameDecoder } from "../frames/frame_decoder.ts";
import type { Frame } from "../frames/frame.ts";
import { encodeFrame } from "../frames/frame_encoder.ts";
import { Opcode } from "../frames/opcode.ts";
import { parseClosePayload } from "../messages/close_payload.ts";
import { serve } from "../server/serve.ts";
import { upgradeWebSocket } from "../transports/upgrade_websocket.ts";

const KEY = new Uint8Array([1, 2, 3, 4]);
const utf8 = (s: string) => new TextEncoder().encode(s);

Deno.test("WebSocketConnection: an echo of a message read with a later violation precedes the 1002 close", async () => {
  const server = serve({ hostname: "127.0.0.1", port: 0 }, (request) => {
    const { response, socket } = upgradeWebSocket(request);
    socket.onmessage = (event) => socket.send(event.data);
    return response;
  });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  try {
    const head = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n" +
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
      "Sec-WebSocket-Version: 13\r\n\r\n";
    // Head, a text message and a frame with a reserved opcode, in one write.
    await conn.write(concat([
      utf8(head),
      encodeFrame({ opcode: Opcode.Text, payload: utf8("Hello"), mask: KEY }),
      encodeFrame({ opcode: 0x5, payload: new Uint8Array(0), mask: KEY }),
    ]));
    const received: Uint8Array[] = [];
    const buffer = new Uint8Array(4096);
    const timer = setTimeout(() => conn.close(), 5000);
    try {
      for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
        received.push(buffer.slice(0, n));
      }
    } finally {
      clearTimeout(timer);
    }
    const bytes = concat(received);
    const text = new TextDecoder("latin1").decode(bytes);
    const bodyAt = text.indexOf("\r\n\r\n") + 4;
    assert.match(text, /^HTTP\/1\.1 101 /);
    const frames: Frame[] = [];
    const decoder = new FrameDecoder(new FrameCollector((f) => frames.push(f)), { role: "client" });
    assert.equal(decoder.write(bytes.slice(bodyAt)), undefined);
    assert.deepEqual(frames.map((f) => f.opcode), [Opcode.Text, Opcode.Close]);
    assert.deepEqual(frames[0]!.payload, utf8("Hello"));
    assert.equal(parseClosePayload(frames[1]!.payload).code, 1002);
  } finally {
    try {
      conn.close();
    } catch {
      // Closed by the timer or the server.
    }
    await server.shutdown();
  }
});

/** The frames a raw client gets from an echo server after writing `frames` in one write. */
async function framesAfterOneWrite(
  frames: Uint8Array[],
  withHead: boolean,
): Promise<Frame[]> {
  const server = serve({ hostname: "127.0.0.1", port: 0 }, (request) => {
    const { response, socket } = upgradeWebSocket(request);
    socket.onmessage = (event) => socket.send(event.data);
    return response;
  });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  try {
    const head = utf8(
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n" +
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
        "Sec-WebSocket-Version: 13\r\n\r\n",
    );
    const received: Uint8Array[] = [];
    const buffer = new Uint8Array(4096);
    if (withHead) await conn.write(concat([head, ...frames]));
    else {
      await conn.write(head);
      // The whole 101 first, so that the frames arrive in a read of their own.
      let text = "";
      while (!text.includes("\r\n\r\n")) {
        const n = await conn.read(buffer);
        if (n === null) throw new Error("closed during the handshake");
        received.push(buffer.slice(0, n));
        text += new TextDecoder("latin1").decode(buffer.subarray(0, n));
      }
      await conn.write(concat(frames));
    }
    const timer = setTimeout(() => conn.close(), 5000);
    try {
      for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
        received.push(buffer.slice(0, n));
      }
    } finally {
      clearTimeout(timer);
    }
    const bytes = concat(received);
    const text = new TextDecoder("latin1").decode(bytes);
    assert.match(text, /^HTTP\/1\.1 101 /);
    const out: Frame[] = [];
    const decoder = new FrameDecoder(new FrameCollector((f) => out.push(f)), { role: "client" });
    assert.equal(decoder.write(bytes.slice(text.indexOf("\r\n\r\n") + 4)), undefined);
    return out;
  } finally {
    try {
      conn.close();
    } catch {
      // Closed by the timer or the server.
    }
    await server.shutdown();
  }
}

const text = (data: string) => encodeFrame({ opcode: Opcode.Text, payload: utf8(data), mask: KEY });
const close = (code: number) =>
  encodeFrame({
    opcode: Opcode.Close,
    payload: new Uint8Array([code >> 8, code & 0xff]),
    mask: KEY,
  });

for (const withHead of [false, true]) {
  Deno.test(
    `WebSocketConnection: messages and the peer's close in one read${
      withHead ? " (with the head)" : ""
    }: the echoes, then the close`,
    async () => {
      const frames = await framesAfterOneWrite([text("one"), text("two"), close(4000)], withHead);
      assert.deepEqual(frames.map((f) => f.opcode), [Opcode.Text, Opcode.Text, Opcode.Close]);
      assert.deepEqual(frames.slice(0, 2).map((f) => new TextDecoder().decode(f.payload)), [
        "one",
        "two",
      ]);
      assert.equal(parseClosePayload(frames[2]!.payload).code, 4000);
    },
  );
}

Deno.test("WebSocketConnection: every echo of messages read with a later violation precedes the 1002", async () => {
  const frames = await framesAfterOneWrite([
    text("one"),
    text("two"),
    encodeFrame({ opcode: 0x5, payload: new Uint8Array(0), mask: KEY }),
  ], false);
  assert.deepEqual(frames.map((f) => f.opcode), [Opcode.Text, Opcode.Text, Opcode.Close]);
  assert.equal(parseClosePayload(frames[2]!.payload).code, 1002);
});
