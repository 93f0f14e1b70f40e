/**
 * Full sessions over real loopback sockets: our client and server against each
 * other, against Deno's native WebSocket (client and server) and against
 * `npm:ws` (client and server).
 */
import assert from "node:assert/strict";
import { WebSocket as WsClient, WebSocketServer as WsServer } from "ws";
import { WebSocket as OurWebSocket, WebSocketStream } from "../mod.ts";
import { nextEvent, patternBytes, startEchoServer, startNativeEchoServer } from "./_servers.ts";

const SIZES = [0, 1, 125, 126, 65535, 65536, 1 << 20, 16 << 20];

/** Send each payload over `socket` and check the echo, text and binary. */
async function echoAll(socket: {
  send(data: string | Uint8Array): void;
  next(): Promise<string | Uint8Array>;
}): Promise<void> {
  for (const size of SIZES) {
    const bytes = patternBytes(size, size + 1);
    socket.send(bytes);
    const got = await socket.next();
    assert.ok(got instanceof Uint8Array, `binary ${size}`);
    assert.equal(got.length, size);
    assert.deepEqual(got, bytes, `binary ${size} differs`);
    const text = "é".repeat(Math.floor(size / 2)) + (size % 2 ? "a" : "");
    socket.send(text);
    const echoed = await socket.next();
    assert.equal(typeof echoed, "string");
    assert.equal(echoed, text, `text ${size} differs`);
  }
}

/** Adapt a WHATWG-style socket to `echoAll`. */
function queueOf(socket: WebSocket | OurWebSocket) {
  socket.binaryType = "arraybuffer";
  const queue: (string | Uint8Array)[] = [];
  const waiting: ((value: string | Uint8Array) => void)[] = [];
  socket.addEventListener("message", (event) => {
    const data = (event as MessageEvent).data;
    const value = typeof data === "string" ? data : new Uint8Array(data as ArrayBuffer);
    const waiter = waiting.shift();
    if (waiter) waiter(value);
    else queue.push(value);
  });
  return {
    send: (data: string | Uint8Array) => socket.send(data),
    next: () =>
      queue.length > 0
        ? Promise.resolve(queue.shift()!)
        : new Promise<string | Uint8Array>((resolve) => waiting.push(resolve)),
  };
}

Deno.test("our client <-> our server: 0 B to 16 MiB text and binary, then a clean close", async () => {
  const server = startEchoServer();
  try {
    const socket = new OurWebSocket(`ws://127.0.0.1:${server.addr.port}/path?q=1`);
    await nextEvent(socket, "open");
    await echoAll(queueOf(socket));
    socket.close(1000, "done");
    const close = await nextEvent<CloseEvent>(socket, "close");
    assert.equal(close.code, 1000);
    assert.equal(close.wasClean, true);
  } finally {
    await server.shutdown();
  }
});

Deno.test("our WebSocketStream client <-> our server: fragmented messages and backpressured writes", async () => {
  const server = startEchoServer({ fragmentSize: 1000 });
  try {
    const wss = new WebSocketStream(`ws://127.0.0.1:${server.addr.port}/`, { fragmentSize: 777 });
    const { readable, writable, protocol, extensions } = await wss.opened;
    assert.equal(protocol, "");
    assert.equal(extensions, "");
    const writer = writable.getWriter();
    const reader = readable.getReader();
    for (const size of [0, 776, 777, 778, 5000, 100_000]) {
      const bytes = patternBytes(size, 3);
      await writer.write(bytes);
      const { value } = await reader.read();
      assert.deepEqual(value, bytes);
    }
    await writer.write("κόσμε".repeat(500));
    assert.equal((await reader.read()).value, "κόσμε".repeat(500));
    wss.close({ closeCode: 4000, reason: "bye" });
    assert.deepEqual(await wss.closed, { closeCode: 4000, reason: "" });
    assert.equal((await reader.read()).done, true);
  } finally {
    await server.shutdown();
  }
});

Deno.test("our client <-> Deno's native server (Deno.upgradeWebSocket)", async () => {
  const server = startNativeEchoServer();
  try {
    const socket = new OurWebSocket(`ws://127.0.0.1:${server.addr.port}/`);
    await nextEvent(socket, "open");
    await echoAll(queueOf(socket));
    socket.close(1000);
    const close = await nextEvent<CloseEvent>(socket, "close");
    assert.equal(close.code, 1000);
    assert.equal(close.wasClean, true);
  } finally {
    await server.shutdown();
  }
});

Deno.test("Deno's native WebSocket client <-> our server", async () => {
  const server = startEchoServer();
  try {
    const socket = new WebSocket(`ws://127.0.0.1:${server.addr.port}/`);
    await nextEvent(socket, "open");
    await echoAll(queueOf(socket));
    socket.close(3001, "native done");
    const close = await nextEvent<CloseEvent>(socket, "close");
    assert.equal(close.code, 3001);
    assert.equal(close.wasClean, true);
  } finally {
    await server.shutdown();
  }
});

Deno.test("npm:ws client <-> our server, and our client <-> npm:ws server", async () => {
  const server = startEchoServer();
  const wsServer = new WsServer({ host: "127.0.0.1", port: 0 });
  const listening = new Promise((resolve) => wsServer.once("listening", resolve));
  try {
    // ws client -> our server
    const client = new WsClient(`ws://127.0.0.1:${server.addr.port}/`);
    await new Promise((resolve, reject) => {
      client.once("open", resolve);
      client.once("error", reject);
    });
    const received: (string | Uint8Array)[] = [];
    const waiting: ((v: string | Uint8Array) => void)[] = [];
    client.on("message", (data: Uint8Array, isBinary: boolean) => {
      const value = isBinary ? new Uint8Array(data) : new TextDecoder().decode(data);
      const waiter = waiting.shift();
      if (waiter) waiter(value);
      else received.push(value);
    });
    await echoAll({
      send: (data) => client.send(data),
      next: () =>
        received.length > 0
          ? Promise.resolve(received.shift()!)
          : new Promise((resolve) => waiting.push(resolve)),
    });
    const closed = new Promise<[number, string]>((resolve) =>
      client.once(
        "close",
        (code: number, reason: Uint8Array) => resolve([code, new TextDecoder().decode(reason)]),
      )
    );
    client.close(1000, "ws done");
    assert.deepEqual(await closed, [1000, ""]);

    // our client -> ws server
    await listening;
    wsServer.on("connection", (peer: WsClient) => {
      peer.on(
        "message",
        (data: Uint8Array, isBinary: boolean) => peer.send(data, { binary: isBinary }),
      );
    });
    const port = (wsServer.address() as { port: number }).port;
    const socket = new OurWebSocket(`ws://127.0.0.1:${port}/`);
    await nextEvent(socket, "open");
    await echoAll(queueOf(socket));
    socket.close(1000);
    const close = await nextEvent<CloseEvent>(socket, "close");
    assert.equal(close.code, 1000);
    assert.equal(close.wasClean, true);
  } finally {
    await new Promise((resolve) => wsServer.close(resolve));
    await server.shutdown();
  }
});

Deno.test("subprotocol negotiation end to end", async () => {
  const server = startEchoServer({ protocols: ["v2.chat", "v1.chat"] });
  try {
    const socket = new OurWebSocket(`ws://127.0.0.1:${server.addr.port}/`, ["v1.chat", "v2.chat"]);
    await nextEvent(socket, "open");
    assert.equal(socket.protocol, "v2.chat");
    socket.close();
    await nextEvent(socket, "close");
    const native = new WebSocket(`ws://127.0.0.1:${server.addr.port}/`, ["v1.chat"]);
    await nextEvent(native, "open");
    assert.equal(native.protocol, "v1.chat");
    native.close();
    await nextEvent(native, "close");
  } finally {
    await server.shutdown();
  }
});

Deno.test("ping from the server is answered by our client automatically", async () => {
  const server = startEchoServer({ heartbeat: { interval: 50, maxMissedPongs: 2 } });
  try {
    const socket = new OurWebSocket(`ws://127.0.0.1:${server.addr.port}/`);
    await nextEvent(socket, "open");
    // Stay idle for several ping intervals: the server must not drop us.
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(socket.readyState, OurWebSocket.OPEN);
    socket.send("still here");
    const message = await nextEvent<MessageEvent>(socket, "message");
    assert.equal(message.data, "still here");
    socket.close();
    await nextEvent(socket, "close");
  } finally {
    await server.shutdown();
  }
});
