import assert from "node:assert/strict";
import { HttpHeadError } from "../errors/http_head_error.ts";
import { requestFraming } from "./message_framing.ts";
import { parseRequestHead } from "./request_head.ts";

/** Framing of a request with these header lines (HTTP/1.1 unless the first item is a version). */
function framing(fields: string[], version = "HTTP/1.1") {
  return requestFraming(parseRequestHead([`POST / ${version}`, "Host: x", ...fields]));
}

Deno.test("requestFraming: the body length and persistence of valid requests", () => {
  const cases: [string, string[], string, Record<string, unknown>][] = [
    ["no body", [], "HTTP/1.1", { body: "none", keepAlive: true }],
    ["Content-Length", ["Content-Length: 5"], "HTTP/1.1", { body: "length", length: 5 }],
    ["Content-Length: 0 is no body", ["Content-Length: 0"], "HTTP/1.1", { body: "none" }],
    [
      "equal duplicate Content-Length lines",
      ["Content-Length: 7", "content-length: 7"],
      "HTTP/1.1",
      {
        body: "length",
        length: 7,
      },
    ],
    ["an equal Content-Length list", ["Content-Length: 7, 7"], "HTTP/1.1", { length: 7 }],
    ["chunked", ["Transfer-Encoding: chunked"], "HTTP/1.1", { body: "chunked" }],
    ["chunked in any case, with spaces", ["Transfer-Encoding:  Chunked "], "HTTP/1.1", {
      body: "chunked",
    }],
    ["Connection: close", ["Connection: close"], "HTTP/1.1", { keepAlive: false }],
    ["close among other options", ["Connection: Upgrade, Close"], "HTTP/1.1", { keepAlive: false }],
    ["HTTP/1.0 closes by default", [], "HTTP/1.0", { keepAlive: false }],
    ["HTTP/1.0 with keep-alive", ["Connection: keep-alive"], "HTTP/1.0", { keepAlive: true }],
    ["100-continue", ["Content-Length: 3", "Expect: 100-Continue"], "HTTP/1.1", {
      expectContinue: true,
    }],
    ["no 100-continue for HTTP/1.0", ["Content-Length: 3", "Expect: 100-continue"], "HTTP/1.0", {
      expectContinue: false,
    }],
    ["no 100-continue without a body", ["Expect: 100-continue"], "HTTP/1.1", {
      expectContinue: false,
    }],
    ["an upgrade", ["Upgrade: websocket", "Connection: Upgrade"], "HTTP/1.1", { upgrade: true }],
    ["no upgrade", ["X-Upgrade: websocket"], "HTTP/1.1", { upgrade: false }],
  ];
  for (const [name, fields, version, expected] of cases) {
    const result = framing(fields, version);
    for (const [key, value] of Object.entries(expected)) {
      assert.equal(result[key as keyof typeof result], value, `${name}: ${key}`);
    }
  }
});

Deno.test("requestFraming: requests whose body length is ambiguous are refused (smuggling)", () => {
  const cases: [string, string[], string, number][] = [
    [
      "Content-Length and Transfer-Encoding",
      ["Content-Length: 5", "Transfer-Encoding: chunked"],
      "HTTP/1.1",
      400,
    ],
    [
      "Transfer-Encoding then Content-Length",
      ["Transfer-Encoding: chunked", "Content-Length: 0"],
      "HTTP/1.1",
      400,
    ],
    ["differing Content-Length lines", ["Content-Length: 5", "Content-Length: 6"], "HTTP/1.1", 400],
    ["a differing Content-Length list", ["Content-Length: 5, 6"], "HTTP/1.1", 400],
    ["a signed Content-Length", ["Content-Length: +5"], "HTTP/1.1", 400],
    ["a negative Content-Length", ["Content-Length: -1"], "HTTP/1.1", 400],
    ["a hex Content-Length", ["Content-Length: 0x10"], "HTTP/1.1", 400],
    ["an empty Content-Length", ["Content-Length: "], "HTTP/1.1", 400],
    ["a Content-Length past 15 digits", ["Content-Length: 1234567890123456"], "HTTP/1.1", 400],
    ["chunked not last", ["Transfer-Encoding: chunked, gzip"], "HTTP/1.1", 400],
    ["identity alone", ["Transfer-Encoding: identity"], "HTTP/1.1", 400],
    ["chunked twice", ["Transfer-Encoding: chunked, chunked"], "HTTP/1.1", 400],
    [
      "chunked twice over two lines",
      ["Transfer-Encoding: chunked", "Transfer-Encoding: chunked"],
      "HTTP/1.1",
      400,
    ],
    ["an empty Transfer-Encoding", ["Transfer-Encoding: "], "HTTP/1.1", 400],
    ["a misspelt chunked", ["Transfer-Encoding: chunkedx"], "HTTP/1.1", 400],
    ["Transfer-Encoding in HTTP/1.0", ["Transfer-Encoding: chunked"], "HTTP/1.0", 400],
    [
      "a coding this server does not know, then chunked",
      ["Transfer-Encoding: gzip, chunked"],
      "HTTP/1.1",
      501,
    ],
  ];
  for (const [name, fields, version, status] of cases) {
    assert.throws(
      () => framing(fields, version),
      (error: unknown) => error instanceof HttpHeadError && error.status === status,
      name,
    );
  }
});
