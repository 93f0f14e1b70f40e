import assert from "node:assert/strict";
import { HttpHeadError } from "../errors/http_head_error.ts";
import { latin1Encode } from "./_http_syntax.ts";
import { HeadScanner } from "./head_scanner.ts";

const LIMITS = { maxHeadSize: 16384, maxHeaders: 100 };
const HEAD = "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n";

type Found = { lines: string[]; leftover: Uint8Array } | undefined;

/** Push `chunks` into a new scanner until it finds the head. */
function scan(chunks: Uint8Array[], limits = LIMITS, kind: "request" | "response" = "request") {
  const scanner = new HeadScanner(kind, limits);
  for (const [index, chunk] of chunks.entries()) {
    const found: Found = scanner.push(chunk);
    if (found !== undefined) return { ...found, at: index };
  }
  return undefined;
}

function refusal(fn: () => unknown, status: number, code: string, message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof HttpHeadError, String(error));
    assert.deepEqual([error.status, error.code], [status, code], error.message);
    assert.match(error.message, message);
    return true;
  });
}

Deno.test("HeadScanner: the head's lines and the bytes after it, wherever the chunks are cut", () => {
  const wire = latin1Encode(HEAD + "\x81\x80abcd");
  for (let first = 0; first <= wire.length; first++) {
    for (const second of [first, Math.min(wire.length, first + 1), wire.length]) {
      const chunks = [wire.slice(0, first), wire.slice(first, second), wire.slice(second)];
      const found = scan(chunks);
      assert.ok(found !== undefined, `cut at ${first}, ${second}`);
      assert.deepEqual(found.lines, ["GET /chat HTTP/1.1", "Host: x", "Upgrade: websocket"]);
      // The leftover is what followed the head in the chunk that ended it.
      const end = HEAD.length;
      const chunkStart = [0, first, second][found.at]!;
      assert.deepEqual(
        found.leftover,
        wire.slice(Math.max(end, chunkStart), [first, second, wire.length][found.at]),
      );
    }
  }
});

Deno.test("HeadScanner: empty lines before the start line are skipped (RFC 9112 §2.2), obs-text kept", () => {
  const found = scan([latin1Encode("\r\n\r\nHTTP/1.1 200 OK\r\nX: caf\u00e9\u00ff\r\n\r\n")]);
  assert.deepEqual(found?.lines, ["HTTP/1.1 200 OK", "X: caf\u00e9\u00ff"]);
  assert.deepEqual(found?.leftover, new Uint8Array());
});

Deno.test("HeadScanner: a bare CR or a bare LF anywhere gets 400 (RFC 9112 §2.2), at once", () => {
  const cases: [head: string, message: RegExp][] = [
    [
      "GET / HTTP/1.1\nHost: x\n\n",
      /^Invalid request head: line ends with a bare LF instead of CRLF$/,
    ],
    ["GET / HTTP/1.1\r\nHost: x\n\r\n", /bare LF/],
    ["\n", /bare LF/],
    ["GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", /^Invalid request head: bare CR in a line$/],
    ["GET / HTTP/1.1\r\nHost: x\r\n\r\r\n", /bare CR/],
    ["GET / HTTP/1.1\r\r\n", /bare CR/],
  ];
  for (const [head, message] of cases) {
    const bytes = latin1Encode(head);
    refusal(() => scan([bytes]), 400, "malformed", message);
    // Byte by byte too: a CR at the end of one chunk, what follows in the next.
    refusal(
      () => scan([...bytes].map((byte) => new Uint8Array([byte]))),
      400,
      "malformed",
      message,
    );
  }
});

Deno.test("HeadScanner: maxHeadSize counts the head up to its last LF, across chunks", () => {
  const head = latin1Encode(HEAD);
  const exact = { ...LIMITS, maxHeadSize: head.length };
  assert.ok(scan([head], exact) !== undefined);
  assert.ok(scan([head.subarray(0, 10), head.subarray(10)], exact) !== undefined);
  const less = { ...LIMITS, maxHeadSize: head.length - 1 };
  for (const chunks of [[head], [head.subarray(0, 10), head.subarray(10)]]) {
    refusal(
      () => scan(chunks, less),
      431,
      "too-large",
      new RegExp(`^Invalid request head: larger than ${head.length - 1} bytes$`),
    );
  }
  // Leading empty lines count; what follows the head does not.
  refusal(() => scan([latin1Encode("\r\n" + HEAD)], exact), 431, "too-large", /larger than/);
  assert.ok(scan([latin1Encode(HEAD + "x".repeat(100_000))], exact) !== undefined);
});

Deno.test("HeadScanner: a request line alone over the limit is a 414; a response's is a 431", () => {
  const line = latin1Encode(`GET /${"a".repeat(200)} HTTP/1.1`);
  refusal(
    () => scan([line], { ...LIMITS, maxHeadSize: 100 }),
    414,
    "too-large",
    /^Invalid request head: the request line is longer than 100 bytes$/,
  );
  refusal(
    () => scan([line], { ...LIMITS, maxHeadSize: 100 }, "response"),
    431,
    "too-large",
    /^Invalid response head: larger than 100 bytes$/,
  );
});

Deno.test("HeadScanner: more than maxHeaders header lines get 431", () => {
  const head = (count: number) => latin1Encode(`GET / HTTP/1.1\r\n${"X: 1\r\n".repeat(count)}\r\n`);
  assert.equal(scan([head(3)], { ...LIMITS, maxHeaders: 3 })?.lines.length, 4);
  refusal(
    () => scan([head(4)], { ...LIMITS, maxHeaders: 3 }),
    431,
    "too-large",
    /^Invalid request head: more than 3 header fields$/,
  );
  assert.deepEqual(scan([head(0)], { ...LIMITS, maxHeaders: 0 })?.lines, ["GET / HTTP/1.1"]);
  refusal(() => scan([head(1)], { ...LIMITS, maxHeaders: 0 }), 431, "too-large", /more than 0/);
});

Deno.test("HeadScanner: chunks are kept as they are, or copied when asked (a reused read buffer)", () => {
  const head = latin1Encode(HEAD);
  for (const copy of [false, true]) {
    const scanner = new HeadScanner("request", LIMITS);
    const buffer = head.slice(0, 10);
    assert.equal(scanner.push(buffer, copy), undefined);
    buffer.fill(0x41); // the caller reuses its buffer for the next read
    const found = scanner.push(head.slice(10));
    // Without the copy the scanner still views the caller's buffer.
    const startLine = copy ? "GET /chat HTTP/1.1" : "A".repeat(10) + "HTTP/1.1";
    assert.equal(found?.lines[0], startLine, `copy: ${copy}`);
  }
});
