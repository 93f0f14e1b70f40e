import assert from "node:assert/strict";
import { type _ByteChannel, _openChannel } from "./_byte_channel.ts";

/** One read of the callback API, as a promise. */
function readOnce(channel: _ByteChannel): Promise<Uint8Array | null> {
  return channel.read().then((result) => channel.chunkOf(result));
}

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
  const channel = _openChannel(duplex, () => {}, undefined, 256 * 1024);
  const chunks: Uint8Array[] = [];
  for (let chunk = await readOnce(channel); chunk !== null; chunk = await readOnce(channel)) {
    chunks.push(chunk);
  }
  // Starts small for idle connections, grows fourfold on every full read, capped.
  assert.equal(bufferSizes[0], 128);
  assert.equal(bufferSizes[1], 512);
  assert.equal(bufferSizes[6], 256 * 1024);
  assert.equal(Math.max(...bufferSizes), 256 * 1024);
  // A chunk handed out before a resize is never overwritten afterwards.
  let byte = 0;
  for (const chunk of chunks) {
    for (let i = 0; i < chunk.length; i++) assert.equal(chunk[i], byte++ & 0xff);
  }
});

Deno.test("direct channel shrinks its read buffer after a run of small reads", async () => {
  // Grow to 32 KiB with four full reads, then many 10-byte reads.
  const { duplex, bufferSizes } = scriptedDuplex([
    1 << 20,
    1 << 20,
    1 << 20,
    1 << 20,
    ...Array(300).fill(10),
  ]);
  const channel = _openChannel(duplex, () => {}, undefined, 256 * 1024);
  while (await readOnce(channel) !== null);
  assert.equal(bufferSizes[4], 32 * 1024);
  assert.equal(bufferSizes.at(-1), 128);
  // It shrinks only after a run, not on the first small read.
  assert.equal(bufferSizes[5], 32 * 1024);
});

Deno.test("direct channel keeps its read buffer while reads vary in size", async () => {
  // Grow to 256 KiB, then rounds of medium reads (40 KiB, under a quarter of
  // the buffer) each ended by a full read, as a peer writing 16 KiB messages
  // in pieces produces. The buffer must stay put: no shrink and regrow.
  const rounds = Array(4).fill([...Array(40).fill(40 * 1024), 1 << 20]).flat();
  const { duplex, bufferSizes } = scriptedDuplex([...Array(7).fill(1 << 20), ...rounds]);
  const channel = _openChannel(duplex, () => {}, undefined, 256 * 1024);
  while (await readOnce(channel) !== null);
  assert.deepEqual(new Set(bufferSizes.slice(6)), new Set([256 * 1024]));
});

Deno.test("direct channels share batch buffers without overwriting a batch whose write is in flight", async () => {
  // Writes look at their bytes only after a delay, as a socket does: a batch
  // buffer handed to another channel too early would show its bytes here.
  const channels = Array.from({ length: 6 }, (_, index) => {
    const written: number[] = [];
    const duplex = {
      readable: new ReadableStream<Uint8Array>(),
      writable: new WritableStream<Uint8Array>(),
      read: () => Promise.resolve(null),
      async write(bytes: Uint8Array): Promise<number> {
        await new Promise((resolve) => setTimeout(resolve, 1 + (index % 3)));
        // Partial writes too: the rest must follow from the same buffer.
        const n = Math.min(bytes.length, 3000 + index * 100);
        written.push(...bytes.subarray(0, n));
        return n;
      },
    };
    return {
      channel: _openChannel(duplex, () => assert.fail("write error"), undefined, 256 * 1024),
      written,
      index,
    };
  });
  const expected = channels.map(() => [] as number[]);
  for (let round = 0; round < 20; round++) {
    for (const { channel, index } of channels) {
      // Several chunks per task, so that they are joined into a batch buffer.
      for (let piece = 0; piece < 3; piece++) {
        const chunk = new Uint8Array(500 + round * 37 + piece).fill(
          (index * 40 + round + piece) & 0xff,
        );
        expected[index]!.push(...chunk);
        channel.write(chunk);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, round % 2));
  }
  await Promise.all(channels.map(({ channel }) => channel.close(5000)));
  for (const { written, index } of channels) {
    const want = expected[index]!;
    assert.equal(written.length, want.length);
    // The first difference only (a full diff of 100,000 numbers takes minutes).
    const at = written.findIndex((byte, i) => byte !== want[i]);
    assert.equal(at, -1, `channel ${index}: byte ${at} is ${written[at]}, expected ${want[at]}`);
  }
});

/** A channel whose writes complete after a turn, recording each write. */
function recordingChannel() {
  const writes: Uint8Array[] = [];
  const duplex = {
    readable: new ReadableStream<Uint8Array>(),
    writable: new WritableStream<Uint8Array>(),
    read: () => Promise.resolve(null),
    async write(bytes: Uint8Array): Promise<number> {
      writes.push(bytes);
      await new Promise((resolve) => setTimeout(resolve, 0));
      return bytes.length;
    },
  };
  return {
    channel: _openChannel(duplex, () => assert.fail("write error"), undefined, 256 * 1024),
    writes,
  };
}

Deno.test("after small batches fill the pool, bulk batches still reuse pooled buffers", async () => {
  // 70 channels writing small batches at once: more buffers than the pool keeps.
  const small = Array.from({ length: 70 }, recordingChannel);
  for (const { channel } of small) {
    channel.write(new Uint8Array(100));
    channel.write(new Uint8Array(100));
  }
  await Promise.all(small.map(({ channel }) => channel.close(5000)));
  // One channel echoing a full read of 16 KiB messages: 16 frames of 16,388 bytes,
  // joined into one 256 KiB batch, the last 64 bytes written from their frame.
  const bulk = recordingChannel();
  for (let batch = 0; batch < 4; batch++) {
    for (let frame = 0; frame < 16; frame++) bulk.channel.write(new Uint8Array(16_388));
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await bulk.channel.close(5000);
  assert.deepEqual(bulk.writes.map((w) => w.length), Array(4).fill([256 * 1024, 64]).flat());
  // The first batch needed a new buffer; the next ones got it back from the pool.
  const joined = bulk.writes.filter((w) => w.length === 256 * 1024).map((w) => w.buffer);
  assert.equal(new Set(joined).size, 1);
});

Deno.test("a large chunk is written where it lies, after its head tops up the batch before it", async () => {
  const { channel, writes } = recordingChannel();
  const header = new Uint8Array([0x82, 127, 0, 0, 0, 0, 0, 0x10, 0, 0]);
  const payload = new Uint8Array(1024 * 1024).map((_, i) => i & 0xff);
  channel.write(header);
  channel.write(payload);
  channel.write(new Uint8Array([0x88, 0]));
  await channel.close(5000);
  assert.deepEqual(writes.map((w) => w.length), [256 * 1024, 1024 * 1024 - (256 * 1024 - 10), 2]);
  // No copy of the payload's tail: the second write is a view of the payload itself.
  assert.equal(writes[1]!.buffer, payload.buffer);
  const all = new Uint8Array(writes.reduce((n, w) => n + w.length, 0));
  let offset = 0;
  for (const w of writes) {
    all.set(w, offset);
    offset += w.length;
  }
  assert.deepEqual(all.subarray(0, 10), header);
  assert.deepEqual(all.subarray(10, 10 + payload.length), payload);
});

Deno.test("a duplex whose read throws, or answers without a promise, still ends the connection (1006)", async () => {
  const { WebSocketConnection } = await import("./websocket_connection.ts");
  const unhandled: unknown[] = [];
  const onUnhandled = (event: PromiseRejectionEvent) => {
    unhandled.push(event.reason);
    event.preventDefault();
  };
  globalThis.addEventListener("unhandledrejection", onUnhandled);
  try {
    for (const failure of ["throws", "returns null, not a promise"] as const) {
      let reads = 0;
      let closed = false;
      const duplex = {
        readable: new ReadableStream<Uint8Array>(),
        writable: new WritableStream<Uint8Array>(),
        read(buffer: Uint8Array): Promise<number | null> {
          // First a ping frame (so the chain is past its first read), then the failure.
          if (++reads === 1) {
            buffer.set([0x89, 0x00]);
            return Promise.resolve(2);
          }
          if (failure === "throws") throw new Error("read failed synchronously");
          return null as unknown as Promise<number | null>; // the end, not as a promise
        },
        write: (bytes: Uint8Array) => Promise.resolve(bytes.length),
        close: () => void (closed = true),
      };
      const connection = new WebSocketConnection(duplex, {
        onMessage() {},
        onClose() {},
      }, { role: "client", closeTimeout: 100 });
      connection.start();
      const event = await connection.closed;
      assert.equal(event.closeCode, 1006, failure);
      assert.equal(closed, true, failure);
      assert.equal(reads, 2, failure);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(unhandled, []);
  } finally {
    globalThis.removeEventListener("unhandledrejection", onUnhandled);
  }
});

Deno.test("both channels: ready() waits while the high-water mark is queued, until the transport takes it", async () => {
  for (const direct of [true, false]) {
    // A transport that takes nothing until released.
    let release!: () => void;
    const released = new Promise<void>((resolve) => release = resolve);
    const duplex = {
      readable: new ReadableStream<Uint8Array>(),
      writable: new WritableStream<Uint8Array>({ write: () => released }),
      ...(direct
        ? {
          read: () => Promise.resolve(null),
          write: (bytes: Uint8Array) => released.then(() => bytes.length),
        }
        : {}),
    };
    const channel = _openChannel(duplex, () => assert.fail("write error"), undefined, 1000);
    channel.write(new Uint8Array(999));
    await channel.ready(); // under the mark
    channel.write(new Uint8Array(1));
    let ready = false;
    const waiting = channel.ready().then(() => ready = true);
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal(ready, false, direct ? "direct" : "stream");
    assert.equal(channel.bufferedAmount, 1000);
    release();
    await waiting;
    assert.ok(channel.bufferedAmount < 1000);
  }
});

Deno.test("a duplex with readChunk: its chunks as they are, no read buffer, null at the end", async () => {
  const sent = [new Uint8Array([1, 2, 3]), new Uint8Array(100_000).fill(7)];
  let next = 0;
  let reads = 0;
  const duplex = {
    readable: new ReadableStream<Uint8Array>(),
    writable: new WritableStream<Uint8Array>(),
    read(): Promise<number | null> {
      reads++;
      return Promise.resolve(null);
    },
    readChunk: () => Promise.resolve(sent[next++] ?? null),
    write: (bytes: Uint8Array) => Promise.resolve(bytes.length),
  };
  const channel = _openChannel(duplex, () => {}, undefined, 1000);
  // Nothing to read into: the connection asks the protocol for no buffer.
  assert.equal(channel.readsInto, false);
  assert.equal(
    _openChannel({ ...duplex, readChunk: undefined }, () => {}, undefined, 1000).readsInto,
    true,
  );
  assert.equal(
    _openChannel(
      { readable: duplex.readable, writable: duplex.writable },
      () => {},
      undefined,
      1000,
    )
      .readsInto,
    false,
  );
  // The very chunks, not copies; `read(buffer)` is never used.
  assert.equal(await readOnce(channel), sent[0]);
  assert.equal(await readOnce(channel), sent[1]);
  assert.equal(await readOnce(channel), null);
  assert.equal(reads, 0);
});

Deno.test("a connection reads the rest of a large message straight into the message's buffer", async () => {
  const { WebSocketConnection } = await import("./websocket_connection.ts");
  const size = 3 << 20;
  const payload = new Uint8Array(size).map((_, i) => (i * 7) & 0xff);
  const wire = new Uint8Array([0x82, 127, 0, 0, 0, 0, 0, size >>> 16, 0, 0, ...payload]);
  let position = 0;
  const readInto: Uint8Array[] = [];
  let readInPlace = 0;
  const duplex = {
    readable: new ReadableStream<Uint8Array>(),
    writable: new WritableStream<Uint8Array>(),
    read(buffer: Uint8Array): Promise<number | null> {
      if (position === wire.length) return new Promise<null>(() => {}); // then idle
      readInto.push(buffer);
      const n = Math.min(buffer.length, 100_000, wire.length - position);
      buffer.set(wire.subarray(position, position + n));
      position += n;
      if (buffer.byteOffset > 0) readInPlace += n;
      return Promise.resolve(n);
    },
    write: (bytes: Uint8Array) => Promise.resolve(bytes.length),
    close() {},
  };
  const received = Promise.withResolvers<Uint8Array>();
  const connection = new WebSocketConnection(duplex, {
    onMessage(message) {
      if (typeof message !== "string") received.resolve(message);
    },
    onClose() {},
  }, { role: "client", closeTimeout: 100 });
  connection.start();
  const data = await received.promise;
  assert.deepEqual(data, payload);
  // After the first reads (into the whole read buffer), every read went into
  // the message's buffer behind the bytes already there (a view past its
  // start); the last ones into the buffer that was handed out.
  // All but the first read's bytes and the last 64 KiB (too few to be worth it).
  assert.ok(readInPlace >= size - 512 - 65536, `${readInPlace} of ${size} bytes read in place`);
  assert.ok(readInto.filter((b) => b.buffer === data.buffer).length >= 5);
  connection.close(1000, "");
  await connection.closed;
});

Deno.test("closing with bytes unread lingers: FIN first, the peer's bytes dropped, then close", async () => {
  for (const peer of ["closes", "never closes"] as const) {
    const calls: string[] = [];
    const closed = Promise.withResolvers<void>();
    let reads = 0;
    const duplex = {
      readable: new ReadableStream<Uint8Array>(),
      writable: new WritableStream<Uint8Array>(),
      read(buffer: Uint8Array): Promise<number | null> {
        calls.push("read");
        if (peer === "never closes" && reads > 0) return new Promise(() => {});
        return Promise.resolve(++reads <= 3 ? buffer.length : null);
      },
      write: (bytes: Uint8Array) => Promise.resolve(bytes.length),
      closeWrite: () => (calls.push("closeWrite"), Promise.resolve()),
      close() {
        calls.push("close");
        closed.resolve();
      },
    };
    const channel = _openChannel(duplex, () => assert.fail("write error"), undefined, 1024);
    channel.write(new Uint8Array([0x88, 0x02, 0x03, 0xf1]));
    await channel.close(50);
    // The linger runs on after close() returned; it ends in close().
    await closed.promise;
    assert.deepEqual(
      calls,
      peer === "closes"
        ? ["closeWrite", "read", "read", "read", "read", "close"]
        : ["closeWrite", "read", "read", "close"],
      peer,
    );
  }
});

Deno.test("a server lingers after failing the peer, not after a closing handshake", async () => {
  const { WebSocketConnection } = await import("./websocket_connection.ts");
  // A masked close frame (1000), or a frame header announcing more than the limit.
  const closeFrame = [0x88, 0x82, 1, 2, 3, 4, 0x03 ^ 1, 0xe8 ^ 2];
  const tooBig = [0x82, 0xfe, 0x10, 0x00, 1, 2, 3, 4];
  for (
    const [peer, wire, lingers] of [["closes", closeFrame, false], [
      "sends too much",
      tooBig,
      true,
    ]] as const
  ) {
    const calls: string[] = [];
    let sent = false;
    const duplex = {
      readable: new ReadableStream<Uint8Array>(),
      writable: new WritableStream<Uint8Array>(),
      read(buffer: Uint8Array): Promise<number | null> {
        calls.push("read");
        if (sent) return Promise.resolve(null);
        sent = true;
        buffer.set(wire);
        return Promise.resolve(wire.length);
      },
      write: (bytes: Uint8Array) => Promise.resolve(bytes.length),
      closeWrite: () => (calls.push("closeWrite"), Promise.resolve()),
      close: () => void calls.push("close"),
    };
    const connection = new WebSocketConnection(duplex, { onMessage() {}, onClose() {} }, {
      role: "server",
      maxMessageSize: 1000,
      heartbeat: false,
    });
    connection.start();
    const event = await connection.closed;
    assert.equal(event.closeCode, lingers ? 1009 : 1000, peer);
    // The linger (if any) runs on after the close event; it ends in close().
    for (let turn = 0; turn < 20 && calls.at(-1) !== "close"; turn++) await Promise.resolve();
    assert.equal(calls.includes("closeWrite"), lingers, `${peer}: ${calls.join(", ")}`);
    assert.equal(calls.at(-1), "close", peer);
  }
});
