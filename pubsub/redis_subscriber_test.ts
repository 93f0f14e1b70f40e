/** `RedisSubscriber` against a real redis-server on loopback, killed and restarted. */
import assert from "node:assert/strict";
import { startRedis } from "../tests/_redis.ts";
import { within } from "../tests/_pubsub.ts";
import { RedisClient } from "./redis_client.ts";
import { RedisSubscriber } from "./redis_subscriber.ts";

const text = (bytes: unknown) => new TextDecoder().decode(bytes as Uint8Array);

Deno.test("RedisSubscriber: messages, confirmations, and subscriptions renewed after Redis restarts", async () => {
  const redis = await startRedis();
  const got: string[] = [];
  const confirmed: string[] = [];
  let wake: (() => void) | undefined;
  let confirmedWake: (() => void) | undefined;
  const subscriber = new RedisSubscriber({ port: redis.port, maxReconnectDelay: 100 }, {
    onMessage: (channel, payload) => {
      got.push(`${channel}:${text(payload)}`);
      wake?.();
    },
    onSubscribed: (channel) => {
      confirmed.push(channel);
      confirmedWake?.();
    },
  });
  const client = new RedisClient({ port: redis.port, maxReconnectDelay: 100 });
  const nextMessage = () =>
    within(new Promise<void>((resolve) => wake = resolve), 10_000, "message");
  try {
    await within(
      Promise.all([subscriber.subscribe("a"), subscriber.subscribe("b")]),
      10_000,
      "subscribe",
    );
    assert.deepEqual(confirmed.sort(), ["a", "b"]);
    let next = nextMessage();
    assert.equal(await client.command(["PUBLISH", "a", "one"]), 1);
    await next;
    subscriber.unsubscribe("b");
    // Once "c" is confirmed, the UNSUBSCRIBE before it has run too.
    await subscriber.subscribe("c");
    assert.equal(await client.command(["PUBLISH", "b", "not for us"]), 0);
    await redis.kill();
    await redis.restart();
    // Resubscribed by itself: "a" and "c" are confirmed again.
    while (confirmed.length < 5) {
      await within(new Promise<void>((resolve) => confirmedWake = resolve), 10_000, "resubscribed");
    }
    assert.deepEqual(confirmed.slice(3).sort(), ["a", "c"]);
    next = nextMessage();
    await client.command(["PUBLISH", "c", "two"]);
    await next;
    assert.deepEqual(got, ["a:one", "c:two"]);
  } finally {
    await subscriber.close();
    await client.close();
    await redis.kill();
  }
});

Deno.test("RedisSubscriber: subscribe, unsubscribe, subscribe again before Redis answers: one confirmation, the last", async () => {
  const redis = await startRedis();
  const confirmed: string[] = [];
  const got: string[] = [];
  let connected: () => void;
  const open = new Promise<void>((resolve) => connected = resolve);
  const subscriber = new RedisSubscriber({
    port: redis.port,
    onConnectionChange: (up) => up && connected(),
  }, {
    onMessage: (channel, payload) => got.push(`${channel}:${text(payload)}`),
    onSubscribed: (channel) => confirmed.push(channel),
  });
  const client = new RedisClient({ port: redis.port });
  try {
    await within(open, 10_000, "connected");
    const first = subscriber.subscribe("a");
    subscriber.unsubscribe("a");
    await within(first, 10_000, "unsubscribe releases a waiting subscribe");
    await within(subscriber.subscribe("a"), 10_000, "subscribed again");
    // Redis answers in order: once "b" is confirmed, every answer about "a" has come.
    await within(subscriber.subscribe("b"), 10_000, "subscribe b");
    assert.deepEqual(confirmed, ["a", "b"]);
    assert.equal(await client.command(["PUBLISH", "a", "x"]), 1);
    const pending = subscriber.subscribe("never-confirmed-before-close");
    await subscriber.close();
    await within(pending, 10_000, "close releases a waiting subscribe");
  } finally {
    await subscriber.close();
    await client.close();
    await redis.kill();
  }
});
