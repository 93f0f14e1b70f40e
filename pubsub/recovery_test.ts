import assert from "node:assert/strict";
import type { BroadcastMember } from "../broadcast/slow_member.ts";
import { collector, members, startPubSubServer } from "../tests/_pubsub.ts";
import type { HistoryResult, StreamPosition, TopicMessage } from "./engine.ts";
import { MemoryEngine } from "./memory_engine.ts";
import { PubSub } from "./pubsub.ts";

/** Members receive `[offset, epoch, data]` as JSON: what a client needs to resume. */
const format = (m: TopicMessage) => JSON.stringify([m.offset, m.epoch, m.data]);

/** A socket that records what it is sent, parsed back. */
function socket(): BroadcastMember & { got: [number, string, string][]; readyState: number } {
  const got: [number, string, string][] = [];
  return {
    got,
    bufferedAmount: 0,
    readyState: 1,
    send: (data) => void got.push(JSON.parse(data as string)),
    close() {},
  };
}

/** A memory engine whose `history` reads at once but answers only when `release` is called. */
class SlowHistoryEngine extends MemoryEngine {
  #waiting: (() => void)[] = [];
  #askers: (() => void)[] = [];
  override async history(topic: string, since: StreamPosition): Promise<HistoryResult> {
    // Read now, answered later: what is published meanwhile is not in it.
    const result = super.history(topic, since);
    for (const resolve of this.#askers.splice(0)) resolve();
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
    return result;
  }
  /** Resolves once a `history` call waits. */
  asked(): Promise<void> {
    if (this.#waiting.length > 0) return Promise.resolve();
    return new Promise((resolve) => this.#askers.push(resolve));
  }
  release(): void {
    for (const resolve of this.#waiting.splice(0)) resolve();
  }
}

Deno.test("subscribe since: the missed messages first, then live ones, none twice", async () => {
  const pubsub = new PubSub({ format });
  const first = socket();
  await pubsub.subscribe(first, "t");
  for (const data of ["a", "b", "c"]) await pubsub.publish("t", data);
  const [offset, epoch] = first.got[0]!;
  const again = socket();
  const result = await pubsub.subscribe(again, "t", { since: { offset, epoch } });
  await pubsub.publish("t", "d");
  assert.equal(result.status, "recovered");
  assert.equal(result.recovered, 2);
  assert.deepEqual(result.position, { offset: 3, epoch });
  assert.deepEqual(again.got.map((m) => m[2]), ["b", "c", "d"]);
  assert.deepEqual(again.got.map((m) => m[0]), [2, 3, 4]);
  await pubsub.close();
});

Deno.test("subscribe since: messages published while the history is read wait, and come after it", async () => {
  const engine = new SlowHistoryEngine();
  const pubsub = new PubSub({ format, engine });
  const first = socket();
  await pubsub.subscribe(first, "t");
  await pubsub.publish("t", "a");
  await pubsub.publish("t", "b");
  const again = socket();
  const subscribing = pubsub.subscribe(again, "t", {
    since: { offset: 1, epoch: first.got[0]![1] },
  });
  await engine.asked();
  // Published after the history was asked for: live, but the member is not in yet.
  await pubsub.publish("t", "c");
  await pubsub.publish("t", "d");
  assert.deepEqual(again.got, []);
  engine.release();
  const result = await subscribing;
  assert.equal(result.status, "recovered");
  assert.deepEqual(again.got.map((m) => m[2]), ["b", "c", "d"]);
  assert.equal(result.position.offset, 4);
  await pubsub.close();
});

Deno.test("subscribe since: too old, another epoch, or too many live messages meanwhile: resync", async () => {
  const engine = new SlowHistoryEngine({ historySize: 3 });
  const pubsub = new PubSub({ format, engine, maxQueue: 2 });
  const first = socket();
  await pubsub.subscribe(first, "t");
  for (let i = 1; i <= 6; i++) await pubsub.publish("t", `m${i}`);
  const epoch = first.got[0]![1];

  let resumed = socket();
  let subscribing = pubsub.subscribe(resumed, "t", { since: { offset: 1, epoch } });
  await engine.asked();
  engine.release();
  let result = await subscribing;
  assert.deepEqual(result, {
    status: "resync",
    position: { offset: 6, epoch },
    recovered: 0,
    reason: "too-old",
  });
  await pubsub.publish("t", "m7");
  assert.deepEqual(
    resumed.got.map((m) => m[2]),
    ["m7"],
    "a resyncing member still gets live messages",
  );

  resumed = socket();
  subscribing = pubsub.subscribe(resumed, "t", { since: { offset: 6, epoch: "other" } });
  await engine.asked();
  engine.release();
  result = await subscribing;
  assert.equal(result.status, "resync");
  assert.equal(result.reason, "epoch-changed");

  resumed = socket();
  subscribing = pubsub.subscribe(resumed, "t", { since: { offset: 7, epoch } });
  await engine.asked();
  for (let i = 8; i <= 10; i++) await pubsub.publish("t", `m${i}`); // one more than maxQueue
  engine.release();
  result = await subscribing;
  assert.deepEqual(result, {
    status: "resync",
    position: { offset: 10, epoch },
    recovered: 0,
    reason: "overflow",
  });
  await pubsub.publish("t", "m11");
  assert.deepEqual(resumed.got.map((m) => m[2]), ["m11"]);
  await pubsub.close();
});

Deno.test("subscribe since offset 0 on a topic without history gets the first epoch's messages", async () => {
  const engine = new SlowHistoryEngine();
  const pubsub = new PubSub({ format, engine });
  const member = socket();
  const subscribing = pubsub.subscribe(member, "new", { since: { offset: 0, epoch: "" } });
  await engine.asked();
  await pubsub.publish("new", "first");
  engine.release();
  const result = await subscribing;
  assert.equal(result.status, "recovered");
  assert.deepEqual(member.got.map((m) => m[2]), ["first"]);
  assert.equal(result.position.offset, 1);
  await pubsub.close();
});

Deno.test("a member that closes while catching up does not join, and the topic is left upstream", async () => {
  const calls: string[] = [];
  class Recording extends SlowHistoryEngine {
    override unsubscribe(topic: string): void {
      calls.push(`-${topic}`);
      super.unsubscribe(topic);
    }
  }
  const engine = new Recording();
  const pubsub = new PubSub({ format, engine });
  const member = socket();
  const subscribing = pubsub.subscribe(member, "t", { since: { offset: 0, epoch: "" } });
  await engine.asked();
  member.readyState = 3;
  engine.release();
  assert.equal((await subscribing).status, "closed");
  assert.equal(pubsub.size("t"), 0);
  assert.deepEqual(calls, ["-t"]);
  await pubsub.close();
});

Deno.test("a client reconnecting with since gets what it missed over real sockets", async () => {
  const pubsub = new PubSub({ format });
  const server = startPubSubServer(pubsub, {}, [], (ws) => {
    // The client says where it was in its first message, then is subscribed.
    ws.onmessage = async (event) => {
      const since = JSON.parse(event.data as string) as StreamPosition | null;
      const result = await pubsub.subscribe(ws, "live", since === null ? {} : { since });
      ws.send(JSON.stringify(result));
    };
  });
  try {
    const url = `ws://127.0.0.1:${server.addr.port}/?topics=none`;
    const first = collector(url);
    first.socket.onopen = () => first.socket.send("null");
    await first.reached(1);
    assert.equal(JSON.parse(first.got[0] as string).status, "subscribed");
    await pubsub.publish("live", "one");
    await first.reached(2);
    const [offset, epoch] = JSON.parse(first.got[1] as string);
    first.socket.close();
    await members(pubsub, 0, "live");
    await pubsub.publish("live", "two");
    await pubsub.publish("live", "three");
    const second = collector(url);
    second.socket.onopen = () => second.socket.send(JSON.stringify({ offset, epoch }));
    await second.reached(3);
    assert.deepEqual(second.got.slice(0, 2).map((m) => JSON.parse(m as string)[2]), [
      "two",
      "three",
    ]);
    assert.equal(JSON.parse(second.got[2] as string).status, "recovered");
    second.socket.close();
  } finally {
    await pubsub.close();
    await server.shutdown();
  }
});

Deno.test("a member catching up keeps the topic subscribed upstream when the others leave", async () => {
  const engine = new SlowHistoryEngine();
  const pubsub = new PubSub({ format, engine });
  const other = socket();
  await pubsub.subscribe(other, "t");
  await pubsub.publish("t", "a");
  const member = socket();
  const [offset, epoch] = other.got[0]!;
  const subscribing = pubsub.subscribe(member, "t", { since: { offset, epoch } });
  await engine.asked();
  pubsub.unsubscribe(other);
  await pubsub.publish("t", "b");
  engine.release();
  const result = await subscribing;
  assert.equal(result.status, "recovered");
  assert.deepEqual(member.got.map((m) => m[2]), ["b"]);
  await pubsub.close();
});
