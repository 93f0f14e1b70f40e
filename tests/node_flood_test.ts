/**
 * On Node and Bun, a peer that floods a connection whose application does
 * not read is held by TCP: once the connection stops reading, the socket
 * duplex (`transports/_node_socket.ts`) queues at most its high-water mark
 * and then pauses the socket, so the peer's writes stop completing and the
 * server's memory stays bounded. The server runs in a process of its own
 * (`tests/_flood_server.ts`); the peer is this test, with frames built by
 * hand.
 */
import assert from "node:assert/strict";
import { RawHttp } from "./_http_raw.ts";
import { openRaw } from "./_raw_client.ts";
import {
  bundleModule,
  NODE_STDIN_MODULE,
  requireTool,
  type Started,
  startProcess,
} from "./_process.ts";

const READY = /listening on (\d+)/;
/** Payload bytes per frame, and frames per write. */
const FRAME = 16 * 1024;
const FRAMES_PER_WRITE = 64;
/** What the peer tries to send: far more than the kernel's buffers hold. */
const FLOOD = 256 * 1024 * 1024;
/** A write that has not completed after this long is held by the server. */
const STALLED_MS = 3000;
/**
 * What the server may hold (received, unread) once the peer is held: the
 * WebSocketStream's 16 queued messages, the chunk being parsed, the duplex's
 * 64 KiB and the runtime's own socket buffer; 4 MiB leaves room for the
 * runtime's own allocations. Without the bound it holds all the peer sent.
 */
const MAX_HELD = 4 * 1024 * 1024;
/**
 * The same in RSS, which also counts what Bun keeps outside `ArrayBuffer`s
 * (its `arrayBuffers` does not count received chunks) and heap growth
 * (measured: 4–10 MiB; 256 MiB without the bound).
 */
const MAX_RSS_GROWTH = 32 * 1024 * 1024;

/** `count` masked binary frames of `FRAME` bytes (a zero mask key: the payload as is). */
function frames(count: number): Uint8Array {
  const header = [0x82, 0x80 | 126, FRAME >> 8, FRAME & 0xff, 0, 0, 0, 0];
  const size = header.length + FRAME;
  const bytes = new Uint8Array(size * count);
  for (let i = 0; i < count; i++) {
    bytes.set(header, i * size);
    bytes.fill(0x61, i * size + header.length, (i + 1) * size);
  }
  return bytes;
}

async function memory(port: number): Promise<{ arrayBuffers: number; rss: number }> {
  const http = await RawHttp.connect(port);
  try {
    await http.send("GET /memory HTTP/1.1\r\nHost: x\r\n\r\n");
    const response = await http.response();
    assert.equal(response.status, 200, response.body);
    return JSON.parse(response.body);
  } finally {
    http.conn.close();
  }
}

/** Open a WebSocket and write frames until a write stalls; returns the bytes written. */
async function flood(port: number): Promise<number> {
  const peer = await openRaw(port);
  const batch = frames(FRAMES_PER_WRITE);
  let sent = 0;
  let stalled = false;
  while (sent < FLOOD && !stalled) {
    let offset = 0;
    while (offset < batch.length) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const held = new Promise<null>((resolve) => timer = setTimeout(resolve, STALLED_MS, null));
      const n = await Promise.race([peer.write(batch.subarray(offset)), held]);
      clearTimeout(timer);
      if (n === null) {
        stalled = true;
        break;
      }
      offset += n;
      sent += n;
    }
  }
  // Closing with a write pending makes it reject: expected.
  peer.close();
  return sent;
}

async function floodTest(start: () => Promise<Started>): Promise<void> {
  const server = await start();
  try {
    const port = Number(server.match[1]);
    const before = await memory(port);
    const sent = await flood(port);
    const after = await memory(port);
    const held = after.arrayBuffers - before.arrayBuffers;
    assert.ok(sent < FLOOD, `the peer was never held: it sent all ${sent} bytes`);
    const grown = after.rss - before.rss;
    const detail = `after the peer sent ${sent} bytes`;
    assert.ok(held < MAX_HELD, `the server holds ${held} bytes of ArrayBuffers ${detail}`);
    assert.ok(grown < MAX_RSS_GROWTH, `the server's RSS grew by ${grown} bytes ${detail}`);
  } finally {
    await server.stop();
  }
}

Deno.test("Node: a peer flooding a connection that is not read is held, memory bounded", async () => {
  const node = await requireTool("node", "install Node.js 20 or later");
  const bundle = await bundleModule("tests/_flood_server.ts");
  await floodTest(() =>
    startProcess(node, ["--expose-gc", ...NODE_STDIN_MODULE], READY, {}, bundle)
  );
});

Deno.test("Bun: a peer flooding a connection that is not read is held, memory bounded", async () => {
  const bun = await requireTool("bun", "npm install -g bun");
  await floodTest(() => startProcess(bun, ["tests/_flood_server.ts"], READY));
});
