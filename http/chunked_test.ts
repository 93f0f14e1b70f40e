import assert from "node:assert/strict";
import { ChunkedDecoder, chunkHead, CRLF, LAST_CHUNK } from "./chunked.ts";
import { HttpHeadError } from "../errors/http_head_error.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Decode `wire` fed `step` bytes at a time: the data, the bytes after the body, and whether it ended. */
function decode(wire: string, step: number, maxLine?: number) {
  const bytes = encoder.encode(wire);
  const chunked = new ChunkedDecoder(maxLine);
  const data: Uint8Array[] = [];
  let offset = 0;
  while (offset < bytes.length && !chunked.done) {
    const piece = bytes.subarray(offset, Math.min(offset + step, bytes.length));
    offset += chunked.decode(piece, data);
  }
  return {
    data: data.map((part) => decoder.decode(part)).join(""),
    rest: decoder.decode(bytes.subarray(offset)),
    done: chunked.done,
  };
}

Deno.test("ChunkedDecoder: valid bodies decode the same whatever the read sizes", () => {
  const cases: [string, string, string, string][] = [
    ["one chunk", "5\r\nhello\r\n0\r\n\r\n", "hello", ""],
    [
      "two chunks and a pipelined request",
      "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\nGET /",
      "abcde",
      "GET /",
    ],
    [
      "uppercase and lowercase hex",
      "A\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n",
      "01234567890123456789",
      "",
    ],
    ["leading zeros", "0003\r\nabc\r\n000\r\n\r\n", "abc", ""],
    ["chunk extensions", "3;name=value;flag\r\nabc\r\n0;last\r\n\r\n", "abc", ""],
    ["whitespace before an extension", "3 ;x=1\r\nabc\r\n0\r\n\r\n", "abc", ""],
    ["a quoted extension value", '3;x="a b"\r\nabc\r\n0\r\n\r\n', "abc", ""],
    ["trailer fields", "3\r\nabc\r\n0\r\nExpires: never\r\nX-Sum: 1\r\n\r\nnext", "abc", "next"],
    ["no data at all", "0\r\n\r\n", "", ""],
    ["CRLF inside the data", "4\r\n\r\n\r\n\r\n0\r\n\r\n", "\r\n\r\n", ""],
  ];
  for (const [name, wire, data, rest] of cases) {
    for (const step of [1, 2, 3, 7, wire.length]) {
      const result = decode(wire, step);
      assert.equal(result.data, data, `${name} (step ${step})`);
      assert.equal(result.rest, rest, `${name} (step ${step})`);
      assert.ok(result.done, `${name} (step ${step})`);
    }
  }
});

Deno.test("ChunkedDecoder: malformed bodies are refused with 400", () => {
  const cases: [string, string][] = [
    ["no size", "\r\nabc\r\n0\r\n\r\n"],
    ["a size that is not hex", "g\r\nabc\r\n0\r\n\r\n"],
    ["a signed size", "+3\r\nabc\r\n0\r\n\r\n"],
    ["a 0x prefix", "0x3\r\nabc\r\n0\r\n\r\n"],
    ["a size past 13 hex digits", "10000000000000\r\nabc\r\n"],
    ["a bare LF after the size", "3\nabc\r\n0\r\n\r\n"],
    ["a bare CR after the size", "3\rabc\r\n0\r\n\r\n"],
    ["data longer than its size", "3\r\nabcd\r\n0\r\n\r\n"],
    ["data not followed by CRLF", "3\r\nabcXY0\r\n\r\n"],
    ["a bare LF after the data", "3\r\nabc\n0\r\n\r\n"],
    ["a control character in an extension", "3;x=\x01\r\nabc\r\n0\r\n\r\n"],
    ["a bare LF in a trailer", "0\r\nX: 1\n\r\n"],
    ["a bare CR in a trailer", "0\r\nX: 1\rY\r\n\r\n"],
  ];
  for (const [name, wire] of cases) {
    for (const step of [1, wire.length]) {
      assert.throws(
        () => decode(wire, step),
        (error: unknown) => error instanceof HttpHeadError && error.status === 400,
        `${name} (step ${step})`,
      );
    }
  }
});

Deno.test("ChunkedDecoder: size lines and trailers are bounded", () => {
  const long = `3;${"x".repeat(200)}\r\nabc\r\n0\r\n\r\n`;
  assert.throws(() => decode(long, 1, 100), /longer than 100 bytes/);
  assert.equal(decode(long, 1, 300).data, "abc");
  const trailers = `0\r\n${"X: 1\r\n".repeat(50)}\r\n`;
  assert.throws(() => decode(trailers, 5, 100), /longer than 100 bytes/);
  assert.ok(decode(trailers, 5, 400).done);
});

Deno.test("chunkHead, CRLF and LAST_CHUNK make a body the decoder reads back", () => {
  const parts = [encoder.encode("x".repeat(300)), encoder.encode("yz")];
  let wire = "";
  for (const part of parts) {
    wire += decoder.decode(chunkHead(part.length)) + decoder.decode(part) + decoder.decode(CRLF);
  }
  wire += decoder.decode(LAST_CHUNK);
  assert.ok(wire.startsWith("12c\r\n"));
  const result = decode(wire, 64);
  assert.equal(result.data, "x".repeat(300) + "yz");
  assert.ok(result.done);
});
