import assert from "node:assert/strict";
import { _openChannel } from "./_byte_channel.ts";

/** A fake conn whose `read` fills the buffer from a script of read sizes. */
function scriptedDuplex(sizes: number[]) {
  let next = 0;
  let byte = 0;
  const bufferSizes: number[] = [];
  return {
    bufferSizes,
    duplex: {
      readable: new ReadableStream<Uint8Array>(),
      writable: new WritableStream<Uint8Array>(),
      read(buffer: Uint8Array): Promise<number | null> {
        bufferSizes.push(buffer.length);
        const size = sizes[next++];
        if (size === undefined) return Promise.resolve(null);
        const n = Math.min(size, buffer.length);
        for (let i = 0; i < n; i++) buffer[i] = byte++ & 0xff;
        return Promise.resolve(n);
      },
      write: (bytes: Uint8Array) => Promise.resolve(bytes.length),
    },
  };
}

Deno.test("direct channel grows its read buffer under bulk reads and keeps handed-out chunks intact", async () => {
  const { duplex, bufferSizes } = scriptedDuplex(Array(12).fill(1 << 20));
  const channel = _openChannel(duplex, () => {});
  const chunks: Uint8Array[] = [];
  for (let chunk = await channel.read(); chunk !== null; chunk = await channel.read()) {
    chunks.push(chunk);
  }
  // Starts small for idle connections, doubles on every full read, capped.
  assert.equal(bufferSizes[0], 2048);
  assert.equal(bufferSizes[1], 4096);
  assert.equal(Math.max(...bufferSizes), 256 * 1024);
  // A chunk handed out before a resize is never overwritten afterwards.
  let byte = 0;
  for (const chunk of chunks) {
    for (let i = 0; i < chunk.length; i++) assert.equal(chunk[i], byte++ & 0xff);
  }
});

Deno.test("direct channel shrinks its read buffer after a run of small reads", async () => {
  // Grow to 16 KiB with three full reads, then many 10-byte reads.
  const { duplex, bufferSizes } = scriptedDuplex([
    1 << 20,
    1 << 20,
    1 << 20,
    ...Array(200).fill(10),
  ]);
  const channel = _openChannel(duplex, () => {});
  while (await channel.read() !== null);
  assert.equal(bufferSizes[3], 16 * 1024);
  assert.equal(bufferSizes.at(-1), 2048);
  // It shrinks only after a run, not on the first small read.
  assert.equal(bufferSizes[4], 16 * 1024);
});
