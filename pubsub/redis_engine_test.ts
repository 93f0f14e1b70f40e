import assert from "node:assert/strict";
import type { BroadcastMember } from "../broadcast/slow_member.ts";
import { type RedisServer, startRedis } from "../tests/_redis.ts";
import { within } from "../tests/_pubsub.ts";
import type { TopicMessage } from "./engine.ts";
import { PubSub } from "./pubsub.ts";
import { RedisClient } from "./redis_client.ts";
import { RedisEngine, type RedisEngineOptions } from "./redis_engine.ts";

const format = (m: TopicMessage) => JSON.stringify([m.offset, m.epoch, m.data]);

/** A socket that records what it gets, and can wait for the n-th message. */
function member() {
  const got: [number, string, string][] = [];
  let want = Infinity;
  let wake: (() => void) | undefined;
  const socket: BroadcastMember = {
    bufferedAmount: 0,
    readyState: 1,
    send(data) {
      got.push(JSON.parse(data as string));
      if (got.length >= want) wake?.();
    },
    close() {},
  };
  return {
    socket,
    got,
    reached(count: number): Promise<void> {
      if (got.length >= count) return Promise.resolve();
      return within(
        new Promise<void>((resolve) => {
          want = count;
          wake = resolve;
        }),
        15_000,
        `${got.length}/${count} messages`,
      );
    },
  };
}

/** Two nodes on one Redis, each a PubSub over its own RedisEngine. */
async function withNodes(
  options: RedisEngineOptions,
  run: (a: PubSub, b: PubSub, redis: RedisServer, engines: RedisEngine[]) => Promise<void>,
): Promise<void> {
  const redis = await startRedis();
  const engines = [0, 1].map(() =>
    new RedisEngine({ port: redis.port, maxReconnectDelay: 100, ...options })
  );
  const a = new PubSub({ engine: engines[0], format });
  const b = new PubSub({ engine: engines[1], format });
  try {
    await run(a, b, redis, engines);
  } finally {
    await Promise.all([a.close(), b.close()]);
    await redis.kill();
  }
}

Deno.test("RedisEngine: two nodes share a topic; every message once, in the same offset order on both", async () => {
  await withNodes({}, async (a, b) => {
    const onA = member();
    const onB = member();
    await a.subscribe(onA.socket, "room");
    await b.subscribe(onB.socket, "room");
    // Both nodes publish at once: each sees its own from the reply and the
    // other's from the subscription, and puts them back in offset order.
    const published = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).publish("room", `m${i}`)),
    );
    await Promise.all([onA.reached(200), onB.reached(200)]);
    const epoch = published[0]!.epoch;
    for (const got of [onA.got, onB.got]) {
      assert.deepEqual(got.map((m) => m[0]), Array.from({ length: 200 }, (_, i) => i + 1));
      assert.ok(got.every((m) => m[1] === epoch));
    }
    assert.deepEqual(onA.got, onB.got);
    assert.deepEqual(
      published.map((p) => p.offset).sort((x, y) => x - y),
      Array.from({ length: 200 }, (_, i) => i + 1),
    );
  });
});

Deno.test("RedisEngine: a node subscribes to a topic's channel only while it has members for it", async () => {
  await withNodes({ prefix: "p" }, async (a, b, redis) => {
    const client = new RedisClient({ port: redis.port });
    const subscribers = async () =>
      (await client.command(["PUBSUB", "NUMSUB", "p:room", "p:other"]) as unknown[])
        .filter((x) => typeof x === "number");
    try {
      assert.deepEqual(await subscribers(), [0, 0]);
      const onA = member();
      await a.subscribe(onA.socket, "room");
      assert.deepEqual(await subscribers(), [1, 0]);
      await b.publish("other", "nobody listens");
      await b.publish("room", "to A");
      await onA.reached(1);
      assert.deepEqual(onA.got.map((m) => m[2]), ["to A"]);
      a.unsubscribe(onA.socket);
      // The UNSUBSCRIBE is on its way; a PING on the same connection would
      // not tell, so poll (bounded).
      for (let i = 0; i < 100 && (await subscribers())[0] !== 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.deepEqual(await subscribers(), [0, 0]);
    } finally {
      await client.close();
    }
  });
});

Deno.test("RedisEngine: recovery from the Stream: missed messages, too old, and a new epoch after Redis lost its data", async () => {
  await withNodes({ historySize: 5 }, async (a, b, redis) => {
    const first = member();
    await a.subscribe(first.socket, "t");
    for (let i = 1; i <= 3; i++) await b.publish("t", `m${i}`);
    await first.reached(3);
    const [offset, epoch] = first.got[0]!;
    // Back on the other node, from offset 1: m2 and m3 from the Stream.
    const again = member();
    let result = await b.subscribe(again.socket, "t", { since: { offset, epoch } });
    assert.equal(result.status, "recovered");
    assert.deepEqual(again.got.map((m) => m[2]), ["m2", "m3"]);
    // Ten more: the Stream keeps at least 5, and no more than 5 are recovered.
    for (let i = 4; i <= 13; i++) await a.publish("t", `m${i}`);
    result = await b.subscribe(member().socket, "t", { since: { offset: 3, epoch } });
    assert.equal(result.status, "resync");
    assert.equal(result.reason, "too-old");
    assert.deepEqual(result.position, { offset: 13, epoch });
    result = await b.subscribe(member().socket, "t", { since: { offset: 8, epoch } });
    assert.equal(result.status, "recovered");
    assert.equal(result.recovered, 5);
    // Redis restarted without persistence: the history is gone.
    await redis.kill();
    await redis.restart();
    result = await within(
      b.subscribe(member().socket, "t", { since: { offset: 13, epoch } }),
      15_000,
      "subscribe after restart",
    );
    assert.equal(result.status, "resync");
    assert.equal(result.reason, "epoch-changed");
  });
});

Deno.test("RedisEngine: Redis killed and restarted: what was published meanwhile reaches both nodes, in order", async () => {
  const changes: boolean[] = [];
  const onConnectionChange = (connected: boolean) => changes.push(connected);
  await withNodes({ onConnectionChange }, async (a, b, redis, engines) => {
    const onA = member();
    const onB = member();
    await a.subscribe(onA.socket, "room");
    await b.subscribe(onB.socket, "room");
    for (let i = 1; i <= 5; i++) await a.publish("room", `before ${i}`);
    await Promise.all([onA.reached(5), onB.reached(5)]);
    await redis.kill();
    // Once A knows, publishes wait for Redis (a command written just before
    // would be refused: it may or may not have run).
    for (let i = 0; i < 500 && engines[0]!.connected; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(engines[0]!.connected, false);
    // Published while Redis is down: they wait in A's client (bounded by maxPending).
    const waiting = Promise.all(
      Array.from({ length: 5 }, (_, i) => a.publish("room", `during ${i + 1}`)),
    );
    waiting.catch(() => {}); // judged below, once Redis is back
    await redis.restart();
    const positions = await within(waiting, 15_000, "publishes after the restart");
    const epoch = positions[0]!.epoch;
    assert.notEqual(epoch, onA.got[0]![1], "a Redis without its data starts a new epoch");
    for (let i = 1; i <= 3; i++) await b.publish("room", `after ${i}`);
    await Promise.all([onA.reached(13), onB.reached(13)]);
    const expected = [
      ...Array.from({ length: 5 }, (_, i) => `before ${i + 1}`),
      ...Array.from({ length: 5 }, (_, i) => `during ${i + 1}`),
      ...Array.from({ length: 3 }, (_, i) => `after ${i + 1}`),
    ];
    assert.deepEqual(onA.got.map((m) => m[2]), expected);
    assert.deepEqual(onB.got.map((m) => m[2]), expected);
    assert.deepEqual(
      onB.got.slice(5).map((m) => [m[0], m[1]]),
      expected.slice(5).map((_, i) => [i + 1, epoch]),
    );
    // Each engine: up once both connections were, down at the kill, up again.
    for (let i = 0; i < 500 && changes.length < 6; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.deepEqual([changes.filter((c) => c).length, changes.filter((c) => !c).length], [4, 2]);
  });
});

Deno.test("RedisEngine: a subscription dropped while Redis keeps its data is caught up from the Stream", async () => {
  await withNodes({}, async (a, b, redis) => {
    const onB = member();
    await b.subscribe(onB.socket, "room");
    await a.publish("room", "before");
    await onB.reached(1);
    const client = new RedisClient({ port: redis.port });
    try {
      // Redis drops every subscriber connection; A's commands go on meanwhile,
      // and nothing follows them: only reading the Stream brings them to B.
      assert.ok(await client.command(["CLIENT", "KILL", "TYPE", "pubsub"]) as number >= 1);
      for (let i = 1; i <= 5; i++) await a.publish("room", `missed ${i}`);
      await onB.reached(6);
      assert.deepEqual(onB.got.map((m) => m[2]), [
        "before",
        ...Array.from({ length: 5 }, (_, i) => `missed ${i + 1}`),
      ]);
      assert.deepEqual(onB.got.map((m) => m[0]), [1, 2, 3, 4, 5, 6]);
    } finally {
      await client.close();
    }
  });
});

Deno.test("RedisEngine: text (a leading U+FEFF kept) and binary data cross nodes as they were published", async () => {
  const redis = await startRedis();
  const a = new PubSub({ engine: new RedisEngine({ port: redis.port }) });
  const b = new PubSub({ engine: new RedisEngine({ port: redis.port }) });
  const got: (string | Uint8Array)[] = [];
  const done = Promise.withResolvers<void>();
  const socket: BroadcastMember = {
    bufferedAmount: 0,
    readyState: 1,
    send: (data) => void (got.push(data) === 2 && done.resolve()),
    close() {},
  };
  try {
    await b.subscribe(socket, "t");
    await a.publish("t", "\uFEFFhi");
    await a.publish("t", new Uint8Array([0, 0x3a, 0xff]));
    await within(done.promise, 15_000, "two messages");
    assert.deepEqual(got, ["\uFEFFhi", new Uint8Array([0, 0x3a, 0xff])]);
  } finally {
    await Promise.all([a.close(), b.close()]);
    await redis.kill();
  }
});
