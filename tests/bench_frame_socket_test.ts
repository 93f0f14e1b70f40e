/**
 * The benchmark's lean load generator (`bench/_frame_socket.ts`) must be a
 * correct client, or the echo-server tables measure nothing: its frames must
 * reach a real server masked and whole, in every length encoding, and it must
 * report every reply's length and flag replies that are not binary messages.
 */
import assert from "node:assert/strict";
import { serve, upgradeWebSocket } from "../mod.ts";
import { FrameSocket, type FrameSocketMessage } from "../bench/_frame_socket.ts";

/** An echo server that also records what it received. */
function echoServer(received: Uint8Array[]) {
  let resolveAddress!: (port: number) => void;
  const port = new Promise<number>((resolve) => resolveAddress = resolve);
  const server = serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: (addr) => resolveAddress(addr.port),
  }, (request) => {
    const { response, socket } = upgradeWebSocket(request);
    socket.binaryType = "arraybuffer";
    socket.onmessage = (event) => {
      if (typeof event.data === "string") {
        socket.send(event.data);
        return;
      }
      const bytes = new Uint8Array(event.data as ArrayBuffer);
      received.push(bytes);
      // A 3-byte message asks for a text reply, which the socket must flag.
      socket.send(bytes.length === 3 ? "abc" : bytes);
    };
    return response;
  });
  return { server, port };
}

function pattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 7 + seed) & 0xff;
  return bytes;
}

for (const writePerFrame of [true, false]) {
  Deno.test(`FrameSocket (${writePerFrame ? "a write per frame" : "batched writes"}) round-trips 7-, 16- and 64-bit lengths through a real server`, async () => {
    const received: Uint8Array[] = [];
    const { server, port } = echoServer(received);
    const socket = new FrameSocket(`ws://127.0.0.1:${await port}/`, writePerFrame);
    const lengths: number[] = [];
    const sizes = [0, 64, 125, 126, 16 * 1024, 65535, 70_000, 3];
    const sent = sizes.map((size, i) => pattern(size, i));
    // Settles once every reply is in, or when the socket closes first.
    const replies = new Promise<void>((resolve) => {
      socket.onmessage = (event: FrameSocketMessage) => {
        lengths.push(event.data.byteLength);
        if (lengths.length === sizes.length) resolve();
      };
      socket.onclose = () => resolve();
    });
    await new Promise<void>((resolve, reject) => {
      socket.onopen = () => resolve();
      socket.onerror = () => reject(new Error("open failed"));
    });
    socket.onerror = null;
    // Sent in one task: batched, they leave in one write.
    for (const bytes of sent) socket.send(bytes);
    const timer = setTimeout(() => socket.close(), 10_000);
    await replies;
    clearTimeout(timer);
    // The last reply is a text message: reported as −1, not as its length.
    assert.deepEqual(lengths, [...sizes.slice(0, -1), -1]);
    // The server unmasked exactly what was sent.
    assert.equal(received.length, sent.length);
    for (let i = 0; i < sent.length; i++) assert.deepEqual(received[i], sent[i]);
    const closed = new Promise<void>((resolve) => socket.onclose = () => resolve());
    socket.close();
    await closed;
    assert.equal(socket.readyState, 3);
    await server.shutdown();
  });
}

Deno.test("FrameSocket fails to open against a server that does not upgrade", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("no", { status: 426 }),
  );
  const socket = new FrameSocket(`ws://127.0.0.1:${server.addr.port}/`);
  let errored = false;
  await new Promise<void>((resolve) => {
    socket.onopen = () => resolve();
    socket.onerror = () => errored = true;
    socket.onclose = () => resolve();
  });
  assert.equal(errored, true);
  assert.equal(socket.readyState, 3);
  await server.shutdown();
});
