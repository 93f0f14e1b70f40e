import assert from "node:assert/strict";
import { deadline, hello, RawHttp, readUpgrade, withServer } from "../tests/_http_raw.ts";
import { serve, type ServeHandler } from "./serve.ts";

Deno.test("serve: keep-alive by default, with Date and Content-Length", async () => {
  await withServer(hello, async (port) => {
    const client = await RawHttp.connect(port);
    for (const path of ["/a", "/b", "/c"]) {
      await client.send(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
      const response = await client.response();
      assert.equal(response.status, 200);
      assert.equal(response.body, `GET ${path}`);
      assert.equal(response.headers.get("content-length"), String(response.body.length));
      assert.equal(response.headers.get("content-type"), "text/plain;charset=UTF-8");
      assert.ok(!Number.isNaN(Date.parse(response.headers.get("date")!)));
      assert.equal(response.headers.get("connection"), undefined);
    }
    client.close();
  });
});

Deno.test("serve: a handler error is a 500, or what onError returns", async () => {
  const errors: unknown[] = [];
  const handler: ServeHandler = (request) => {
    if (new URL(request.url).pathname === "/async") return Promise.reject(new Error("async"));
    throw new Error("sync");
  };
  await withServer(handler, async (port) => {
    const client = await RawHttp.connect(port);
    await client.send("GET /sync HTTP/1.1\r\n\r\nGET /async HTTP/1.1\r\n\r\n");
    assert.equal((await client.response()).status, 500);
    assert.equal((await client.response()).status, 500);
    client.close();
  }, { onError: (error) => void errors.push(error) });
  assert.deepEqual(errors.map((error) => (error as Error).message), ["sync", "async"]);

  await withServer(handler, async (port) => {
    const response = await fetch(`http://127.0.0.1:${port}/sync`);
    assert.equal(response.status, 503);
    assert.equal(await response.text(), "sorry: sync");
  }, { onError: (error) => new Response(`sorry: ${(error as Error).message}`, { status: 503 }) });
});

Deno.test("serve: info.completed resolves once the response is sent", async () => {
  let completed!: Promise<void>;
  await withServer((_request, info) => {
    completed = info.completed;
    return new Response("done");
  }, async (port) => {
    const response = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(await response.text(), "done");
    await deadline(completed, 5000, "info.completed");
  });
});

Deno.test("serve: shutdown closes idle and half-sent connections at once and cuts a stream at shutdownTimeout", async () => {
  let cancelled = false;
  const handler: ServeHandler = (request) =>
    new URL(request.url).pathname !== "/events" ? new Response("ok") : new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("data: 1\n\n"));
        },
        cancel() {
          cancelled = true;
        },
      }),
    );
  const server = serve(
    { hostname: "127.0.0.1", port: 0, onListen() {}, shutdownTimeout: 300 },
    handler,
  );
  const port = server.addr.port;
  const streaming = await RawHttp.connect(port);
  await streaming.send("GET /events HTTP/1.1\r\n\r\n");
  await streaming.head();
  const idle = await RawHttp.connect(port);
  await idle.send("GET / HTTP/1.1\r\n\r\n");
  await idle.response();
  const halfHead = await RawHttp.connect(port);
  await halfHead.send("GET / HTTP/1.1\r\nX-Partial: ");
  // One more full round trip, so the server has surely read the half head.
  const probe = await RawHttp.connect(port);
  await probe.send("GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
  await probe.response();
  probe.close();

  const order: string[] = [];
  const stopped = server.shutdown().then(() => order.push("shutdown"));
  await deadline(
    Promise.all([
      idle.closed().then(() => order.push("idle")),
      halfHead.closed().then(() => order.push("half")),
      streaming.closed().then(() => order.push("stream")),
      stopped,
    ]),
    5000,
    "shutdown",
  );
  // The idle and half-sent connections close before the stream's deadline cuts it.
  assert.deepEqual(order.slice(2).sort(), ["shutdown", "stream"]);
  assert.deepEqual(order.slice(0, 2).sort(), ["half", "idle"]);
  assert.ok(cancelled, "the response stream was cancelled");
  await deadline(server.finished, 1000, "finished");
  for (const client of [streaming, idle, halfHead]) client.close();
});

Deno.test("serve: maxConnections holds new connections in the backlog until one closes", async () => {
  let handled = 0;
  const handler: ServeHandler = () => {
    handled++;
    return new Response("ok");
  };
  await withServer(handler, async (port) => {
    const first = await RawHttp.connect(port);
    const second = await RawHttp.connect(port);
    for (const client of [first, second]) {
      await client.send("GET / HTTP/1.1\r\n\r\n");
      await client.response();
    }
    const third = await RawHttp.connect(port); // the kernel completes the TCP handshake
    await third.send("GET /third HTTP/1.1\r\n\r\n");
    // A full round trip on an open connection after the third sent its request.
    await second.send("GET / HTTP/1.1\r\n\r\n");
    await second.response();
    assert.equal(handled, 3, "the third connection was served past maxConnections");
    first.close();
    const response = await deadline(third.response(), 5000, "the third served once one closed");
    assert.equal(response.status, 200);
    assert.equal(handled, 4);
    second.close();
    third.close();
  }, { maxConnections: 2 });
});

Deno.test("serve: a shutdown that began while an upgrade's handler ran lets its WebSocket close cleanly", async () => {
  const { upgradeWebSocket } = await import("../transports/upgrade_websocket.ts");
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  let entered!: () => void;
  const handlerEntered = new Promise<void>((resolve) => entered = resolve);
  let serverClose!: (event: CloseEvent) => void;
  const closed = new Promise<CloseEvent>((resolve) => serverClose = resolve);
  const server = serve(
    { hostname: "127.0.0.1", port: 0, onListen() {}, shutdownTimeout: 200 },
    async (request) => {
      entered();
      await gate;
      const { response, socket } = upgradeWebSocket(request);
      socket.onclose = serverClose;
      return response;
    },
  );
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  try {
    await conn.write(new TextEncoder().encode(
      "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    ));
    await deadline(handlerEntered, 10_000, "the handler");
    const stopped = server.shutdown();
    // The shutdown reaches the connection (arming its timer) once the
    // listener has closed, a few ticks on; the handler answers after that.
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    // The 101, then the server's close frame (1001).
    const { rest } = await readUpgrade(conn, 2);
    assert.equal(rest[0], 0x88);
    // A slow peer: it answers the close after the shutdown timeout has passed.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await conn.write(new Uint8Array([0x88, 0x82, 1, 2, 3, 4, 0x03 ^ 1, 0xe9 ^ 2]));
    const event = await deadline(closed, 10_000, "the server socket's close");
    assert.deepEqual([event.code, event.wasClean], [1001, true]);
    await deadline(stopped, 10_000, "the shutdown");
  } finally {
    try {
      conn.close();
    } catch {
      // Closed by the server.
    }
    await server.shutdown();
  }
});
