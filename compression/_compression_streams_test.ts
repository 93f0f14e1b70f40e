import assert from "node:assert/strict";
import { constants, inflateRawSync } from "node:zlib";
import { WebSocketError } from "../errors/websocket_error.ts";
import { _deflateAsync, _hasCompressionStreams, _inflateAsync } from "./_compression_streams.ts";
import { _acquireTurn } from "./_turns.ts";

const bytes = (...values: number[]) => new Uint8Array(values);
const text = (data: Uint8Array) => new TextDecoder().decode(data);
const code = (closeCode: number) => (error: unknown) =>
  error instanceof WebSocketError && error.closeCode === closeCode;
/** A receiver of RFC 7692 §7.2.2: append 00 00 ff ff, then inflate. */
const inflate = (payload: Uint8Array) =>
  inflateRawSync(new Uint8Array([...payload, 0, 0, 0xff, 0xff]), {
    finishFlush: constants.Z_SYNC_FLUSH,
  });

Deno.test("_hasCompressionStreams: deflate-raw exists on Deno", () => {
  assert.equal(_hasCompressionStreams(), true);
});

Deno.test("_deflateAsync: each message a DEFLATE stream of its own that a §7.2.2 receiver reads", async () => {
  const varied = new Uint8Array(3000).map((_, i) => (i * i * 131 + 7 * i) % 251);
  for (
    const data of [bytes(), new TextEncoder().encode("Hello"), new Uint8Array(100_000), varied]
  ) {
    const payload = await _deflateAsync(data);
    assert.ok(payload.length > 0, "even an empty message is at least one octet");
    assert.deepEqual(new Uint8Array(inflate(payload)), data, `${data.length} bytes`);
    assert.deepEqual(await _inflateAsync(payload, data.length), data, `${data.length} bytes`);
    // §7.2.1: the sync-flush tail is not sent.
    assert.notDeepEqual([...payload.subarray(-4)], [0, 0, 0xff, 0xff]);
  }
});

Deno.test("_inflateAsync: the payloads of RFC 7692 §7.2.3, each without context", async () => {
  const cases: [name: string, payload: Uint8Array, text: string][] = [
    ["§7.2.3.1", bytes(0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00), "Hello"],
    [
      "§7.2.3.3 stored",
      bytes(0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00),
      "Hello",
    ],
    [
      "§7.2.3.5 two blocks",
      bytes(0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00),
      "Hello",
    ],
    ["§7.2.3.4 BFINAL set", bytes(0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00), "Hello"],
    ["§7.2.3.6 empty", bytes(0x00), ""],
    ["no payload at all", bytes(), ""],
  ];
  for (const [name, payload, expected] of cases) {
    assert.equal(text(await _inflateAsync(payload, 100)), expected, name);
  }
  // A final block with bytes after it is not one message's stream: still a 1007.
  await assert.rejects(
    _inflateAsync(bytes(0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x12, 0x34), 100),
    code(1007),
  );
  // §7.2.3.2's second message refers to the first: without context it is corrupt.
  await assert.rejects(_inflateAsync(bytes(0xf2, 0x00, 0x11, 0x00, 0x00), 100), code(1007));
});

Deno.test("_inflateAsync: maxSize bytes pass, one more is a 1009; corrupt data a 1007", async () => {
  const payload = await _deflateAsync(new Uint8Array(300_000)); // inflated in several reads
  assert.equal((await _inflateAsync(payload, 300_000)).length, 300_000);
  await assert.rejects(
    _inflateAsync(payload, 299_999),
    (error: unknown) =>
      code(1009)(error) &&
      (error as Error).message ===
        "Message too big: it inflates to more than 299999 bytes, the limit is 299999",
  );
  await assert.rejects(
    _inflateAsync(bytes(0xff, 0xff, 0xff), 100),
    (error: unknown) =>
      code(1007)(error) && /^Invalid compressed message: /.test((error as Error).message),
  );
});

Deno.test("_inflateAsync: a long message waits for its turn; a short one does not", async () => {
  const long = await _deflateAsync(new Uint8Array(1 << 20));
  const short = await _deflateAsync(new TextEncoder().encode("short"));
  const held = await _acquireTurn();
  let longDone = false;
  const longInflate = _inflateAsync(long, 1 << 20).then((data) => {
    longDone = true;
    return data;
  });
  try {
    assert.equal(text(await _inflateAsync(short, 100)), "short");
    // 1 MiB of zeros inflates in a few milliseconds; 50 timer turns are far more.
    for (let i = 0; i < 50; i++) await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal(longDone, false, "the long message went on while another held the turn");
  } finally {
    held();
  }
  assert.equal((await longInflate).length, 1 << 20);
  // It released its turn.
  (await _acquireTurn())();
});
