import assert from "node:assert/strict";
import { isolated } from "../tests/_process.ts";
import { WebSocketError } from "../errors/websocket_error.ts";
import { MessageDeflater, MessageInflater } from "./deflate_codec.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function bytes(...values: number[]): Uint8Array {
  return new Uint8Array(values);
}

/** Deterministic pseudo-random bytes (incompressible). */
function noise(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** A JSON message of about `size` bytes, different for every `id`. */
function json(id: number, size = 1024): Uint8Array {
  const base = { id, type: "update", user: `user-${id % 17}`, room: "general", tags: ["a", "b"] };
  let text = JSON.stringify({ ...base, text: "" });
  const words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"];
  let body = "";
  for (let i = 0; text.length + body.length < size; i++) {
    body += words[(id * 7 + i * 3) % words.length] + (i % 5 === 0 ? `-${id + i} ` : " ");
  }
  text = JSON.stringify({ ...base, text: body });
  return encoder.encode(text);
}

function expectCode(code: number) {
  return (error: unknown) => error instanceof WebSocketError && error.closeCode === code;
}

Deno.test("RFC 7692 §7.2.3.1: 'Hello' compresses to the example's bytes", () => {
  const deflater = new MessageDeflater({ noContextTakeover: true });
  assert.deepEqual(
    deflater.deflate(encoder.encode("Hello")),
    bytes(0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00),
  );
  deflater.close();
});

Deno.test("RFC 7692 §7.2.3.2: with context takeover the second 'Hello' refers to the first", () => {
  const deflater = new MessageDeflater();
  const inflater = new MessageInflater();
  const first = deflater.deflate(encoder.encode("Hello"));
  const second = deflater.deflate(encoder.encode("Hello"));
  assert.deepEqual(first, bytes(0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00));
  assert.deepEqual(second, bytes(0xf2, 0x00, 0x11, 0x00, 0x00));
  assert.equal(decoder.decode(inflater.inflate(first, 100)), "Hello");
  assert.equal(decoder.decode(inflater.inflate(second, 100)), "Hello");
  // A decompressor without the first message's window cannot read the second.
  const fresh = new MessageInflater();
  assert.throws(() => fresh.inflate(second, 100), expectCode(1007));
  deflater.close();
  inflater.close();
  fresh.close();
});

Deno.test("RFC 7692 §7.2.3.3-§7.2.3.6: stored, BFINAL, two-block and empty payloads inflate", () => {
  const inflater = new MessageInflater();
  const cases: [Uint8Array, string][] = [
    // §7.2.3.3: a DEFLATE block with no compression.
    [bytes(0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00), "Hello"],
    // §7.2.3.4: a DEFLATE block with BFINAL set.
    [bytes(0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00), "Hello"],
    // §7.2.3.5: two DEFLATE blocks in one message.
    [
      bytes(0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00),
      "Hello",
    ],
    // §7.2.3.6: an empty message as one empty stored block's first octet.
    [bytes(0x00), ""],
  ];
  for (const [payload, text] of cases) {
    assert.equal(decoder.decode(inflater.inflate(payload, 100)), text);
  }
  // After a final block the window is reset, and the next message still works.
  assert.equal(
    decoder.decode(inflater.inflate(bytes(0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00), 100)),
    "Hello",
  );
  inflater.close();
});

Deno.test("empty messages between others keep both contexts in step", () => {
  const deflater = new MessageDeflater();
  const inflater = new MessageInflater();
  const sequence = ["Hello", "", "", "Hello again", ""].map((text) => encoder.encode(text));
  for (const message of sequence) {
    const payload = deflater.deflate(message);
    assert.ok(payload.length > 0, "an empty message is still one octet of DEFLATE");
    assert.deepEqual(inflater.inflate(payload, 100), message);
  }
  // A peer that sends no octet at all for an empty message is read as one.
  assert.equal(inflater.inflate(new Uint8Array(0), 100).length, 0);
  assert.equal(
    decoder.decode(inflater.inflate(deflater.deflate(encoder.encode("end")), 100)),
    "end",
  );
});

Deno.test("an empty message compresses to one octet and back", () => {
  const deflater = new MessageDeflater({ noContextTakeover: true });
  const inflater = new MessageInflater({ noContextTakeover: true });
  const payload = deflater.deflate(new Uint8Array(0));
  assert.deepEqual(payload, bytes(0x00));
  assert.equal(inflater.inflate(payload, 0).length, 0);
});

for (const windowBits of [8, 9, 12, 15]) {
  for (const noContextTakeover of [false, true]) {
    Deno.test(`round trip at window bits ${windowBits}, ${noContextTakeover ? "no " : ""}context takeover`, () => {
      const deflater = new MessageDeflater({ windowBits, noContextTakeover });
      const inflater = new MessageInflater({ windowBits, noContextTakeover });
      let wire = 0;
      let raw = 0;
      const messages = [
        ...Array.from({ length: 40 }, (_, i) => json(i)),
        noise(3000, windowBits),
        json(41, 200_000),
        new Uint8Array(70_000),
        encoder.encode("κόσμε ".repeat(1000)),
      ];
      for (const message of messages) {
        const payload = deflater.deflate(message);
        wire += payload.length;
        raw += message.length;
        assert.deepEqual(inflater.inflate(payload, 1 << 20), message);
      }
      assert.ok(wire < raw / 2, `compressed ${raw} bytes to ${wire}`);
      deflater.close();
      inflater.close();
    });
  }
}

Deno.test("context takeover makes repeated messages much smaller; without it they stay the same", () => {
  const message = json(1);
  const keep = new MessageDeflater();
  const reset = new MessageDeflater({ noContextTakeover: true });
  const firstKeep = keep.deflate(message).length;
  const secondKeep = keep.deflate(message).length;
  const firstReset = reset.deflate(message).length;
  const secondReset = reset.deflate(message).length;
  assert.ok(secondKeep < firstKeep / 4, `${secondKeep} vs ${firstKeep}`);
  assert.equal(secondReset, firstReset);
  keep.close();
});

Deno.test("the window limit holds: a 9-bit compressor never refers 2000 bytes back", () => {
  // The same 2000 random bytes twice: only a window over 2000 bytes can match them.
  const block = noise(2000, 7);
  const small = new MessageDeflater({ windowBits: 9 });
  const smallInflater = new MessageInflater({ windowBits: 9 });
  const large = new MessageDeflater({ windowBits: 15 });
  const largeInflater = new MessageInflater({ windowBits: 15 });
  for (const [deflater, inflater] of [[small, smallInflater], [large, largeInflater]] as const) {
    assert.deepEqual(inflater.inflate(deflater.deflate(block), 4096), block);
  }
  const second9 = small.deflate(block);
  const second15 = large.deflate(block);
  assert.ok(second9.length >= 2000, `9 bits found a match ${second9.length}`);
  assert.ok(second15.length < 100, `15 bits missed the match ${second15.length}`);
  assert.deepEqual(smallInflater.inflate(second9, 4096), block);
  assert.deepEqual(largeInflater.inflate(second15, 4096), block);
  // A 9-bit decompressor keeps only 512 bytes of the previous message, so a
  // peer that refers further back than it agreed to fails with 1007.
  const liar = new MessageDeflater({ windowBits: 15 });
  const strict = new MessageInflater({ windowBits: 9 });
  assert.deepEqual(strict.inflate(liar.deflate(block), 4096), block);
  assert.throws(() => strict.inflate(liar.deflate(block), 4096), expectCode(1007));
  for (const codec of [small, smallInflater, large, largeInflater, liar, strict]) codec.close();
});

Deno.test("corrupt data fails with 1007, and the decompressor is usable again afterwards", () => {
  const inflater = new MessageInflater({ noContextTakeover: true });
  assert.throws(() => inflater.inflate(bytes(0xff, 0xff, 0xff), 100), expectCode(1007));
  assert.throws(
    () => inflater.inflate(bytes(0x00, 0x05, 0x00, 0x00, 0x00, 0x48), 100),
    expectCode(1007),
  );
  assert.equal(
    decoder.decode(inflater.inflate(bytes(0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00), 100)),
    "Hello",
  );
});

Deno.test("the size limit counts decompressed bytes: exactly the limit passes, one more fails with 1009", () => {
  const deflater = new MessageDeflater({ noContextTakeover: true });
  const inflater = new MessageInflater({ noContextTakeover: true });
  for (const size of [10, 65_536, 65_537, 300_000]) {
    const payload = deflater.deflate(new Uint8Array(size).fill(65));
    assert.equal(inflater.inflate(payload, size).length, size);
    assert.throws(() => inflater.inflate(payload, size - 1), expectCode(1009));
  }
});

/** A payload of about 260 KB that inflates to `mebibytes` MiB of zeros. */
function bomb(mebibytes: number): Uint8Array {
  const deflater = new MessageDeflater({ level: 9 });
  const zeros = new Uint8Array(1 << 20);
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let i = 0; i < mebibytes; i++) {
    // Each part ends with the sync flush tail, which is part of the stream.
    const part = deflater.deflate(zeros);
    parts.push(part, bytes(0x00, 0x00, 0xff, 0xff));
    total += part.length + 4;
  }
  deflater.close();
  const out = new Uint8Array(total - 4);
  let offset = 0;
  for (const part of parts) {
    const take = Math.min(part.length, out.length - offset);
    out.set(part.subarray(0, take), offset);
    offset += take;
  }
  return out;
}

Deno.test("a 260 KB message that inflates to 256 MiB is refused at the limit, without allocating it", async () => {
  // RSS is the process's: measured in a process of its own.
  if (
    await isolated(
      import.meta.url,
      "a 260 KB message that inflates to 256 MiB is refused at the limit, without allocating it",
    )
  ) return;
  const payload = bomb(256);
  assert.ok(payload.length < 300_000, `bomb is ${payload.length} bytes`);
  const inflater = new MessageInflater();
  const before = Deno.memoryUsage().rss;
  assert.throws(
    () => inflater.inflate(payload, 1 << 20),
    (error: unknown) =>
      error instanceof WebSocketError && error.closeCode === 1009 &&
      error.message ===
        "Message too big: it inflates to more than 1048576 bytes, the limit is 1048576",
  );
  const grown = Deno.memoryUsage().rss - before;
  assert.ok(grown < 64 * 1024 * 1024, `memory grew by ${grown} bytes`);
  inflater.close();
});

Deno.test("options are checked, and a closed codec refuses work instead of touching freed memory", () => {
  assert.throws(() => new MessageDeflater({ windowBits: 7 }), RangeError);
  assert.throws(() => new MessageDeflater({ windowBits: 16 }), RangeError);
  assert.throws(() => new MessageDeflater({ level: 10 }), RangeError);
  assert.throws(() => new MessageDeflater({ memLevel: 0 }), RangeError);
  assert.throws(() => new MessageInflater({ windowBits: 7.5 }), RangeError);
  const deflater = new MessageDeflater();
  const inflater = new MessageInflater();
  inflater.inflate(deflater.deflate(json(1)), 4096);
  deflater.close();
  inflater.close();
  deflater.close(); // Idempotent.
  assert.throws(() => deflater.deflate(json(1)), TypeError);
  assert.throws(() => inflater.inflate(bytes(0x00), 10), TypeError);
});

Deno.test("MessageInflater reads the next message after one whose final block ends with the tail", () => {
  // A stored block of 64 bytes, then a final stored block that the appended
  // 00 00 ff ff completes: the DEFLATE stream ends exactly there.
  const first = new Uint8Array([
    0x00,
    0x40,
    0x00,
    0xbf,
    0xff,
    ...new Uint8Array(64).fill(0x61),
    0x01,
  ]);
  const second = new Uint8Array([
    0x7a,
    0x39,
    0x6b,
    0x8a,
    0x5f,
    0xe1,
    0xa7,
    0x6d,
    0xeb,
    0xf7,
    0x95,
    0xdc,
    0x6a,
    0x33,
    0xd2,
    0x2b,
    0x04,
    0x00,
  ]);
  const expected = new MessageInflater().inflate(second, 1024);
  assert.equal(expected.length, 15);
  const inflater = new MessageInflater();
  assert.deepEqual(inflater.inflate(first, 1024), new Uint8Array(64).fill(0x61));
  assert.deepEqual(inflater.inflate(second, 1024), expected);
  inflater.close();
});

Deno.test("inflateSlice: the same bytes as inflate, a slice at a time, with context kept across messages", () => {
  const deflater = new MessageDeflater();
  const whole = new MessageInflater();
  const sliced = new MessageInflater();
  for (
    const [i, message] of [json(1, 200), noise(300_000, 7), json(2, 900_000), json(3)].entries()
  ) {
    const payload = deflater.deflate(message);
    const expected = whole.inflate(payload, 1 << 20);
    assert.deepEqual(expected, message);
    let result: Uint8Array | undefined;
    let slices = 0;
    // Bounded: each slice produces up to 100_000 bytes of a message under 1 MiB.
    while ((result = sliced.inflateSlice(payload, 1 << 20, 100_000)) === undefined) {
      slices++;
      assert.ok(slices < 20, `message ${i} took too many slices`);
    }
    assert.deepEqual(result, message);
    // A slice that ends right at the message's end leaves zlib one empty step.
    const full = Math.ceil(message.length / 100_000) - 1;
    assert.ok(slices === full || slices === full + 1, `message ${i}: ${slices} slices`);
  }
  deflater.close();
  whole.close();
  sliced.close();
});

Deno.test("inflateSlice: one message at a time; errors and close abandon it", () => {
  const deflater = new MessageDeflater({ noContextTakeover: true });
  const big = deflater.deflate(new Uint8Array(1 << 20).fill(97));
  const small = deflater.deflate(json(1));
  const inflater = new MessageInflater();
  const limit = (1 << 20) - 1;
  assert.equal(inflater.inflateSlice(big, limit, 1000), undefined);
  assert.throws(() => inflater.inflate(small, 4096), TypeError);
  assert.throws(() => inflater.inflateSlice(small, 4096, 1000), TypeError);
  // Past the limit in a later slice: 1009, and the next message starts afresh.
  assert.throws(() => inflater.inflateSlice(big, limit, 1 << 20), expectCode(1009));
  assert.deepEqual(inflater.inflate(small, 4096), json(1));
  assert.equal(inflater.inflateSlice(big, 1 << 20, 1000), undefined);
  inflater.close();
  assert.throws(() => inflater.inflateSlice(big, 1 << 20, 1000), TypeError);
  deflater.close();
});

Deno.test("inflateSlice without context takeover: an unfinished message keeps its own zlib stream", () => {
  const deflater = new MessageDeflater({ noContextTakeover: true });
  const big = deflater.deflate(new Uint8Array(1 << 20).fill(98));
  const small = deflater.deflate(json(2));
  const first = new MessageInflater({ noContextTakeover: true });
  const second = new MessageInflater({ noContextTakeover: true });
  assert.equal(first.inflateSlice(big, 1 << 20, 5000), undefined);
  // The other codec inflates meanwhile, on the shared stream: both stay right.
  assert.deepEqual(second.inflate(small, 4096), json(2));
  assert.deepEqual(second.inflate(big, 1 << 20), new Uint8Array(1 << 20).fill(98));
  let result: Uint8Array | undefined;
  for (let i = 0; i < 300 && result === undefined; i++) {
    result = first.inflateSlice(big, 1 << 20, 5000);
    if (i % 50 === 0) assert.deepEqual(second.inflate(small, 4096), json(2));
  }
  assert.deepEqual(result, new Uint8Array(1 << 20).fill(98));
  assert.deepEqual(first.inflate(small, 4096), json(2));
  first.close();
  second.close();
  deflater.close();
});
