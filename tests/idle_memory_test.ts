/**
 * What an idle server connection keeps on the JS heap and in array buffers
 * (its read buffer), measured in a server
 * process of its own after a full garbage collection. Thousands of idle
 * connections are the common case for a WebSocket server, and the heap they
 * keep is paid about twice in RSS (V8 lets the old generation grow to about
 * twice what is live before it collects).
 */
import assert from "node:assert/strict";
import { spawnDeno } from "./_process.ts";
import { openRaw } from "./_raw_client.ts";

const WARM = 100;
const COUNT = 1000;
/**
 * Live heap and array-buffer memory per idle connection, in bytes. Measured
 * at 5.33 KB (Deno 2.9.6; the same on every run), 5.72 KB while the read
 * buffer started at 512 bytes rather than 128. The JS heap alone was 6.2 KB
 * while reading was an async loop over an async read (two suspended
 * functions per connection), the socket's handler three closures and the
 * server tracked each connection through its `closed` promise.
 */
const MAX_BYTES_PER_CONNECTION = 5500;

Deno.test("an idle server connection keeps under 5.5 KB of JS heap and buffers", async () => {
  const { process: child, nextLine, send, close } = spawnDeno([
    "run",
    "--v8-flags=--expose-gc",
    "--allow-net=127.0.0.1",
    "tests/_idle_memory_server.ts",
  ], { stdin: true });
  const heapUsed = async (): Promise<number> => {
    await send("heap");
    const usage = JSON.parse(await nextLine()) as { heapUsed: number; external: number };
    return usage.heapUsed + usage.external;
  };
  const conns: Deno.Conn[] = [];
  try {
    const port = Number(new URL(await nextLine()).port);
    // Warm up: code compiled and caches filled are not per connection.
    for (let i = 0; i < WARM; i++) conns.push(await openRaw(port));
    const before = await heapUsed();
    // Ten at a time, as clients arrive, rather than all at once.
    for (let i = 0; i < COUNT; i += 10) {
      conns.push(...await Promise.all(Array.from({ length: 10 }, () => openRaw(port))));
    }
    // Idle means settled: under a loaded machine the last handshakes may
    // still be finishing server-side (their 101 written, reading not yet
    // started), so read the heap until two readings agree within 1%.
    let after = await heapUsed();
    for (let tries = 0; tries < 10; tries++) {
      const again = await heapUsed();
      const settled = Math.abs(again - after) < (after - before) / 100;
      after = again;
      if (settled) break;
    }
    const perConnection = (after - before) / COUNT;
    // The connections are real: the last one echoes a masked frame.
    const last = conns.at(-1)!;
    await last.write(Uint8Array.from([0x82, 0x82, 1, 2, 3, 4, 0x2a ^ 1, 0x2b ^ 2]));
    const reply = new Uint8Array(16);
    const n = await last.read(reply);
    assert.deepEqual([...reply.subarray(0, n ?? 0)], [0x82, 0x02, 0x2a, 0x2b]);
    assert.ok(perConnection > 1000, `${perConnection.toFixed(0)} B: too little to be real`);
    assert.ok(
      perConnection < MAX_BYTES_PER_CONNECTION,
      `${perConnection.toFixed(0)} B of JS heap per idle connection`,
    );
  } finally {
    for (const conn of conns) conn.close();
    await close();
    try {
      child.kill();
    } catch {
      // Already gone.
    }
    await child.status;
  }
});
