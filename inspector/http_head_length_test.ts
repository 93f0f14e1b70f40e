import assert from "node:assert/strict";
import { httpHeadLength } from "./http_head_length.ts";

const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

Deno.test("httpHeadLength: a request or response head through its empty line, else 0", () => {
  const request = "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n";
  const response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
  const cases: [name: string, capture: string, length: number][] = [
    ["a request, then frames", request + "\x81\x80abcd", request.length],
    ["a response, then frames", response + "\x81\x00", response.length],
    ["a head and nothing after", response, response.length],
    ["the shortest response head", "HTTP/1.\r\n\r\n", 11],
    ["frames only", "\x81\x05Hello", 0],
    ["a head not ended yet", "GET / HTTP/1.1\r\nHost: x\r\n", 0],
    ["bare LF line ends", "GET / HTTP/1.1\nHost: x\n\n", 0],
    ["a bare LF before the last CRLF", "GET / HTTP/1.1\r\nHost: x\n\r\n", 0],
    ["another method", "POST / HTTP/1.1\r\n\r\n", 0],
    ["HTTP/2", "HTTP/2 101\r\n\r\n", 0],
    ["a lowercase method", "get / HTTP/1.1\r\n\r\n", 0],
    ["empty", "", 0],
    ["a method and the empty line at once", "GET \r\n\r\n", 8],
  ];
  for (const [name, capture, length] of cases) {
    assert.equal(httpHeadLength(latin1(capture)), length, name);
  }
});

Deno.test("httpHeadLength: the end must fall within limit bytes", () => {
  const head = latin1("HTTP/1.1 101 Switching Protocols\r\n\r\n"); // 36 bytes
  assert.equal(httpHeadLength(head, 36), 36);
  assert.equal(httpHeadLength(head, 35), 0);
  const long = latin1(`GET / HTTP/1.1\r\nX: ${"a".repeat(70_000)}\r\n\r\n`);
  assert.equal(httpHeadLength(long), 0, "the default limit is 64 KiB");
  assert.equal(httpHeadLength(long, Infinity), long.length);
});
