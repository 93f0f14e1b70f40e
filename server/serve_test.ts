import assert from "node:assert/strict";
import { deadline, RawHttp } from "../tests/_http_raw.ts";
import { serve, type ServeHandler, type ServeOptions } from "./serve.ts";

/** Run `body` against a server on a free loopback port, then shut it down. */
async function withServer(
  handler: ServeHandler,
  body: (port: number) => Promise<void>,
  options: Partial<ServeOptions> = {},
): Promise<void> {
  const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {}, ...options }, handler);
  try {
    await body(server.addr.port);
  } finally {
    await server.shutdown();
  }
}

const hello: ServeHandler = (request) =>
  new Response(`${request.method} ${new URL(request.url).pathname}`);

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

Deno.test("serve: pipelined requests are answered in order, bodies included", async () => {
  const handler: ServeHandler = async (request) =>
    new Response(`${new URL(request.url).pathname}:${await request.text()}`);
  await withServer(handler, async (port) => {
    const client = await RawHttp.connect(port);
    await client.send(
      "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n" +
        "POST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" +
        "POST /3 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n" +
        "GET /4 HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    const bodies = [];
    for (let i = 0; i < 4; i++) bodies.push((await client.response()).body);
    assert.deepEqual(bodies, ["/1:", "/2:hello", "/3:abc", "/4:"]);
    client.close();
  });
});

Deno.test("serve: HEAD gets GET's head without the body; 204 and 304 get no body", async () => {
  const handler: ServeHandler = (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/204") return new Response(null, { status: 204 });
    if (path === "/304") return new Response(null, { status: 304 });
    return new Response("twelve bytes");
  };
  await withServer(handler, async (port) => {
    const client = await RawHttp.connect(port);
    await client.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
    const head = await client.response({ bodiless: true });
    assert.equal(head.headers.get("content-length"), "12");
    for (const status of [204, 304]) {
      await client.send(`GET /${status} HTTP/1.1\r\nHost: x\r\n\r\n`);
      const response = await client.response();
      assert.equal(response.status, status);
      assert.equal(response.headers.get("content-length"), undefined);
      assert.equal(response.headers.get("transfer-encoding"), undefined);
    }
    // Had a body been sent after any of them, this would not parse as the next response.
    await client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.equal((await client.response()).body, "twelve bytes");
    client.close();
  });
});

Deno.test("serve: a streamed body goes out chunked, as it is produced", async () => {
  let release!: () => void;
  const released = new Promise<void>((resolve) => release = resolve);
  const handler: ServeHandler = () =>
    new Response(
      new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(new TextEncoder().encode("first;"));
          await released;
          controller.enqueue(new TextEncoder().encode("second"));
          controller.close();
        },
      }),
    );
  await withServer(handler, async (port) => {
    const client = await RawHttp.connect(port);
    await client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    // The head comes before the body is complete: the stream waits on `released`.
    const head = await deadline(client.head(), 5000, "the head of a streamed response");
    assert.equal(head.headers.get("transfer-encoding"), "chunked");
    assert.equal(head.headers.get("content-length"), undefined);
    release();
    client.close();
  });
});

Deno.test("serve: HTTP/1.0 closes unless asked to keep alive; no chunked coding for it", async () => {
  const handler: ServeHandler = (request) =>
    new URL(request.url).pathname === "/stream"
      ? new Response(
        ReadableStream.from([new TextEncoder().encode("a"), new TextEncoder().encode("b")]),
      )
      : new Response("ok");
  await withServer(handler, async (port) => {
    const plain = await RawHttp.connect(port);
    await plain.send("GET / HTTP/1.0\r\n\r\n");
    const response = await plain.response();
    assert.equal(response.headers.get("connection"), "close");
    assert.ok(await deadline(plain.closed(), 5000, "HTTP/1.0 close"));
    plain.close();

    const kept = await RawHttp.connect(port);
    await kept.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assert.equal((await kept.response()).headers.get("connection"), "keep-alive");
    await kept.send("GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    const streamed = await kept.response();
    assert.equal(streamed.headers.get("transfer-encoding"), undefined);
    assert.equal(streamed.body, "ab"); // read to the end of the connection
    kept.close();
  });
});

Deno.test("serve: Connection: close from the client or the handler ends the connection", async () => {
  const handler: ServeHandler = (request) =>
    new URL(request.url).pathname === "/bye"
      ? new Response("bye", { headers: { connection: "close" } })
      : new Response("ok");
  await withServer(handler, async (port) => {
    for (
      const request of ["GET / HTTP/1.1\r\nConnection: close\r\n\r\n", "GET /bye HTTP/1.1\r\n\r\n"]
    ) {
      const client = await RawHttp.connect(port);
      await client.send(request);
      assert.equal((await client.response()).headers.get("connection"), "close");
      assert.ok(await deadline(client.closed(), 5000, "the server's close"));
      client.close();
    }
  });
});

Deno.test("serve: Expect: 100-continue is answered when the handler reads the body", async () => {
  const handler: ServeHandler = async (request) =>
    new URL(request.url).pathname === "/read"
      ? new Response(`read ${await request.text()}`)
      : new Response("not read", { status: 403 });
  await withServer(handler, async (port) => {
    const client = await RawHttp.connect(port);
    await client.send(
      "POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n",
    );
    const interim = await deadline(client.head(), 5000, "100 Continue");
    assert.equal(interim.status, 100);
    await client.send("body");
    assert.equal((await client.response()).body, "read body");
    client.close();

    // A handler that answers without reading: no 100, and the unread body cannot be told
    // from the next request, so the connection closes.
    const refused = await RawHttp.connect(port);
    await refused.send(
      "POST /deny HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n",
    );
    const response = await refused.response();
    assert.equal(response.status, 403);
    assert.equal(response.headers.get("connection"), "close");
    assert.ok(await deadline(refused.closed(), 5000, "close after an unread body"));
    refused.close();
  });
});

Deno.test("serve: a small unread body is dropped and the connection kept", async () => {
  await withServer(hello, async (port) => {
    const client = await RawHttp.connect(port);
    await client.send("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789");
    assert.equal((await client.response()).body, "POST /a");
    await client.send("POST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n");
    assert.equal((await client.response()).body, "POST /b");
    await client.send("GET /c HTTP/1.1\r\n\r\n");
    assert.equal((await client.response()).body, "GET /c");
    client.close();
  });
});

Deno.test("serve: requests that could be smuggled or break the limits are refused, then closed", async () => {
  const cases: [string, string, number][] = [
    [
      "CL and TE",
      "POST / HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n",
      400,
    ],
    ["differing CLs", "POST / HTTP/1.1\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n", 400],
    [
      "TE not ending in chunked",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, identity\r\n\r\n",
      400,
    ],
    ["an unknown coding", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501],
    ["TE in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400],
    ["a bad chunk size", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400],
    ["obs-fold", "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", 400],
    ["a bare LF", "GET / HTTP/1.1\nHost: x\r\n\r\n", 400],
    ["a bare CR", "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", 400],
    ["two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400],
    ["HTTP/2 on the wire", "GET / HTTP/2.0\r\n\r\n", 505],
    ["a long request line", `GET /${"a".repeat(2000)} HTTP/1.1\r\n\r\n`, 414],
    ["a long head", `GET / HTTP/1.1\r\nX: ${"a".repeat(2000)}\r\n\r\n`, 431],
    ["a body over maxBodySize", "POST / HTTP/1.1\r\nContent-Length: 1001\r\n\r\n", 413],
  ];
  let handled = 0;
  const handler: ServeHandler = async (request) => {
    handled++;
    return new Response(await request.text());
  };
  await withServer(handler, async (port) => {
    for (const [name, request, status] of cases) {
      const client = await RawHttp.connect(port);
      await client.send(request);
      const response = await deadline(client.response(), 5000, name);
      assert.equal(response.status, status, name);
      assert.equal(response.headers.get("connection"), "close", name);
      assert.ok(await deadline(client.closed(), 5000, `${name}: close`), name);
      client.close();
    }
  }, { maxHeadSize: 1024, maxBodySize: 1000 });
  // Only the bad chunk size reached the handler (its head is fine; the body is read later).
  assert.equal(handled, 1);
});

Deno.test("serve: a chunked body past maxBodySize fails the body read with a 413", async () => {
  const handler: ServeHandler = async (request) =>
    new Response(`${(await request.arrayBuffer()).byteLength}`);
  await withServer(handler, async (port) => {
    const client = await RawHttp.connect(port);
    await client.send(
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n" + "x".repeat(1024) + "\r\n",
    );
    const response = await client.response();
    assert.equal(response.status, 413);
    assert.equal(response.headers.get("connection"), "close");
    client.close();
  }, { maxBodySize: 1000 });
});

Deno.test("serve: when the client leaves, the response stream is cancelled and request.signal aborts", async () => {
  let cancelled!: () => void;
  const wasCancelled = new Promise<void>((resolve) => cancelled = resolve);
  let aborted!: () => void;
  const wasAborted = new Promise<void>((resolve) => aborted = resolve);
  const handler: ServeHandler = (request) => {
    request.signal.addEventListener("abort", () => aborted());
    let timer: ReturnType<typeof setInterval>;
    return new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          timer = setInterval(
            () => controller.enqueue(new TextEncoder().encode("data: x\n\n")),
            20,
          );
        },
        cancel() {
          clearInterval(timer);
          cancelled();
        },
      }),
      { headers: { "content-type": "text/event-stream" } },
    );
  };
  await withServer(handler, async (port) => {
    const client = await RawHttp.connect(port);
    await client.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
    await client.head();
    client.close();
    await deadline(Promise.all([wasCancelled, wasAborted]), 5000, "cancel and abort");
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

Deno.test("serve: the URL carries the Host, the scheme, and absolute-form targets", async () => {
  await withServer((request) => new Response(request.url), async (port) => {
    const client = await RawHttp.connect(port);
    await client.send("GET /p?q=1 HTTP/1.1\r\nHost: example.com:8080\r\n\r\n");
    assert.equal((await client.response()).body, "http://example.com:8080/p?q=1");
    await client.send("GET http://other.example/abs HTTP/1.1\r\nHost: ignored\r\n\r\n");
    assert.equal((await client.response()).body, "http://other.example/abs");
    await client.send("GET /nohost HTTP/1.0\r\n\r\n");
    assert.equal((await client.response()).body, "http://localhost/nohost");
    client.close();
  });
});

Deno.test("serve: a late head gets 408; an idle kept-alive connection closes quietly", async () => {
  await withServer(hello, async (port) => {
    const slow = await RawHttp.connect(port);
    await slow.send("GET / HTTP/1.1\r\nX-Slow: ");
    const response = await deadline(slow.response(), 5000, "the 408");
    assert.equal(response.status, 408);
    slow.close();

    const idle = await RawHttp.connect(port);
    await idle.send("GET / HTTP/1.1\r\n\r\n");
    await idle.response();
    // Closed by the keep-alive timeout.
    assert.ok(await deadline(idle.closed(), 5000, "the keep-alive close"));
    idle.close();
  }, { handshakeTimeout: 300, keepAliveTimeout: 300 });
});
