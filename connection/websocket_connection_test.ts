/** Every way a connection ends, over real loopback sockets. */
import assert from "node:assert/strict";
import { serve, upgradeWebSocket, WebSocket as OurWebSocket, WebSocketStream } from "../mod.ts";
import { nextEvent, startEchoServer } from "../tests/_servers.ts";

/** A raw TCP server that completes the handshake with our server code, then lets `then` misbehave. */
function rawServer(then: (conn: Deno.Conn) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const done = (async () => {
    const conn = await listener.accept();
    const buffer = new Uint8Array(4096);
    let head = "";
    while (!head.includes("\r\n\r\n")) {
      const n = await conn.read(buffer);
      if (n === null) return;
      head += new TextDecoder().decode(buffer.subarray(0, n));
    }
    const key = /sec-websocket-key: *(\S+)/i.exec(head)![1]!;
    const { computeAcceptKey } = await import("../handshake/accept_key.ts");
    await conn.write(new TextEncoder().encode(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        `Sec-WebSocket-Accept: ${computeAcceptKey(key)}\r\n\r\n`,
    ));
    await then(conn);
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      await done.catch(() => {});
      listener.close();
    },
  };
}

Deno.test("server-initiated clean close reaches our client with code and reason", async () => {
  const server = serve({ hostname: "127.0.0.1", port: 0 }, (request) => {
    const { response, socket } = upgradeWebSocket(request);
    socket.onopen = () => socket.close(4321, "server says bye");
    return response;
  });
  try {
    const socket = new OurWebSocket(`ws://127.0.0.1:${server.addr.port}/`);
    const close = await nextEvent<CloseEvent>(socket, "close");
    assert.equal(close.code, 4321);
    assert.equal(close.reason, "server says bye");
    assert.equal(close.wasClean, true);
  } finally {
    await server.shutdown();
  }
});

Deno.test("peer vanishes: the TCP connection drops without a close frame -> 1006, not clean", async () => {
  const raw = rawServer(async (conn) => {
    await new Promise((resolve) => setTimeout(resolve, 50));
    conn.close();
  });
  try {
    const socket = new OurWebSocket(`ws://127.0.0.1:${raw.port}/`);
    let errored = false;
    socket.onerror = () => errored = true;
    const close = await nextEvent<CloseEvent>(socket, "close");
    assert.equal(close.code, 1006);
    assert.equal(close.wasClean, false);
    assert.equal(errored, true);
  } finally {
    await raw.close();
  }
});

Deno.test("close timeout: a peer that never answers our close frame is dropped with 1006", async () => {
  let peerConn: Deno.Conn | undefined;
  const raw = rawServer(async (conn) => {
    peerConn = conn;
    // Read and ignore everything, never answer.
    const sink = new Uint8Array(1024);
    while ((await conn.read(sink).catch(() => null)) !== null) { /* ignore */ }
  });
  try {
    const socket = new OurWebSocket(`ws://127.0.0.1:${raw.port}/`, [], { closeTimeout: 300 });
    await nextEvent(socket, "open");
    const started = performance.now();
    socket.close(1000, "please answer");
    const close = await nextEvent<CloseEvent>(socket, "close");
    assert.equal(close.code, 1006);
    assert.equal(close.wasClean, false);
    assert.ok(performance.now() - started >= 250, "waited for the close timeout");
  } finally {
    try {
      peerConn?.close();
    } catch { /* closed */ }
    await raw.close();
  }
});

Deno.test("keep-alive: a peer that stops answering pings is dropped", async () => {
  const raw = rawServer(async (conn) => {
    const sink = new Uint8Array(1024);
    while ((await conn.read(sink).catch(() => null)) !== null) { /* never pong */ }
    try {
      conn.close();
    } catch { /* closed */ }
  });
  try {
    const socket = new OurWebSocket(`ws://127.0.0.1:${raw.port}/`, [], {
      heartbeat: { interval: 100, maxMissedPongs: 1 },
    });
    await nextEvent(socket, "open");
    const close = await nextEvent<CloseEvent>(socket, "close");
    assert.equal(close.code, 1006);
    assert.match(close.reason, /Heartbeat failed/);
  } finally {
    await raw.close();
  }
});

Deno.test("abort: server shutdown closes open WebSockets with 1001", async () => {
  const controller = new AbortController();
  const server = serve({ hostname: "127.0.0.1", port: 0, signal: controller.signal }, (request) => {
    const { response } = upgradeWebSocket(request);
    return response;
  });
  const wss = new WebSocketStream(`ws://127.0.0.1:${server.addr.port}/`);
  await wss.opened;
  const native = new WebSocket(`ws://127.0.0.1:${server.addr.port}/`);
  await nextEvent(native, "open");
  const nativeClosed = nextEvent<CloseEvent>(native, "close");
  controller.abort();
  const info = await wss.closed;
  assert.equal(info.closeCode, 1001);
  assert.equal((await nativeClosed).code, 1001);
  await server.finished;
  // The port is free again: nothing is left listening.
  await assert.rejects(
    new WebSocketStream(`ws://127.0.0.1:${server.addr.port}/`).opened,
  );
});

Deno.test("WebSocketStream: aborting the opening handshake rejects opened and closed", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept(); // accepts, never answers
  try {
    const controller = new AbortController();
    const wss = new WebSocketStream(`ws://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/`, {
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(wss.opened);
    await assert.rejects(wss.closed);
  } finally {
    (await accepted).close();
    listener.close();
  }
});

Deno.test("a handshake rejected by the server fails our client with the status in the message", async () => {
  const server = startEchoServer({ origin: ["https://allowed.example"] });
  try {
    const wss = new WebSocketStream(`ws://127.0.0.1:${server.addr.port}/`);
    await assert.rejects(wss.opened, /403/);
    const socket = new OurWebSocket(`ws://127.0.0.1:${server.addr.port}/`);
    const close = await nextEvent<CloseEvent>(socket, "close");
    assert.equal(close.code, 1006);
    assert.equal(socket.readyState, OurWebSocket.CLOSED);
  } finally {
    await server.shutdown();
  }
});

Deno.test("a server's WebSocket may close with 1008 or 1013; a client's may not", async () => {
  const rejected: string[] = [];
  const server = serve({ hostname: "127.0.0.1", port: 0 }, (request) => {
    const { response, socket } = upgradeWebSocket(request);
    socket.onopen = () => {
      for (const code of [1005, 1006, 1015, 2999]) {
        try {
          socket.close(code);
        } catch (error) {
          rejected.push(`${code}:${(error as DOMException).name}`);
        }
      }
      socket.close(1013, "Try again later");
    };
    return response;
  });
  try {
    const client = new OurWebSocket(`ws://127.0.0.1:${server.addr.port}/`);
    assert.throws(() => client.close(1013), (e: DOMException) => e.name === "InvalidAccessError");
    const event = await new Promise<CloseEvent>((resolve) => client.onclose = resolve);
    assert.equal(event.code, 1013);
    assert.equal(event.reason, "Try again later");
    assert.deepEqual(rejected, [
      "1005:InvalidAccessError",
      "1006:InvalidAccessError",
      "1015:InvalidAccessError",
      "2999:InvalidAccessError",
    ]);
  } finally {
    await server.shutdown();
  }
});
