import assert from "node:assert/strict";
import * as net from "node:net";
import { _NodeSocketDuplex, _READ_HIGH_WATER_MARK } from "./_node_socket.ts";

/** A loopback `node:net` pair: the accepted socket wrapped in a duplex, and the peer. */
async function pair(): Promise<
  { duplex: _NodeSocketDuplex; socket: net.Socket; peer: net.Socket }
> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  const accepted = new Promise<net.Socket>((resolve) => server.once("connection", resolve));
  const peer = net.connect({ host: "127.0.0.1", port });
  const [socket] = await Promise.all([
    accepted,
    new Promise<void>((resolve) => peer.once("connect", resolve)),
  ]);
  server.close();
  return { duplex: new _NodeSocketDuplex(socket), socket, peer };
}

function pattern(size: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (i * 7) & 0xff);
}

/** Read with `readChunk` until `size` bytes came; the chunks joined. */
async function readBytes(duplex: _NodeSocketDuplex, size: number): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  let filled = 0;
  while (filled < size) {
    const chunk = await duplex.readChunk();
    assert.notEqual(chunk, null, `the stream ended after ${filled} of ${size} bytes`);
    out.set(chunk!, filled);
    filled += chunk!.length;
  }
  return out;
}

Deno.test("node socket duplex: read(buffer) copies what fits, readChunk hands out the rest", async () => {
  const { duplex, peer } = await pair();
  const sent = pattern(3000);
  peer.write(sent);
  const buffer = new Uint8Array(100);
  const n = await duplex.read(buffer);
  assert.equal(n, 100);
  assert.deepEqual(buffer, sent.subarray(0, 100));
  const rest = await readBytes(duplex, 2900);
  assert.deepEqual(rest, sent.subarray(100));
  peer.end();
  assert.equal(await duplex.readChunk(), null);
  assert.equal(await duplex.read(buffer), null);
  duplex.close();
});

Deno.test("node socket duplex: chunks are plain Uint8Arrays, so slice() copies", async () => {
  const { duplex, peer } = await pair();
  peer.write(new Uint8Array([1, 2, 3, 4]));
  const chunk = (await duplex.readChunk())!;
  assert.equal(Object.getPrototypeOf(chunk), Uint8Array.prototype);
  const copy = chunk.subarray(1).slice();
  copy[0] = 99;
  assert.equal(chunk[1], 2);
  duplex.close();
  peer.destroy();
});

Deno.test("node socket duplex: unread bytes past the high-water mark pause the socket", async () => {
  const { duplex, socket, peer } = await pair();
  const size = 4 * _READ_HIGH_WATER_MARK;
  const sent = pattern(size);
  const paused = new Promise((resolve) => socket.once("pause", resolve));
  // Nobody reads: the socket must get paused.
  peer.write(sent);
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    paused,
    new Promise((_, reject) => timer = setTimeout(() => reject(new Error("never paused")), 10_000)),
  ]);
  clearTimeout(timer);
  // Reading drains the queue and resumes the socket; every byte arrives, in order.
  assert.deepEqual(await readBytes(duplex, size), sent);
  assert.equal(socket.isPaused(), false);
  duplex.close();
  peer.destroy();
});

Deno.test("node socket duplex: write resolves with the count once written; reads fail after a reset", async () => {
  const { duplex, peer } = await pair();
  const received: Uint8Array[] = [];
  peer.on("data", (chunk: Uint8Array) => received.push(chunk));
  const bytes = pattern(1000);
  assert.equal(await duplex.write(bytes), 1000);
  const reading = duplex.readChunk();
  peer.resetAndDestroy();
  await assert.rejects(reading);
  await assert.rejects(duplex.write(bytes));
  duplex.close();
});

Deno.test("node socket duplex: a write resolves only once Node no longer holds its bytes", async () => {
  const { duplex, socket, peer } = await pair();
  // The peer does not read at first: the kernel buffers fill and Node keeps
  // what it could not hand over. The writer reuses one buffer, as the
  // connection does; a write resolved while Node still held the buffer
  // would send a later fill in an earlier block.
  peer.pause();
  const block = 64 * 1024;
  const blocks = 128;
  const buffer = new Uint8Array(block);
  let written = 0;
  const writing = (async () => {
    for (let i = 0; i < blocks; i++) {
      buffer.fill(i);
      assert.equal(await duplex.write(buffer), block);
      written++;
    }
  })();
  // Wait (bounded) until Node holds bytes it could not write: the writer is held there.
  for (let i = 0; i < 10_000 && socket.writableLength === 0; i++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.ok(socket.writableLength > 0, "the kernel buffers never filled");
  assert.ok(written < blocks, "every write resolved while the peer read nothing");
  const received = new Uint8Array(block * blocks);
  let filled = 0;
  const done = new Promise<void>((resolve) => {
    peer.on("data", (chunk: Uint8Array) => {
      received.set(chunk, filled);
      filled += chunk.length;
      if (filled === received.length) resolve();
    });
  });
  peer.resume();
  await Promise.all([writing, done]);
  for (let i = 0; i < blocks; i++) {
    const at = received.subarray(i * block, (i + 1) * block);
    assert.ok(at.every((byte) => byte === (i & 0xff)), `block ${i} was overwritten`);
  }
  duplex.close();
  peer.destroy();
});
