/**
 * The all-cores recipe (examples/cluster/): two workers of this module's
 * `serve` on one port (`reusePort`, `--unstable-net`), topics shared
 * through a BroadcastChannel. Clients land on both workers, and a message
 * published through one worker reaches members on the other.
 */
import assert from "node:assert/strict";
import { WebSocket } from "../mod.ts";
import { startProcess } from "./_process.ts";
import { deadline } from "./_http_raw.ts";

/** The next message on `socket` (its data), or a rejection when it closes first. */
function nextMessage(socket: WebSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    socket.addEventListener("message", (event) => resolve(String((event as MessageEvent).data)), {
      once: true,
    });
    socket.addEventListener("close", () => reject(new Error("closed")), { once: true });
  });
}

Deno.test("examples/cluster: two workers on one port share topics through a BroadcastChannel", async () => {
  const cluster = await startProcess(Deno.execPath(), [
    "run",
    "--unstable-net",
    "--allow-net=127.0.0.1",
    "--allow-read=.",
    "examples/cluster/main.ts",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--workers",
    "2",
  ], /listening on http:\/\/127\.0\.0\.1:(\d+)\/ with 2 workers/);
  const sockets: WebSocket[] = [];
  try {
    const url = `ws://127.0.0.1:${cluster.match[1]}/topics/news`;
    // Connect until a client sits on each worker (the kernel picks; 40 tries at most).
    const byWorker = new Map<string, WebSocket>();
    for (let i = 0; i < 40 && byWorker.size < 2; i++) {
      const socket = new WebSocket(url);
      sockets.push(socket);
      const greeting = await deadline(nextMessage(socket), 10_000, "the worker's greeting");
      if (!byWorker.has(greeting)) byWorker.set(greeting, socket);
    }
    assert.deepEqual([...byWorker.keys()].sort(), ["worker 0", "worker 1"]);
    const zero = byWorker.get("worker 0")!;
    const one = byWorker.get("worker 1")!;
    const onOne = nextMessage(one);
    const onZero = nextMessage(zero);
    zero.send("from worker 0's member");
    assert.equal(
      await deadline(onOne, 10_000, "delivery across workers"),
      "from worker 0's member",
    );
    assert.equal(
      await deadline(onZero, 10_000, "delivery to the sender's worker"),
      "from worker 0's member",
    );
  } finally {
    for (const socket of sockets) socket.close();
    await cluster.stop();
  }
});
