/**
 * The echo benchmark's outside load generator (`bench/echo_load_outside.mjs`,
 * run by `node` as `bench/e2e.ts` runs it) must be a correct client that
 * checks what it gets, or its table measures nothing: its hand-masked frames
 * must reach a real server intact in every length encoding, it must count
 * exactly the round trips it made, and it must stop with an error on an echo
 * with a changed byte, a stale echo, or an upgrade with the wrong accept key.
 * It must also take what a server may legally send: fragmented replies, and
 * pings in between (answered with pongs). Counted runs (`--count`), not timed.
 */
import assert from "node:assert/strict";
import { serve, upgradeWebSocket } from "../mod.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const CONNECTIONS = 3;
const INFLIGHT = 4;
const COUNT = 20;

interface Run {
  code: number;
  stderr: string;
  result: { client: string; messages: number; errors: number; size: number } | null;
}

async function generate(port: number, size: number, count = COUNT): Promise<Run> {
  const { code, stdout, stderr } = await new Deno.Command("node", {
    args: [
      "bench/echo_load_outside.mjs",
      "--url",
      `ws://127.0.0.1:${port}/`,
      "--connections",
      String(CONNECTIONS),
      "--inflight",
      String(INFLIGHT),
      "--size",
      String(size),
      "--count",
      String(count),
      "--timeout",
      "20000",
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(stdout).trim();
  return {
    code,
    stderr: new TextDecoder().decode(stderr),
    result: out.startsWith("{") ? JSON.parse(out) : null,
  };
}

/** The generator's payload: its pattern, the first 4 bytes the sequence number (little-endian). */
function expected(size: number, seq: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 131 + 17) & 0xff;
  for (let b = 0; b < Math.min(4, size); b++) bytes[b] = (seq >>> (8 * b)) & 0xff;
  return bytes;
}

/**
 * This module's server, echoing through `reply` (which may change the bytes),
 * and counting the messages that arrived exactly as the generator built them.
 */
function ourServer(reply: (bytes: Uint8Array, seq: number) => Uint8Array) {
  let resolvePort!: (port: number) => void;
  const port = new Promise<number>((resolve) => resolvePort = resolve);
  const stats = { received: 0, intact: 0 };
  const server = serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: (addr) => resolvePort(addr.port),
  }, (request) => {
    const { response, socket } = upgradeWebSocket(request);
    socket.binaryType = "arraybuffer";
    let seq = 0;
    socket.onmessage = (event) => {
      const bytes = new Uint8Array(event.data as ArrayBuffer);
      stats.received++;
      const want = expected(bytes.length, seq);
      if (bytes.every((b, i) => b === want[i])) stats.intact++;
      socket.send(reply(bytes, seq++));
    };
    return response;
  });
  return { server, port, stats };
}

for (const size of [0, 64, 125, 126, 16 * 1024, 65535, 65536, 1024 * 1024]) {
  Deno.test(`outside generator: ${size} B messages round-trip through our server, each one checked`, async () => {
    const { server, port, stats } = ourServer((bytes) => bytes);
    const run = await generate(await port, size);
    await server.shutdown();
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.result?.client, "outside");
    assert.equal(run.result?.size, size);
    assert.equal(run.result?.messages, CONNECTIONS * COUNT);
    assert.equal(run.result?.errors, 0);
    // The server unmasked exactly what the generator meant to send, no more.
    assert.equal(stats.received, CONNECTIONS * COUNT);
    assert.equal(stats.intact, CONNECTIONS * COUNT);
  });
}

for (const size of [64, 16 * 1024, 1024 * 1024]) {
  Deno.test(`outside generator: fails on one changed byte in a ${size} B echo`, async () => {
    const { server, port } = ourServer((bytes, seq) => {
      if (seq !== 7) return bytes;
      const copy = bytes.slice();
      copy[size >> 1]! ^= 0x01;
      return copy;
    });
    const run = await generate(await port, size);
    await server.shutdown();
    assert.equal(run.code, 1);
    assert.equal(run.result, null);
    assert.match(run.stderr, new RegExp(`reply 7: byte ${size >> 1} differs`));
  });
}

Deno.test("outside generator: fails on a stale echo (the previous message again)", async () => {
  let previous: Uint8Array = new Uint8Array(0);
  const { server, port } = ourServer((bytes, seq) => {
    const reply = seq === 5 ? previous : bytes;
    previous = bytes;
    return reply;
  });
  const run = await generate(await port, 64);
  await server.shutdown();
  assert.equal(run.code, 1);
  assert.match(run.stderr, /reply 5: wrong sequence byte 0/);
});

Deno.test("outside generator: fails on an echo of the wrong length", async () => {
  const { server, port } = ourServer((bytes, seq) => seq === 3 ? bytes.subarray(0, 63) : bytes);
  const run = await generate(await port, 64);
  await server.shutdown();
  assert.equal(run.code, 1);
  assert.match(run.stderr, /a reply of 63 bytes, not 64/);
});

// ------------------------------------------------------------- a raw server

const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

async function sha1Base64(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", latin1(text));
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}

/** An unmasked server frame. */
function frame(fin: boolean, opcode: number, payload: Uint8Array): Uint8Array {
  const n = payload.length;
  const head = n < 126 ? [n] : n < 65536 ? [126, n >> 8, n & 0xff] : [
    127,
    0,
    0,
    0,
    0,
    n >>> 24,
    (n >> 16) & 0xff,
    (n >> 8) & 0xff,
    n & 0xff,
  ];
  return new Uint8Array([(fin ? 0x80 : 0) | opcode, ...head, ...payload]);
}

/**
 * A WebSocket server on `Deno.listen`, written here from RFC 6455: it answers
 * the upgrade (with `wrongAccept`, a wrong `Sec-WebSocket-Accept`), then
 * echoes every binary message as two fragments with a ping between them,
 * and records the pongs it gets. A close frame is echoed and ends the
 * connection.
 */
function rawServer(wrongAccept: boolean) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0, transport: "tcp" });
  const stats = { pongs: 0, pongsRight: 0 };
  const handle = async (conn: Deno.TcpConn) => {
    const buffer = new Uint8Array(64 * 1024);
    let pending = new Uint8Array(0);
    const append = (n: number) => {
      const joined = new Uint8Array(pending.length + n);
      joined.set(pending);
      joined.set(buffer.subarray(0, n), pending.length);
      pending = joined;
    };
    const write = async (bytes: Uint8Array) => {
      while (bytes.length > 0) bytes = bytes.subarray(await conn.write(bytes));
    };
    try {
      let head = "";
      while (!head.includes("\r\n\r\n")) {
        const n = await conn.read(buffer);
        if (n === null) return;
        head += String.fromCharCode(...buffer.subarray(0, n));
      }
      const key = head.match(/\r\nsec-websocket-key:\s*(\S+)/i)![1]!;
      const accept = await sha1Base64(
        key + (wrongAccept ? "" : "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"),
      );
      await write(latin1(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
      ));
      let pingNumber = 0;
      let pongNumber = 0;
      for (;;) {
        // Whole client frames from `pending` (always masked).
        for (;;) {
          if (pending.length < 2) break;
          const short = pending[1]! & 0x7f;
          const at = short === 126 ? 4 : short === 127 ? 10 : 2;
          if (pending.length < at + 4) break;
          const length = short === 126
            ? (pending[2]! << 8) | pending[3]!
            : short === 127
            ? new DataView(pending.buffer, pending.byteOffset + 6, 4).getUint32(0)
            : short;
          if (pending.length < at + 4 + length) break;
          const mask = pending.subarray(at, at + 4);
          const payload = pending.slice(at + 4, at + 4 + length);
          for (let i = 0; i < length; i++) payload[i]! ^= mask[i & 3]!;
          const opcode = pending[0]! & 0x0f;
          pending = pending.slice(at + 4 + length);
          if (opcode === 0x8) {
            await write(frame(true, 0x8, payload));
            return;
          }
          if (opcode === 0xa) {
            stats.pongs++;
            // Pongs come back in the order of the pings, each with its ping's payload.
            if (payload.length === 1 && payload[0] === pongNumber++ % 256) stats.pongsRight++;
            continue;
          }
          const half = length >> 1;
          await write(
            new Uint8Array([
              ...frame(false, 0x2, payload.subarray(0, half)),
              ...frame(true, 0x9, new Uint8Array([pingNumber++ % 256])),
              ...frame(true, 0x0, payload.subarray(half)),
            ]),
          );
        }
        const n = await conn.read(buffer);
        if (n === null) return;
        append(n);
      }
    } catch {
      // The client went away.
    } finally {
      conn.close();
    }
  };
  const tasks: Promise<void>[] = [];
  const accepting = (async () => {
    try {
      for await (const conn of listener) tasks.push(handle(conn));
    } catch {
      // Closed.
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    stats,
    async close() {
      listener.close();
      await accepting;
      await Promise.all(tasks);
    },
  };
}

Deno.test("outside generator: takes fragmented echoes with pings between, and answers them", async () => {
  const server = rawServer(false);
  const run = await generate(server.port, 300, 10);
  await server.close();
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.result?.messages, CONNECTIONS * 10);
  // One ping per echo, each answered before the client's close frame.
  assert.equal(server.stats.pongs, CONNECTIONS * 10);
  assert.equal(server.stats.pongsRight, CONNECTIONS * 10);
});

Deno.test("outside generator: fails on a wrong Sec-WebSocket-Accept", async () => {
  const server = rawServer(true);
  const run = await generate(server.port, 64);
  await server.close();
  assert.equal(run.code, 1);
  assert.match(run.stderr, /wrong Sec-WebSocket-Accept/);
});
