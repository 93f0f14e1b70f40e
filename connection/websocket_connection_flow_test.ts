/**
 * Flow control between two connections over in-memory pipes (whose
 * "network" holds one chunk at a time): a server stops reading from a peer
 * while its writes to it wait; a client does not, or a large echo would
 * leave both ends waiting for the other to read.
 */
import assert from "node:assert/strict";
import { WebSocketConnection } from "./websocket_connection.ts";

Deno.test("WebSocketConnection: a client that sends much while its server echoes it reads on (no deadlock)", async () => {
  const up = new TransformStream<Uint8Array, Uint8Array>();
  const down = new TransformStream<Uint8Array, Uint8Array>();
  const options = { writeHighWaterMark: 16 * 1024 };
  const server: WebSocketConnection = new WebSocketConnection(
    { readable: up.readable, writable: down.writable },
    { onMessage: (data) => server.send(data), onClose() {} },
    { role: "server", ...options },
  );
  const count = 64;
  let echoed = 0;
  let allEchoed!: () => void;
  const done = new Promise<void>((resolve) => allEchoed = resolve);
  const client = new WebSocketConnection(
    { readable: down.readable, writable: up.writable },
    {
      onMessage(data) {
        assert.equal((data as Uint8Array).length, 64 * 1024);
        if (++echoed === count) allEchoed();
      },
      onClose() {},
    },
    { role: "client", ...options },
  );
  server.start();
  client.start();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`stalled after ${echoed} echoes`)), 10_000);
  });
  try {
    await Promise.race([
      (async () => {
        for (let i = 0; i < count; i++) {
          client.send(new Uint8Array(64 * 1024).fill(i));
          await client.ready;
        }
        await done;
      })(),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
  assert.equal(echoed, count);
  client.close(1000);
  assert.equal((await server.closed).closeCode, 1000);
  await client.closed;
});
