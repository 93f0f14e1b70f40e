import assert from "node:assert/strict";
import {
  DEFAULT_MAX_HEAD_SIZE,
  readRequestHead,
  readResponseHead,
  writeRequestHead,
  writeResponse,
  writeResponseHead,
} from "./http_head.ts";
import { HttpHeadError } from "../errors/http_head_error.ts";
import { latin1Decode, latin1Encode } from "./_http_syntax.ts";

const HEAD = "GET /chat?x=1 HTTP/1.1\r\n" +
  "Host: server.example.com\r\n" +
  "Upgrade: websocket\r\n" +
  "Connection: Upgrade\r\n" +
  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
  "Sec-WebSocket-Version: 13\r\n" +
  "\r\n";
/** A masked, empty text frame: what a client may send right after its head. */
const FRAME = [0x81, 0x80, 0x01, 0x02, 0x03, 0x04];

function bytes(...parts: (string | number[])[]): Uint8Array {
  const arrays = parts.map((part) =>
    typeof part === "string" ? latin1Encode(part) : Uint8Array.from(part)
  );
  const out = new Uint8Array(arrays.reduce((sum, a) => sum + a.length, 0));
  let at = 0;
  for (const array of arrays) {
    out.set(array, at);
    at += array.length;
  }
  return out;
}

function streamOf(...chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return ReadableStream.from(chunks);
}

/** Split `data` into chunks of `size` bytes. */
function chunked(data: Uint8Array, size: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += size) chunks.push(data.slice(i, i + size));
  return chunks;
}

async function headError(
  promise: Promise<unknown>,
  status: number,
  code: string,
  message: RegExp,
): Promise<HttpHeadError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof HttpHeadError, `expected an HttpHeadError, got ${caught}`);
  assert.equal(caught.status, status, caught.message);
  assert.equal(caught.code, code, caught.message);
  assert.match(caught.message, message);
  assert.equal(caught.name, "HttpHeadError");
  return caught;
}

const requestError = (head: string, status: number, message: RegExp, code = "malformed") =>
  headError(readRequestHead(streamOf(latin1Encode(head))), status, code, message);

// -- reading a request -------------------------------------------------------

Deno.test("readRequestHead: parses the request, keeps the bytes after the head", async () => {
  const readable = streamOf(bytes(HEAD, FRAME));
  const { request, httpVersion, leftover } = await readRequestHead(readable);
  assert.equal(request.method, "GET");
  assert.equal(request.url, "http://server.example.com/chat?x=1");
  assert.equal(httpVersion, "HTTP/1.1");
  assert.deepEqual([...request.headers], [
    ["connection", "Upgrade"],
    ["host", "server.example.com"],
    ["sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="],
    ["sec-websocket-version", "13"],
    ["upgrade", "websocket"],
  ]);
  assert.deepEqual([...leftover], FRAME);
  assert.equal(readable.locked, false);
});

Deno.test("readRequestHead: the same result for every way of splitting the bytes", async () => {
  const data = bytes(HEAD, FRAME);
  const expected = await readRequestHead(streamOf(data));
  const check = async (chunks: Uint8Array[], label: string) => {
    const readable = streamOf(...chunks);
    const head = await readRequestHead(readable);
    assert.equal(head.request.url, expected.request.url, label);
    assert.deepEqual([...head.request.headers], [...expected.request.headers], label);
    // The leftover is what followed the head in its last chunk; the rest
    // is still in the stream.
    const rest = await Array.fromAsync(readable);
    assert.deepEqual([...bytes([...head.leftover], ...rest.map((c) => [...c]))], FRAME, label);
  };
  await check(chunked(data, 1), "byte by byte");
  for (let split = 0; split <= data.length; split++) {
    await check([data.subarray(0, split), data.subarray(split)], `split at ${split}`);
  }
  await check([new Uint8Array(0), data, new Uint8Array(0)], "with empty chunks");
});

/** A `read(buffer)` source (like a `Deno.Conn`) that hands out `chunks` in turn. */
function sourceOf(...chunks: Uint8Array[]) {
  const sizes: number[] = [];
  let next = 0;
  return {
    sizes,
    read(buffer: Uint8Array): Promise<number | null> {
      sizes.push(buffer.length);
      const chunk = chunks[next++];
      if (chunk === undefined) return Promise.resolve(null);
      assert.ok(chunk.length <= buffer.length);
      buffer.set(chunk);
      return Promise.resolve(chunk.length);
    },
  };
}

Deno.test("readRequestHead: from a read(buffer) source, in small reads, as from a stream", async () => {
  const data = bytes(HEAD, FRAME);
  const expected = await readRequestHead(streamOf(data));
  for (const size of [1, 7, data.length]) {
    const source = sourceOf(...chunked(data, size));
    const head = await readRequestHead(source);
    assert.equal(head.request.url, expected.request.url);
    assert.deepEqual([...head.request.headers], [...expected.request.headers]);
    // It stops at the end of the head: with one chunk the frame is leftover.
    if (size === data.length) assert.deepEqual([...head.leftover], FRAME);
    // Buffers of 2 KiB, and no read beyond the head.
    assert.ok(source.sizes.every((n) => n === 2048));
    assert.ok(source.sizes.length <= Math.ceil(HEAD.length / size));
  }
  await headError(
    readRequestHead(sourceOf(latin1Encode("GET / HTTP/1.1\r\n"))),
    400,
    "closed",
    /^Connection closed before the request head was complete/,
  );
  const reading = readRequestHead({ read: () => new Promise(() => {}) }, {
    signal: AbortSignal.timeout(10),
  });
  await headError(reading, 408, "timeout", /^Timed out reading the request head/);
  const response = await readResponseHead(
    sourceOf(latin1Encode("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n")),
  );
  assert.equal(response.status, 101);
  assert.equal(response.headers.get("upgrade"), "websocket");
});

Deno.test("readRequestHead: a read(buffer) source is read into one buffer, short reads copied out", async () => {
  // A client sending a byte at a time must not pin a 2 KiB buffer per byte.
  const data = latin1Encode(HEAD);
  const buffers: Uint8Array[] = [];
  let next = 0;
  const source = {
    read(buffer: Uint8Array): Promise<number | null> {
      buffers.push(buffer);
      if (next >= data.length) return Promise.resolve(null);
      buffer[0] = data[next++]!;
      return Promise.resolve(1);
    },
  };
  const head = await readRequestHead(source);
  assert.equal(head.request.url, "http://server.example.com/chat?x=1");
  assert.equal(buffers.length, data.length);
  assert.ok(buffers.every((buffer) => buffer.buffer === buffers[0]!.buffer));
});

Deno.test("readRequestHead: sources that misbehave reject, never throw or hang", async () => {
  /** A source that gives one byte of a head, then misbehaves with `then`. */
  const after = (then: () => unknown) => {
    let first = true;
    return {
      read(buffer: Uint8Array) {
        if (!first) return then();
        first = false;
        buffer[0] = 0x47; // "G"
        return Promise.resolve(1);
      },
    };
  };
  const bad: [string, () => unknown][] = [
    ["null", () => null],
    ["a number", () => 42],
    ["a read that returns a number", () => after(() => 5)],
    ["a read that throws", () =>
      after(() => {
        throw new Error("boom");
      })],
  ];
  for (const [label, make] of bad) {
    let promise: Promise<unknown>;
    try {
      promise = readRequestHead(make() as never, { signal: AbortSignal.timeout(2000) });
    } catch (error) {
      assert.fail(`${label}: threw ${error} instead of rejecting`);
    }
    await assert.rejects(promise, label);
  }
});

Deno.test("readRequestHead: the stream can be read on after the head", async () => {
  const readable = streamOf(latin1Encode(HEAD), Uint8Array.from(FRAME));
  const { leftover } = await readRequestHead(readable);
  assert.equal(leftover.length, 0);
  const reader = readable.getReader();
  const next = await reader.read();
  assert.deepEqual([...next.value!], FRAME);
});

Deno.test("readRequestHead: header details", async () => {
  const { request } = await readRequestHead(streamOf(latin1Encode(
    "\r\n\r\nGET / HTTP/1.1\r\n" + // leading empty lines are skipped (RFC 9112 §2.2)
      "Host: example.com:8080\r\n" +
      "X-Empty:\r\n" +
      "X-Spaces: \t  a  b \t\r\n" +
      "x-list: 1\r\n" +
      "X-List: 2\r\n" +
      "X-Latin1: caf\u00e9 \u0080\u00ff\r\n" +
      "\r\n",
  )));
  assert.equal(request.url, "http://example.com:8080/");
  assert.equal(request.headers.get("x-empty"), "");
  assert.equal(request.headers.get("x-spaces"), "a  b");
  assert.equal(request.headers.get("x-list"), "1, 2");
  assert.equal(request.headers.get("x-latin1"), "caf\u00e9 \u0080\u00ff");
});

Deno.test("readRequestHead: refusals of the head's rules, and heads a Request cannot represent, get 400 or 505", async () => {
  // The head's rules are listed in request_head_test.ts; here, that they reach the reader.
  await requestError("GET chat HTTP/1.1\r\nHost: x\r\n\r\n", 400, /is not a path/);
  await requestError("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400, /Host "a b" is not a host/);
  await requestError("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, /Unsupported HTTP version/);
  for (const line of ["CONNECT / HTTP/1.1", "TRACE / HTTP/1.1"]) {
    await requestError(`${line}\r\nHost: x\r\n\r\n`, 400, /cannot represent/);
  }
  await requestError("GET / HTTP/1.1\r\nHost: x:99999\r\n\r\n", 400, /cannot represent/);
});

Deno.test("readRequestHead: a head over maxHeadSize gets 431", async () => {
  const big = `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(DEFAULT_MAX_HEAD_SIZE)}\r\n\r\n`;
  await requestError(big, 431, /larger than 16384 bytes/, "too-large");
  // Exactly at the limit passes; one byte over fails.
  const exact = latin1Encode(HEAD);
  await readRequestHead(streamOf(exact), { maxHeadSize: exact.length });
  await headError(
    readRequestHead(streamOf(exact), { maxHeadSize: exact.length - 1 }),
    431,
    "too-large",
    /larger than/,
  );
  // Leading empty lines count.
  await headError(
    readRequestHead(streamOf(bytes("\r\n", HEAD)), { maxHeadSize: exact.length }),
    431,
    "too-large",
    /larger than/,
  );
  // The leftover does not count.
  const { leftover } = await readRequestHead(streamOf(bytes(HEAD, new Array(100_000).fill(0))), {
    maxHeadSize: exact.length,
  });
  assert.equal(leftover.length, 100_000);
});

Deno.test("readRequestHead: the size limit is enforced while reading", async () => {
  // An endless head: the reader must stop after maxHeadSize bytes, not
  // buffer the stream.
  let pulls = 0;
  const readable = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulls++;
      controller.enqueue(latin1Encode(pulls === 1 ? "GET / HTTP/1.1\r\n" : "X: 1234567890\r\n"));
    },
  }, { highWaterMark: 0 });
  await headError(
    readRequestHead(readable, { maxHeadSize: 1024, maxHeaders: 1000 }),
    431,
    "too-large",
    /1024/,
  );
  assert.ok(pulls <= 1024 / 15 + 2, `read ${pulls} chunks`);
  assert.equal(readable.locked, false);
  // A single huge chunk is not scanned past the limit either; a request
  // line that alone passes the limit is a target too long (414).
  await headError(
    readRequestHead(streamOf(new Uint8Array(10_000_000).fill(0x41)), { maxHeadSize: 100 }),
    414,
    "too-large",
    /request line is longer than 100 bytes/,
  );
});

Deno.test("readRequestHead: more than maxHeaders header lines get 431", async () => {
  const head = (count: number) =>
    streamOf(latin1Encode(
      `GET / HTTP/1.1\r\n${
        Array.from({ length: count }, (_, i) => `X-${i}: ${i}\r\n`).join("")
      }\r\n`,
    ));
  await readRequestHead(head(100));
  await headError(readRequestHead(head(101)), 431, "too-large", /more than 100 header fields/);
  await readRequestHead(head(3), { maxHeaders: 3 });
  await headError(readRequestHead(head(4), { maxHeaders: 3 }), 431, "too-large", /more than 3/);
  await readRequestHead(head(0), { maxHeaders: 0 });
});

Deno.test("readRequestHead: a stream that ends or fails early", async () => {
  for (
    const partial of ["", "GET / HTTP/1.1", "GET / HTTP/1.1\r\nHost: x\r\n", "GET / HTTP/1.1\r\n\r"]
  ) {
    await headError(
      readRequestHead(streamOf(latin1Encode(partial))),
      400,
      "closed",
      /^Connection closed before the request head was complete$/,
    );
  }
  const cause = new Error("connection reset");
  const failing = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(latin1Encode("GET / HTTP/1.1\r\n"));
      controller.error(cause);
    },
  });
  const error = await headError(
    readRequestHead(failing),
    400,
    "closed",
    /^Connection failed before the request head was complete$/,
  );
  assert.equal(error.cause, cause);
  assert.equal(failing.locked, false);
});

Deno.test("readRequestHead: a slow producer is cut off by the signal with 408", async () => {
  const data = latin1Encode(HEAD);
  let sent = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const readable = new ReadableStream<Uint8Array>({
    pull(controller) {
      // One byte every 5 ms: the whole head would take over a second.
      return new Promise((resolve) => {
        timer = setTimeout(() => {
          controller.enqueue(data.subarray(sent, sent + 1));
          sent++;
          resolve();
        }, 5);
      });
    },
  }, { highWaterMark: 0 });
  const started = Date.now();
  const error = await headError(
    readRequestHead(readable, { signal: AbortSignal.timeout(60) }),
    408,
    "timeout",
    /^Timed out reading the request head/,
  );
  assert.ok(Date.now() - started < 1000);
  assert.ok(sent < data.length);
  assert.ok(error.cause instanceof DOMException);
  assert.equal((error.cause as DOMException).name, "TimeoutError");
  // The reader is released: the caller may still read (or cancel) the stream.
  assert.equal(readable.locked, false);
  clearTimeout(timer);
  await readable.cancel();
});

Deno.test("readRequestHead: a signal that never gets data in", async () => {
  const readable = new ReadableStream<Uint8Array>({ pull: () => new Promise(() => {}) });
  const controller = new AbortController();
  const reading = readRequestHead(readable, { signal: controller.signal });
  setTimeout(() => controller.abort(new Error("handshake deadline")), 10);
  const error = await headError(reading, 408, "timeout", /aborted/);
  assert.equal((error.cause as Error).message, "handshake deadline");
  assert.equal(readable.locked, false);
  // Already aborted: no read at all.
  await headError(
    readRequestHead(readable, { signal: AbortSignal.abort() }),
    408,
    "timeout",
    /aborted/,
  );
  await readable.cancel();
});

Deno.test("readRequestHead: a signal that does not fire changes nothing", async () => {
  const controller = new AbortController();
  const head = await readRequestHead(streamOf(bytes(HEAD, FRAME)), { signal: controller.signal });
  assert.deepEqual([...head.leftover], FRAME);
  controller.abort(); // after the read: no effect, no unhandled rejection
});

Deno.test("readRequestHead: misuse", async () => {
  const locked = streamOf(latin1Encode(HEAD));
  locked.getReader();
  await assert.rejects(readRequestHead(locked), TypeError);
  await assert.rejects(readRequestHead(streamOf(), { maxHeadSize: 0 }), RangeError);
  await assert.rejects(readRequestHead(streamOf(), { maxHeadSize: 1.5 }), RangeError);
  await assert.rejects(readRequestHead(streamOf(), { maxHeaders: -1 }), RangeError);
  const strings = ReadableStream.from(["GET / HTTP/1.1\r\n\r\n"]) as unknown as ReadableStream<
    Uint8Array
  >;
  await assert.rejects(readRequestHead(strings), TypeError);
});

Deno.test("readRequestHead: random bytes only ever give HttpHeadError", async () => {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 8;
  const pieces = [
    "GET",
    " ",
    "/",
    "HTTP/1.1",
    "\r\n",
    "\r",
    "\n",
    ":",
    "Host",
    "x",
    "\t",
    "\u0000",
    "\u00ff",
    "*",
  ];
  for (let n = 0; n < 2000; n++) {
    let text = "";
    const count = random() % 30;
    for (let i = 0; i < count; i++) text += pieces[random() % pieces.length];
    if (n % 2 === 0) text += "\r\n\r\n";
    try {
      await readRequestHead(streamOf(...chunked(latin1Encode(text), 1 + (random() % 7))), {
        maxHeadSize: 64,
        maxHeaders: 3,
      });
    } catch (error) {
      assert.ok(error instanceof HttpHeadError, `${JSON.stringify(text)}: ${error}`);
    }
  }
});

// -- reading a response ------------------------------------------------------

const RESPONSE = "HTTP/1.1 101 Switching Protocols\r\n" +
  "Upgrade: websocket\r\n" +
  "Connection: Upgrade\r\n" +
  "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" +
  "\r\n";

Deno.test("readResponseHead: parses the head, keeps the bytes after it", async () => {
  const server = [0x81, 0x02, 0x68, 0x69]; // unmasked "hi"
  for (const size of [1, 3, 1000]) {
    const readable = streamOf(...chunked(bytes(RESPONSE, server), size));
    const head = await readResponseHead(readable);
    assert.equal(head.status, 101);
    assert.equal(head.statusText, "Switching Protocols");
    assert.equal(head.httpVersion, "HTTP/1.1");
    assert.equal(head.headers.get("sec-websocket-accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    const rest = await Array.fromAsync(readable);
    assert.deepEqual([...bytes([...head.leftover], ...rest.map((c) => [...c]))], server);
  }
});

Deno.test("readResponseHead: status lines", async () => {
  const status = async (line: string) =>
    await readResponseHead(
      streamOf(latin1Encode(`${line}\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n`)),
    );
  const ok = await status("HTTP/1.0 200 OK");
  assert.deepEqual([ok.status, ok.statusText, ok.httpVersion], [200, "OK", "HTTP/1.0"]);
  assert.deepEqual(ok.headers.getSetCookie(), ["a=1", "b=2"]);
  assert.equal((await status("HTTP/1.1 101")).statusText, "");
  assert.equal((await status("HTTP/1.1 101 ")).statusText, "");
  assert.equal((await status("HTTP/1.1 400 Bad  Request\t!")).statusText, "Bad  Request\t!");
  assert.equal((await status("HTTP/1.1 599 caf\u00e9")).statusText, "caf\u00e9");
  for (
    const bad of [
      "HTTP/1.1 99 Low",
      "HTTP/1.1 600 High",
      "HTTP/1.1 1011 X",
      "HTTP/1.1  101 X",
      "HTTP/1.1 abc X",
      "HTTP/1.1",
      "ICY 200 OK",
      "HTTP/1.1 200 a\u0001b",
    ]
  ) {
    await headError(
      readResponseHead(streamOf(latin1Encode(`${bad}\r\n\r\n`))),
      400,
      "malformed",
      /Invalid status line/,
    );
  }
  await headError(
    readResponseHead(streamOf(latin1Encode("HTTP/2.0 101 X\r\n\r\n"))),
    505,
    "malformed",
    /Unsupported HTTP version/,
  );
});

Deno.test("readResponseHead: limits, errors and the end of the stream", async () => {
  await headError(
    readResponseHead(streamOf(latin1Encode(RESPONSE)), { maxHeadSize: 20 }),
    431,
    "too-large",
    /response head: larger than 20 bytes/,
  );
  await headError(
    readResponseHead(streamOf(latin1Encode(RESPONSE)), { maxHeaders: 2 }),
    431,
    "too-large",
    /more than 2 header fields/,
  );
  await headError(
    readResponseHead(streamOf(latin1Encode("HTTP/1.1 101 OK\r\nUpgrade : websocket\r\n\r\n"))),
    400,
    "malformed",
    /whitespace before the colon/,
  );
  await headError(
    readResponseHead(streamOf(latin1Encode("HTTP/1.1 101 OK\r\n"))),
    400,
    "closed",
    /^Connection closed before the response head was complete$/,
  );
  await headError(
    readResponseHead(new ReadableStream(), { signal: AbortSignal.timeout(10) }),
    408,
    "timeout",
    /response head/,
  );
});

// -- writing -----------------------------------------------------------------

Deno.test("writeRequestHead: request line, Host first, usual header spellings", () => {
  const request = new Request("http://user:pw@example.com/chat?x=1#frag", {
    headers: {
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      "x-request-id": "7",
      "upgrade": "websocket",
    },
  });
  assert.equal(
    latin1Decode(writeRequestHead(request)),
    "GET /chat?x=1 HTTP/1.1\r\n" +
      "Host: example.com\r\n" +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
      "Upgrade: websocket\r\n" +
      "X-Request-Id: 7\r\n" +
      "\r\n",
  );
  const withHost = new Request("https://example.com:8443/", { headers: { host: "other.example" } });
  assert.match(
    latin1Decode(writeRequestHead(withHost)),
    /^GET \/ HTTP\/1.1\r\nHost: other.example\r\n\r\n$/,
  );
  const port = new Request("https://example.com:8443");
  assert.match(
    latin1Decode(writeRequestHead(port)),
    /^GET \/ HTTP\/1.1\r\nHost: example.com:8443\r\n/,
  );
  const latin1 = new Request("http://x/", { headers: { "x-name": "caf\u00e9" } });
  assert.deepEqual([...writeRequestHead(latin1)].slice(-6), [0x66, 0xe9, 0x0d, 0x0a, 0x0d, 0x0a]);
  assert.throws(
    () => writeRequestHead(new Request("http://x/", { method: "POST", body: "x" })),
    TypeError,
  );
});

Deno.test("writeRequestHead and readRequestHead round trip", async () => {
  const request = new Request("http://example.com:81/a/b?c", {
    headers: { "upgrade": "websocket", "x-list": "1, 2", "x-latin1": "\u00e9" },
  });
  const { request: read } = await readRequestHead(streamOf(writeRequestHead(request)));
  assert.equal(read.url, request.url);
  assert.deepEqual([...read.headers], [["host", "example.com:81"], ...request.headers]);
});

Deno.test("writeResponseHead: status line, reasons, each Set-Cookie apart", () => {
  const headers = new Headers();
  headers.append("Set-Cookie", "a=1");
  headers.append("Set-Cookie", "b=2");
  headers.set("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  assert.equal(
    latin1Decode(writeResponseHead(101, "", headers)),
    "HTTP/1.1 101 Switching Protocols\r\n" +
      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" +
      "Set-Cookie: a=1\r\n" +
      "Set-Cookie: b=2\r\n" +
      "\r\n",
  );
  const reasons: [number, string][] = [
    [400, "Bad Request"],
    [403, "Forbidden"],
    [404, "Not Found"],
    [408, "Request Timeout"],
    [426, "Upgrade Required"],
    [431, "Request Header Fields Too Large"],
    [500, "Internal Server Error"],
    [505, "HTTP Version Not Supported"],
    [299, ""],
  ];
  for (const [status, reason] of reasons) {
    assert.equal(
      latin1Decode(writeResponseHead(status, "", new Headers())),
      `HTTP/1.1 ${status} ${reason}\r\n\r\n`,
    );
  }
  assert.equal(
    latin1Decode(writeResponseHead(400, "Nope", new Headers())),
    "HTTP/1.1 400 Nope\r\n\r\n",
  );
  for (const status of [99, 600, 101.5, NaN]) {
    assert.throws(() => writeResponseHead(status, "", new Headers()), RangeError);
  }
  for (const reason of ["a\r\nX-Injected: 1", "a\nb", "a\u0000", "\u0100"]) {
    assert.throws(() => writeResponseHead(400, reason, new Headers()), TypeError);
  }
});

Deno.test("writeResponse: body, Content-Length, Connection: close", async () => {
  const text = async (response: Response) => latin1Decode(await writeResponse(response));
  assert.equal(
    await text(new Response("no", { status: 400, headers: { "content-type": "text/plain" } })),
    "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nno",
  );
  assert.equal(
    await text(
      new Response(null, { status: 426, headers: { connection: "Upgrade", upgrade: "websocket" } }),
    ),
    "HTTP/1.1 426 Upgrade Required\r\nConnection: Upgrade, close\r\nContent-Length: 0\r\nUpgrade: websocket\r\n\r\n",
  );
  assert.equal(
    await text(
      new Response("x", {
        status: 500,
        headers: { connection: "keep-alive, Close", "transfer-encoding": "chunked" },
      }),
    ),
    "HTTP/1.1 500 Internal Server Error\r\nConnection: keep-alive, Close\r\nContent-Length: 1\r\nContent-Type: text/plain;charset=UTF-8\r\n\r\nx",
  );
  assert.equal(
    await text(new Response(null, { status: 204, headers: { "content-length": "0" } })),
    "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n",
  );
  const utf8 = await writeResponse(new Response("é", { status: 403, statusText: "Go away" }));
  assert.match(latin1Decode(utf8), /^HTTP\/1.1 403 Go away\r\n.*Content-Length: 2\r\n/s);
  assert.deepEqual([...utf8.slice(-2)], [0xc3, 0xa9]);
  await assert.rejects(writeResponse(new Response(null, { status: 101 })), RangeError);
  const used = new Response("x", { status: 400 });
  await used.text();
  await assert.rejects(writeResponse(used), TypeError);
});

Deno.test("writeResponse output reads back with readResponseHead", async () => {
  const bytes = await writeResponse(new Response("Origin not allowed", { status: 403 }));
  const readable = streamOf(bytes);
  const head = await readResponseHead(readable);
  assert.equal(head.status, 403);
  assert.equal(head.headers.get("content-length"), "18");
  assert.equal(latin1Decode(head.leftover), "Origin not allowed");
});
