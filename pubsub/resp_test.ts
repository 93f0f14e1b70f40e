import assert from "node:assert/strict";
import { SeededRandom } from "../tests/_random.ts";
import {
  encodeCommand,
  RedisError,
  RespDecoder,
  type RespDecoderOptions,
  type RespValue,
} from "./resp.ts";

const text = (s: string) => new TextEncoder().encode(s);

/** Everything `bytes` decodes to, fed as `chunks` (a split of `bytes`). */
function decodeChunks(chunks: Uint8Array[], options?: RespDecoderOptions): RespValue[] {
  const decoder = new RespDecoder(options);
  const values: RespValue[] = [];
  for (const chunk of chunks) values.push(...decoder.write(chunk));
  return values;
}

function bytewise(bytes: Uint8Array): Uint8Array[] {
  return [...bytes].map((byte) => new Uint8Array([byte]));
}

/** A reply stream with every type, nesting, binary data and CRLF inside a bulk string. */
const STREAM = [
  "+OK\r\n",
  "-ERR unknown command 'FOO'\r\n",
  ":0\r\n",
  ":-42\r\n",
  ":1700000000000\r\n",
  "$0\r\n\r\n",
  "$-1\r\n",
  "*-1\r\n",
  "*0\r\n",
  "$4\r\na\r\nb\r\n",
  // XRANGE's shape: entries of [id, [field, value]].
  "*2\r\n*2\r\n$3\r\n0-1\r\n*2\r\n$1\r\nd\r\n$2\r\nhi\r\n*2\r\n$3\r\n0-2\r\n*2\r\n$1\r\nd\r\n$0\r\n\r\n",
  // A pub/sub message.
  "*3\r\n$7\r\nmessage\r\n$4\r\nroom\r\n$3\r\n\u00e9!\r\n",
].join("");

function expected(): RespValue[] {
  return [
    "OK",
    new RedisError("ERR unknown command 'FOO'"),
    0,
    -42,
    1700000000000,
    new Uint8Array(0),
    null,
    null,
    [],
    text("a\r\nb"),
    [[text("0-1"), [text("d"), text("hi")]], [text("0-2"), [text("d"), new Uint8Array(0)]]],
    [text("message"), text("room"), text("\u00e9!")],
  ];
}

Deno.test("RespDecoder: every type, nested arrays, binary bulk strings, in one chunk", () => {
  assert.deepEqual(decodeChunks([text(STREAM)]), expected());
});

Deno.test("RespDecoder: fed byte by byte, the same replies", () => {
  assert.deepEqual(decodeChunks(bytewise(text(STREAM))), expected());
});

Deno.test("RespDecoder: fed in random splits, the same replies (200 seeds)", () => {
  const bytes = text(STREAM);
  for (let seed = 1; seed <= 200; seed++) {
    const random = new SeededRandom(seed);
    assert.deepEqual(decodeChunks(random.split(bytes, 16)), expected(), `seed ${seed}`);
  }
});

Deno.test("RespDecoder: a large bulk string across many chunks, and chunks reused by the caller", () => {
  const payload = new SeededRandom(7).bytes(100_000);
  const bytes = new Uint8Array([
    ...text(`$${payload.length}\r\n`),
    ...payload,
    13,
    10,
    ...text(":1\r\n"),
  ]);
  const decoder = new RespDecoder();
  const values: RespValue[] = [];
  // The caller reads into one buffer it overwrites every time, as a socket does.
  const buffer = new Uint8Array(1000);
  for (let i = 0; i < bytes.length; i += buffer.length) {
    const chunk = bytes.subarray(i, i + buffer.length);
    buffer.set(chunk);
    values.push(...decoder.write(buffer.subarray(0, chunk.length)));
    buffer.fill(0);
  }
  assert.deepEqual(values, [payload, 1]);
});

Deno.test("RespDecoder: a reply completed across writes comes out once, when complete", () => {
  const decoder = new RespDecoder();
  assert.deepEqual(decoder.write(text("*2\r\n$1\r\na\r")), []);
  assert.deepEqual(decoder.write(text("\n:5")), []);
  assert.deepEqual(decoder.write(text("\r\n+")), [[text("a"), 5]]);
  assert.deepEqual(decoder.write(text("PONG\r\n")), ["PONG"]);
});

Deno.test("RespDecoder: malformed input and passed limits throw, and the decoder stays failed", () => {
  const cases: [string, RespDecoderOptions, RegExp][] = [
    ["?what\r\n", {}, /unknown type byte 0x3f/],
    [":12a\r\n", {}, /not an integer/],
    ["$3\r\nabcd\r\n", {}, /not followed by CRLF/],
    ["$-2\r\n", {}, /bulk length -2/],
    ["$11\r\n", { maxBulkLength: 10 }, /bulk length 11/],
    ["*4\r\n", { maxArrayLength: 3 }, /array length 4/],
    ["*1\r\n*1\r\n*1\r\n:1\r\n", { maxDepth: 2 }, /nested too deep/],
    ["+" + "x".repeat(100), { maxLineLength: 64 }, /line too long/],
    ["+" + "x".repeat(100) + "\r\n", { maxLineLength: 64 }, /line too long/],
  ];
  for (const [input, options, error] of cases) {
    for (const chunks of [[text(input)], bytewise(text(input))]) {
      const decoder = new RespDecoder(options);
      assert.throws(() => {
        for (const chunk of chunks) decoder.write(chunk);
      }, error);
      assert.throws(() => decoder.write(text("+OK\r\n")), /failed before/);
    }
  }
});

Deno.test("encodeCommand: an array of bulk strings that RespDecoder reads back", () => {
  const args = [
    "XADD",
    "",
    "0-1",
    new Uint8Array([0, 13, 10, 255]),
    42,
    "\u00e9t\u00e9",
    new Uint8Array(0),
  ];
  const bytes = encodeCommand(args);
  assert.equal(
    new TextDecoder().decode(bytes.subarray(0, 24)),
    "*7\r\n$4\r\nXADD\r\n$0\r\n\r\n$3\r\n",
  );
  assert.deepEqual(decodeChunks(bytewise(bytes)), [[
    text("XADD"),
    new Uint8Array(0),
    text("0-1"),
    new Uint8Array([0, 13, 10, 255]),
    text("42"),
    text("\u00e9t\u00e9"),
    new Uint8Array(0),
  ]]);
});

Deno.test("RespDecoder: a chunk whose slice() shares memory (Node's Buffer) is still copied", () => {
  /** Like Node's Buffer: slice() is a view. */
  class SharingSlice extends Uint8Array {
    override slice(start?: number, end?: number): Uint8Array<ArrayBuffer> {
      return this.subarray(start, end);
    }
  }
  const buffer = new SharingSlice(text("$2\r\nhi\r\n+OK\r"));
  const decoder = new RespDecoder();
  const values = decoder.write(buffer);
  buffer.fill(0x21);
  values.push(...decoder.write(text("\n")));
  assert.deepEqual(values, [text("hi"), "OK"]);
});
