/**
 * Over a real socket: the echo of a message that arrived in the same read as
 * a later protocol violation goes out before the close frame (the frames take
 * effect in order, however TCP split them).
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
