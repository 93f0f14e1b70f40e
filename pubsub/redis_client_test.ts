import assert from "node:assert/strict";
import { startRedis } from "../tests/_redis.ts";
import { within } from "../tests/_pubsub.ts";
import { RedisClient } from "./redis_client.ts";
import { RedisError } from "./resp.ts";

const text = (bytes: unknown) => new TextDecoder().decode(bytes as Uint8Array);

Deno.test("RedisClient: commands, binary values, error replies, and 1,000 pipelined in order", async () => {
  const redis = await startRedis();
  const client = new RedisClient({ port: redis.port });
  try {
    assert.equal(await client.command(["SET", "k", "v\u00e9"]), "OK");
    assert.equal(text(await client.command(["GET", "k"])), "v\u00e9");
    const binary = new Uint8Array([0, 13, 10, 255]);
    await client.command(["SET", "b", binary]);
    assert.deepEqual(await client.command(["GET", "b"]), binary);
    assert.equal(await client.command(["GET", "missing"]), null);
    await assert.rejects(client.command(["NOSUCHCOMMAND"]), RedisError);
    const replies = await Promise.all(
      Array.from({ length: 1000 }, () => client.command(["INCR", "n"])),
    );
    assert.deepEqual(replies, Array.from({ length: 1000 }, (_, i) => i + 1));
  } finally {
    await client.close();
    await redis.kill();
  }
});

Deno.test("RedisClient: commands wait for Redis (bounded), and it reconnects after Redis restarts", async () => {
  const redis = await startRedis();
  await redis.kill();
  const changes: boolean[] = [];
  const client = new RedisClient({
    port: redis.port,
    maxPending: 3,
    maxReconnectDelay: 100,
    onConnectionChange: (connected) => changes.push(connected),
  });
  try {
    // Redis is down: commands queue, up to maxPending.
    const queued = [1, 2, 3].map(() => client.command(["INCR", "n"]));
    await assert.rejects(client.command(["INCR", "n"]), /maxPending/);
    await redis.restart();
    assert.deepEqual(await within(Promise.all(queued), 10_000, "queued commands"), [1, 2, 3]);
    // Killed and restarted: the client reconnects by itself (with nothing kept by Redis).
    await redis.kill();
    await redis.restart();
    assert.equal(await within(client.command(["INCR", "n"]), 10_000, "after restart"), 1);
    assert.equal(client.connected, true);
    // Failed attempts while Redis was down are not changes.
    assert.deepEqual(changes, [true, false, true]);
  } finally {
    await client.close();
    await redis.kill();
  }
});

Deno.test("RedisClient: a command written before the connection broke is rejected", async () => {
  const redis = await startRedis();
  const client = new RedisClient({ port: redis.port });
  try {
    await client.command(["PING"]);
    // BLPOP waits for a list that never fills: the reply cannot come before the kill.
    const rejected = assert.rejects(
      client.command(["BLPOP", "never", "0"]),
      /Redis connection lost/,
    );
    await redis.kill();
    await rejected;
  } finally {
    await client.close();
  }
});
