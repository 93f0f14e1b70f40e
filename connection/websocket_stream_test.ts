/**
 * `WebSocketStream` as a client against `npm:ws` on loopback: the opened
 * streams, each way of closing (ours, the peer's, a dropped connection),
 * and close()'s argument checks.
 */
import assert from "node:assert/strict";
import { type WebSocket as WsSocket, WebSocketServer as WsServer } from "ws";
import { WebSocketError } from "../errors/websocket_error.ts";
import { within } from "../tests/_pubsub.ts";
import "../transports/mod.ts"; // the Deno connector
import { WebSocketStream } from "./websocket_stream.ts";

/** An `npm:ws` server on a free port; each connection goes to `onSocket`. */
async function wsServer(onSocket: (socket: WsSocket) => void) {
  const server = new WsServer({ host: "127.0.0.1", port: 0 });
  server.on("headers", (headers: string[]) => headers.push("X-Peer: ws"));
  server.on("connection", onSocket);
  await new Promise((resolve) => server.once("listening", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}/`,
    stop: () => {
      // Clients left open by a failed assertion would hold the server.
      for (const client of server.clients) client.terminate();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Each close the peer saw, as [code, reason]. */
function closes(): { seen: Promise<[number, string]>; record(socket: WsSocket): void } {
  let resolve!: (close: [number, string]) => void;
  const seen = new Promise<[number, string]>((r) => resolve = r);
  return {
    seen,
    record: (socket) =>
      socket.on("close", (code: number, reason: Uint8Array) => resolve([code, String(reason)])),
  };
}

Deno.test("WebSocketStream: text comes as strings, binary as Uint8Array; strings and buffers go out", async () => {
  const received: [string, boolean][] = [];
  const server = await wsServer((socket) => {
    socket.on("message", (data: Uint8Array, isBinary: boolean) => {
      received.push([String(data), isBinary]);
      socket.send(data, { binary: isBinary });
    });
  });
  const wss = new WebSocketStream(server.url, { perMessageDeflate: false });
  try {
    const { readable, writable, protocol, extensions, headers } = await wss.opened;
    assert.equal(protocol, "");
    assert.equal(extensions, "");
    assert.equal(headers?.get("x-peer"), "ws");
    const writer = writable.getWriter();
    const reader = readable.getReader();
    await writer.write("text");
    await writer.write(new TextEncoder().encode("bytes"));
    await writer.write(new TextEncoder().encode("buffer").buffer);
    assert.equal((await reader.read()).value, "text");
    const bytes = (await reader.read()).value;
    assert.ok(bytes instanceof Uint8Array);
    assert.equal(new TextDecoder().decode(bytes), "bytes");
    assert.equal(new TextDecoder().decode((await reader.read()).value as Uint8Array), "buffer");
    assert.deepEqual(received, [["text", false], ["bytes", true], ["buffer", true]]);
    wss.close();
    await wss.closed;
  } finally {
    await server.stop();
  }
});

Deno.test("WebSocketStream: close(code, reason), readable.cancel(), writable.close() and abort() each close", async () => {
  const ways: [string, (wss: WebSocketStream) => Promise<void>, [number, string]][] = [
    ["close()", (wss) => Promise.resolve(wss.close({ closeCode: 4000, reason: "done" })), [
      4000,
      "done",
    ]],
    ["close() with a reason only", (wss) => Promise.resolve(wss.close({ reason: "r" })), [
      1000,
      "r",
    ]],
    ["readable.cancel()", async (wss) => await (await wss.opened).readable.cancel(), [1000, ""]],
    ["writable.close()", async (wss) => await (await wss.opened).writable.close(), [1005, ""]],
    ["writable.abort()", async (wss) => await (await wss.opened).writable.abort(), [1000, ""]],
  ];
  for (const [name, close, expected] of ways) {
    const peer = closes();
    const server = await wsServer(peer.record);
    try {
      const wss = new WebSocketStream(server.url);
      await wss.opened;
      await close(wss);
      assert.deepEqual(await within(peer.seen, 10_000, name), expected, name);
      const info = await within(wss.closed, 10_000, `${name}: closed`);
      assert.equal(info.closeCode, expected[0], name);
    } finally {
      await server.stop();
    }
  }
});

Deno.test("WebSocketStream: the peer's close ends the readable and resolves closed with its code", async () => {
  const server = await wsServer((socket) => {
    socket.send("last words");
    socket.close(4001, "bye");
  });
  try {
    const wss = new WebSocketStream(server.url);
    const { readable } = await wss.opened;
    const messages: unknown[] = [];
    for await (const message of readable) messages.push(message);
    assert.deepEqual(messages, ["last words"]);
    assert.deepEqual(await wss.closed, { closeCode: 4001, reason: "bye" });
  } finally {
    await server.stop();
  }
});

Deno.test("WebSocketStream: a dropped connection rejects closed with 1006 and errors both streams", async () => {
  const server = await wsServer((socket) => socket.terminate());
  try {
    const wss = new WebSocketStream(server.url);
    const { readable, writable } = await wss.opened;
    const error = await wss.closed.then(() => undefined, (error) => error);
    assert.ok(error instanceof WebSocketError);
    assert.equal(error.closeCode, 1006);
    await within(assert.rejects(readable.getReader().read(), WebSocketError), 10_000, "read");
    await within(
      assert.rejects(writable.getWriter().write("too late"), WebSocketError),
      10_000,
      "write",
    );
  } finally {
    await server.stop();
  }
});

Deno.test("WebSocketStream: close() refuses codes a client may not send and reasons over 123 bytes", async () => {
  const server = await wsServer(() => {});
  try {
    const wss = new WebSocketStream(server.url);
    await wss.opened;
    for (const closeCode of [1001, 1005, 1006, 2999, 5000]) {
      assert.throws(
        () => wss.close({ closeCode }),
        (e: unknown) => e instanceof DOMException && e.name === "InvalidAccessError",
        String(closeCode),
      );
    }
    assert.throws(
      () => wss.close({ reason: "é".repeat(62) }), // 124 bytes
      (e: unknown) => e instanceof DOMException && e.name === "SyntaxError",
    );
    wss.close({ reason: "é".repeat(61) + "x" }); // 123 bytes: fine
    assert.equal((await wss.closed).closeCode, 1000);
  } finally {
    await server.stop();
  }
});
