/** How `serve` writes responses: lengths, chunked streaming, bodiless answers, HTTP/1.0. */
import assert from "node:assert/strict";
import { deadline, RawHttp, withServer } from "../tests/_http_raw.ts";
import type { ServeHandler } from "./serve.ts";
import { _ResponseWriter } from "./_response_writer.ts";

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

/** A writer whose writes land in memory; `text()` is everything written so far. */
function memoryWriter(options: { head?: boolean; http10?: boolean; fail?: boolean } = {}) {
  const writes: { bytes: Uint8Array; complete: boolean | undefined }[] = [];
  const writer = new _ResponseWriter(
    (bytes, complete) => {
      if (options.fail === true) return Promise.reject(new Deno.errors.BrokenPipe("gone"));
      writes.push({ bytes: bytes.slice(), complete });
      return Promise.resolve();
    },
    options.head ?? false,
    options.http10 ?? false,
  );
  const text = () => writes.map((write) => new TextDecoder().decode(write.bytes)).join("");
  return { writer, writes, text };
}

/** Collect what is logged with console.error until `restore()`. */
function captureErrors(): { lines: string[]; restore(): void } {
  const lines: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => lines.push(args.join(" "));
  return { lines, restore: () => console.error = original };
}

/** A body that yields `parts`, each after a macrotask (so it is not "there at once"). */
function slowBody(parts: string[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    async pull(controller) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (i === parts.length) controller.close();
      else controller.enqueue(new TextEncoder().encode(parts[i++]));
    },
  });
}

Deno.test("_ResponseWriter: a body there at once, in several parts, gets one Content-Length and one write", async () => {
  const { writer, writes, text } = memoryWriter();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const part of ["ab", "cd", "ef"]) controller.enqueue(new TextEncoder().encode(part));
      controller.close();
    },
  });
  assert.equal(await writer.write(new Response(body, { headers: { "x-a": "1" } }), true), true);
  assert.equal(writes.length, 1, "head and body in one write");
  assert.equal(writes[0]!.complete, true, "the last write of a kept-alive response");
  assert.match(
    text(),
    /^HTTP\/1\.1 200 OK\r\nx-a: 1\r\ndate: [^\r]+GMT\r\ncontent-length: 6\r\n\r\nabcdef$/,
  );
  assert.equal(writer.keepAlive, true);
});

Deno.test("_ResponseWriter: a streamed body is chunked; hop-by-hop headers from the handler are dropped", async () => {
  const { writer, text } = memoryWriter();
  const response = new Response(slowBody(["hello", "", "world!"]), {
    headers: { "transfer-encoding": "gzip", "keep-alive": "timeout=1", date: "x" },
  });
  assert.equal(await writer.write(response, true), true);
  assert.equal(
    text(),
    "HTTP/1.1 200 OK\r\ndate: x\r\ntransfer-encoding: chunked\r\n\r\n" +
      "5\r\nhello\r\n6\r\nworld!\r\n0\r\n\r\n",
  );
});

Deno.test("_ResponseWriter: a declared Content-Length is kept; a longer body is cut and closes, a shorter one fails", async () => {
  const errors = captureErrors();
  const longer = memoryWriter();
  const ok = await longer.writer.write(
    new Response(slowBody(["abc", "def"]), { headers: { "content-length": "4" } }),
    true,
  );
  assert.equal(ok, true);
  assert.match(longer.text(), /content-length: 4\r\n\r\nabcd$/);
  assert.equal(longer.writer.keepAlive, false, "the connection cannot go on after a cut body");

  const shorter = memoryWriter();
  const answer = shorter.writer.write(
    new Response(slowBody(["ab"]), { headers: { "content-length": "4" } }),
    true,
  );
  assert.equal(await answer, false);
  errors.restore();
  assert.deepEqual(errors.lines, [
    "serve: the response body is longer than its Content-Length 4",
    "serve: the response body is shorter than its Content-Length 4",
  ]);
});

Deno.test("_ResponseWriter: HEAD, 204, 304, Connection: close, a 1xx, HTTP/1.0", async () => {
  const head = memoryWriter({ head: true });
  await head.writer.write(new Response("four", { headers: { date: "d" } }), true);
  assert.equal(
    head.text(),
    "HTTP/1.1 200 OK\r\ncontent-type: text/plain;charset=UTF-8\r\ndate: d\r\ncontent-length: 4\r\n\r\n",
  );

  const noContent = memoryWriter();
  await noContent.writer.write(new Response(null, { status: 204, headers: { date: "d" } }), true);
  assert.equal(noContent.text(), "HTTP/1.1 204 No Content\r\ndate: d\r\n\r\n");

  const closing = memoryWriter();
  await closing.writer.write(
    new Response(null, { headers: { date: "d", connection: "foo, Close" } }),
    true,
  );
  assert.equal(closing.writer.keepAlive, false);
  assert.match(closing.text(), /content-length: 0\r\nconnection: close\r\n\r\n$/);

  const errors = captureErrors();
  try {
    // Response cannot be built with a 1xx status: give one a 1xx status after the fact.
    const early = new Response(null);
    Object.defineProperty(early, "status", { value: 103 });
    const next = memoryWriter();
    await next.writer.write(early, true);
    assert.match(next.text(), /^HTTP\/1\.1 500 Internal Server Error\r\n/);
    assert.match(errors.lines[0]!, /status 103, which ends no request/);
  } finally {
    errors.restore();
  }

  const http10 = memoryWriter({ http10: true });
  assert.equal(await http10.writer.write(new Response(slowBody(["a", "b"])), true), true);
  assert.equal(http10.writer.keepAlive, false, "without chunks the body ends with the connection");
  assert.doesNotMatch(http10.text(), /transfer-encoding/);
  assert.match(http10.text(), /connection: close\r\n\r\nab$/);
});

Deno.test("_ResponseWriter: a client gone or cancel() resolves false and cancels the body", async () => {
  let cancelled: unknown;
  const body = new ReadableStream<Uint8Array>({
    pull: (controller) => {
      controller.enqueue(new Uint8Array(1));
      return new Promise((resolve) => setTimeout(resolve, 0));
    },
    cancel: (reason) => {
      cancelled = reason ?? "cancelled";
    },
  });
  const gone = memoryWriter({ fail: true });
  assert.equal(await gone.writer.write(new Response(body), true), false);
  assert.ok(cancelled instanceof Deno.errors.BrokenPipe, "the body learns why");

  const stopped = memoryWriter();
  const writing = stopped.writer.write(new Response(slowBody(["a", "b", "c", "d"])), true);
  stopped.writer.cancel(new Error("shutdown"));
  assert.equal(await writing, false);
});
