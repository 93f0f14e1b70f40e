import assert from "node:assert/strict";
import type { WebSocket } from "../connection/websocket.ts";
import { rawClient, texts } from "../tests/_raw_client.ts";
import { collector, members, startPubSubServer, within } from "../tests/_pubsub.ts";
import type { StreamPosition } from "./engine.ts";
import { MemoryEngine } from "./memory_engine.ts";
import { PubSub, type PubSubOptions } from "./pubsub.ts";

const SIZE = 1024;
const HIGH_WATER_MARK = 64 * 1024;

async function withServer(
  options: PubSubOptions,
  run: (pubsub: PubSub, port: number, sockets: WebSocket[]) => Promise<void>,
): Promise<void> {
  const pubsub = new PubSub({ highWaterMark: HIGH_WATER_MARK, ...options });
  const sockets: WebSocket[] = [];
  const server = startPubSubServer(pubsub, {}, sockets);
  try {
    await run(pubsub, server.addr.port, sockets);
  } finally {
    await pubsub.close();
    await server.shutdown();
  }
}

function numbered(i: number): string {
  const prefix = `${i} `;
  return prefix + "x".repeat(SIZE - prefix.length);
}

/** A memory engine that records what it is asked to subscribe to upstream. */
class RecordingEngine extends MemoryEngine {
  calls: string[] = [];
  override subscribe(topic: string): Promise<StreamPosition> {
    this.calls.push(`+${topic}`);
    return super.subscribe(topic);
  }
  override unsubscribe(topic: string): void {
    this.calls.push(`-${topic}`);
    super.unsubscribe(topic);
  }
}

Deno.test("PubSub: topic names match exactly, and messages are numbered in order", async () => {
  await withServer({}, async (pubsub, port) => {
    const room = collector(`ws://127.0.0.1:${port}/?topics=room`);
    const sub = collector(`ws://127.0.0.1:${port}/?topics=room/1,Room`);
    await members(pubsub, 1, "room");
    await members(pubsub, 1, "room/1");
    await members(pubsub, 1, "Room");
    const first = await pubsub.publish("room", "to room");
    await pubsub.publish("room/1", "to room/1");
    await pubsub.publish("room/", "to nobody");
    const second = await pubsub.publish("room", "to room again");
    await room.reached(2);
    await sub.reached(1);
    assert.deepEqual(room.got, ["to room", "to room again"]);
    assert.deepEqual(sub.got, ["to room/1"]);
    assert.equal(first.offset, 1);
    assert.equal(second.offset, 2);
    assert.equal(second.epoch, first.epoch);
    room.socket.close();
    sub.socket.close();
  });
});

Deno.test("PubSub: a socket leaves its topics when it closes, and the engine is told when a topic empties", async () => {
  const engine = new RecordingEngine();
  await withServer({ engine }, async (pubsub, port, sockets) => {
    const a = collector(`ws://127.0.0.1:${port}/?topics=x,y`);
    const b = collector(`ws://127.0.0.1:${port}/?topics=y`);
    await members(pubsub, 1, "x");
    await members(pubsub, 2, "y");
    assert.deepEqual(engine.calls.sort(), ["+x", "+y"]);
    a.socket.close();
    await members(pubsub, 0, "x");
    await members(pubsub, 1, "y");
    assert.deepEqual(engine.calls.slice(2), ["-x"]);
    pubsub.unsubscribe(sockets.find((socket) => socket.readyState === 1)!, "y");
    assert.equal(pubsub.size(), 0);
    assert.deepEqual(engine.calls.slice(2), ["-x", "-y"]);
    b.socket.close();
  });
});

Deno.test("PubSub drop-oldest: a member that never reads costs a bounded queue, the others get everything", async () => {
  const messages = 20_000;
  await withServer({ policy: "drop-oldest", maxQueue: 100 }, async (pubsub, port) => {
    const slow = await rawClient(port);
    const fast = collector(`ws://127.0.0.1:${port}/`);
    await members(pubsub, 2);
    let maxQueued = 0;
    for (let i = 0; i < messages; i++) {
      await pubsub.publish("room", numbered(i));
      maxQueued = Math.max(maxQueued, pubsub.stats.queued);
      // The fast member reads: it stays within 32 messages (half the mark).
      if (i % 32 === 31) await fast.reached(i + 1 - 32);
    }
    await fast.reached(messages);
    fast.got.forEach((t, i) => assert.ok(`${t}`.startsWith(`${i} `), `message ${i} out of order`));
    assert.ok(maxQueued <= 100, `queued ${maxQueued} for the slow member, limit 100`);
    const dropped = pubsub.stats.dropped;
    assert.ok(dropped > messages / 2, `only ${dropped} dropped for a member that never read`);
    fast.socket.close();
    await slow.drain(messages - dropped);
    const got = texts(slow.messages).map((t) => Number(t.slice(0, t.indexOf(" "))));
    assert.equal(got.length, messages - dropped);
    for (let i = 1; i < got.length; i++) assert.ok(got[i]! > got[i - 1]!, "out of order");
    assert.equal(got.at(-1), messages - 1, "the newest message was dropped");
    slow.close();
  });
});

Deno.test("PubSub close: a member that never reads is closed with 1013 and removed", async () => {
  await withServer({ policy: "close" }, async (pubsub, port) => {
    const slow = await rawClient(port);
    await members(pubsub, 1);
    let published = 0;
    while (published < 100_000 && pubsub.size("room") === 1) {
      await pubsub.publish("room", numbered(published++));
    }
    assert.equal(pubsub.size("room"), 0, "the slow member was never closed");
    assert.equal(pubsub.stats.closed, 1);
    await slow.drain();
    const last = slow.messages.at(-1);
    assert.deepEqual(last?.type === "close" ? last.code : last, 1013);
    texts(slow.messages).forEach((t, i) => assert.ok(t.startsWith(`${i} `)));
    slow.close();
  });
});

Deno.test("PubSub wait: publish waits for the slowest member, and refuses beyond maxPending", async () => {
  await withServer({ policy: "wait", maxPending: 4 }, async (pubsub, port) => {
    const slow = await rawClient(port);
    await members(pubsub, 1);
    // Fill the member's socket until a publish waits (bounded by the kernel's buffers).
    let waiting: Promise<unknown> | undefined;
    let published = 0;
    while (waiting === undefined && published < 100_000) {
      const publish = pubsub.publish("room", numbered(published++));
      // Not waiting, it resolves within microtasks: before a timer fires.
      const first = await Promise.race([
        publish.then(() => "done"),
        new Promise((resolve) => setTimeout(resolve, 0, "waits")),
      ]);
      if (first === "waits") waiting = publish;
    }
    assert.ok(waiting !== undefined, "publish never waited for the slow member");
    // Three more may wait; the next is refused before it is numbered.
    const more = [1, 2, 3].map(() => pubsub.publish("room", numbered(published++)));
    await assert.rejects(pubsub.publish("room", "refused"), /maxPending/);
    // Now it reads: every publish completes, in order, the refused one never sent.
    const reading = slow.drain(published);
    await within(Promise.all([waiting, ...more]), 10_000, "the waiting publishes");
    await reading;
    const got = texts(slow.messages);
    assert.equal(got.length, published);
    got.forEach((t, i) => assert.ok(t.startsWith(`${i} `), `message ${i} out of order`));
    assert.equal(pubsub.stats.queued, 0);
    slow.close();
  });
});

Deno.test("PubSub: a socket already closed is not added (its close event has passed)", async () => {
  const engine = new RecordingEngine();
  const pubsub = new PubSub({ engine });
  const closed = { bufferedAmount: 0, readyState: 3, send() {}, close() {} };
  assert.equal((await pubsub.subscribe(closed, "t")).status, "closed");
  assert.equal(
    (await pubsub.subscribe(closed, "t", { since: { offset: 0, epoch: "" } })).status,
    "closed",
  );
  assert.equal(pubsub.size(), 0);
  assert.deepEqual(engine.calls, []);
  await pubsub.close();
});

Deno.test("PubSub: a member joining a busy topic is told the last message before it joined", async () => {
  const pubsub = new PubSub();
  const member = () => ({ bufferedAmount: 0, readyState: 1, send() {}, close() {} });
  const first = await pubsub.subscribe(member(), "t");
  assert.deepEqual(first.position, { offset: 0, epoch: "" });
  await pubsub.publish("t", "a");
  const second = await pubsub.publish("t", "b");
  const joined = await pubsub.subscribe(member(), "t");
  assert.deepEqual(joined.position, { offset: 2, epoch: second.epoch });
  await pubsub.close();
});

Deno.test("PubSub: a recovery whose history cannot be read leaves the topic upstream", async () => {
  const engine = new RecordingEngine();
  engine.history = () => Promise.reject(new Error("history unavailable"));
  const pubsub = new PubSub({ engine });
  const socket = { bufferedAmount: 0, readyState: 1, send() {}, close() {} };
  await assert.rejects(
    pubsub.subscribe(socket, "t", { since: { offset: 1, epoch: "e" } }),
    /history unavailable/,
  );
  assert.deepEqual(engine.calls, ["+t", "-t"]);
  await pubsub.close();
});
