/**
 * The HTTP/1.1 connection loop behind `serve`, over raw loopback sockets:
 * pipelining, Connection: close, 100-continue, body limits, smuggling
 * refusals, clients that leave, timeouts, and the request URL.
 */
import assert from "node:assert/strict";
import { deadline, hello, RawHttp, withServer } from "../tests/_http_raw.ts";
import type { ServeHandler } from "./serve.ts";

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

Deno.test("serve: reads start at 4 KiB and move to 16 KiB once a read fills the buffer", async () => {
  const handler: ServeHandler = async (request) =>
    new Response(String((await request.arrayBuffer()).byteLength));
  // The sizes of the buffers the server reads into (the client reads 64 KiB at a time).
  const sizes: number[] = [];
  await withServer(handler, async (port) => {
    const client = await RawHttp.connect(port);
    const proto = Object.getPrototypeOf(client.conn) as { read(buffer: Uint8Array): unknown };
    const read = proto.read;
    proto.read = function (buffer: Uint8Array) {
      if (buffer.length !== 64 * 1024) sizes.push(buffer.length);
      return read.call(this, buffer);
    };
    try {
      await client.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal((await client.response()).body, "0");
      const body = "x".repeat(200 * 1024);
      await client.send(
        `POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
      assert.equal((await client.response()).body, String(body.length));
    } finally {
      proto.read = read;
      client.close();
    }
  });
  assert.equal(sizes[0], 4 * 1024);
  assert.ok(sizes.includes(16 * 1024), `read sizes: ${sizes.join(", ")}`);
  assert.ok(sizes.every((size) => size === 4 * 1024 || size === 16 * 1024), `${sizes}`);
});
