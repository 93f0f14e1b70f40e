import assert from "node:assert/strict";
import { constants, createDeflateRaw, deflateRawSync } from "node:zlib";
import { WebSocketError } from "../errors/websocket_error.ts";
import { _MessageInflater } from "./_message_inflater.ts";

const bytes = (...values: number[]) => new Uint8Array(values);
const text = (data: Uint8Array) => new TextDecoder().decode(data);
const code = (closeCode: number) => (error: unknown) =>
  error instanceof WebSocketError && error.closeCode === closeCode;

/** RFC 7692 §7.2.3.1: "Hello", compressed, the 00 00 ff ff tail removed. */
const HELLO = bytes(0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00);
/** §7.2.3.2: the second "Hello" with context takeover, a back-reference into the first. */
const HELLO_AGAIN = bytes(0xf2, 0x00, 0x11, 0x00, 0x00);

const options = { noContextTakeover: false, windowBits: 15, maxSize: 1000 };

Deno.test("_MessageInflater: RFC 7692 §7.2.3.1-§7.2.3.6 payloads, with context takeover", () => {
  const inflater = new _MessageInflater(options);
  const cases: [name: string, payload: Uint8Array, text: string][] = [
    ["§7.2.3.1 one compressed block", HELLO, "Hello"],
    ["§7.2.3.2 a reference to the previous message", HELLO_AGAIN, "Hello"],
    [
      "§7.2.3.3 a stored block",
      bytes(0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00),
      "Hello",
    ],
    ["§7.2.3.4 a final block", bytes(0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00), "Hello"],
    // §7.2.2: after a final block, the next message still refers to the same window.
    ["a reference after a final block", HELLO_AGAIN, "Hello"],
    [
      "§7.2.3.5 two blocks",
      bytes(0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00),
      "Hello",
    ],
    ["§7.2.3.6 an empty stored block's first octet", bytes(0x00), ""],
    ["no data at all", bytes(), ""],
    ["a reference after empty messages", HELLO_AGAIN, "Hello"],
  ];
  for (const [name, payload, expected] of cases) {
    assert.equal(text(inflater.inflate(payload)), expected, name);
  }
});

Deno.test("_MessageInflater: without context takeover, or after close, no window is kept", () => {
  const reset = new _MessageInflater({ ...options, noContextTakeover: true });
  assert.equal(text(reset.inflate(HELLO)), "Hello");
  assert.throws(() => reset.inflate(HELLO_AGAIN), code(1007));
  assert.equal(text(reset.inflate(HELLO)), "Hello", "an error leaves the inflater usable");

  const closed = new _MessageInflater(options);
  assert.equal(text(closed.inflate(HELLO)), "Hello");
  closed.close();
  assert.throws(() => closed.inflate(HELLO_AGAIN), code(1007));
});

/** A permessage-deflate sender with context takeover: one raw deflate stream, sync-flushed per message. */
function deflater(windowBits: number) {
  const stream = createDeflateRaw({ windowBits });
  const out: Uint8Array[] = [];
  stream.on("data", (chunk: Uint8Array) => out.push(chunk));
  return (data: Uint8Array) =>
    new Promise<Uint8Array>((resolve) => {
      stream.write(data);
      stream.flush(constants.Z_SYNC_FLUSH, () => {
        const all = new Uint8Array(out.splice(0).flatMap((chunk) => [...chunk]));
        resolve(all.slice(0, -4)); // §7.2.1: without the 00 00 ff ff tail
      });
    });
}

Deno.test("_MessageInflater: a long message's last 2^windowBits bytes are the next one's window", async () => {
  const deflate = deflater(9);
  const history = new Uint8Array(5000);
  for (let i = 0; i < history.length; i++) history[i] = (i * i * 131 + 7 * i) % 251;
  const first = await deflate(history);
  // 190 bytes from 200 back: zlib's 512-byte window lets it refer that far.
  const repeat = history.slice(4800, 4990);
  const second = await deflate(repeat);
  assert.ok(second.length < 20, `${second.length} bytes: the sender did not refer back`);

  const inflater = new _MessageInflater({ ...options, windowBits: 9, maxSize: 10_000 });
  assert.deepEqual(inflater.inflate(first), history);
  const output = inflater.inflate(second);
  assert.deepEqual(output, repeat, "the window is read, and not part of the output");
  assert.throws(() => new _MessageInflater(options).inflate(second), code(1007));
});

Deno.test("_MessageInflater: maxSize bytes pass, one more fails with 1009; corrupt data with 1007", () => {
  const payload = deflateRawSync(new Uint8Array(1001)).subarray(0);
  const exact = new _MessageInflater({ ...options, maxSize: 1001 });
  assert.equal(exact.inflate(payload).length, 1001);
  const over = new _MessageInflater({ ...options, maxSize: 1000 });
  assert.throws(
    () => over.inflate(payload),
    (error: unknown) =>
      code(1009)(error) && (error as Error).message ===
        "Message too big: inflates to more than 1000 bytes",
  );
  // Far over the limit: zlib stops at the limit instead of inflating it all.
  const bomb = deflateRawSync(new Uint8Array(1 << 20));
  assert.throws(
    () => over.inflate(bomb),
    (error: unknown) => code(1009)(error) && (error as Error).cause instanceof RangeError,
  );
  const corrupt = new _MessageInflater(options);
  assert.throws(
    () => corrupt.inflate(bytes(0xff, 0xff, 0xff)),
    (error: unknown) =>
      code(1007)(error) && /^Invalid compressed message: /.test((error as Error).message) &&
      (error as Error).cause !== undefined,
  );
});
