import assert from "node:assert/strict";
import type { TopicMessage } from "./engine.ts";
import { MemoryEngine } from "./memory_engine.ts";

Deno.test("MemoryEngine: delivers only subscribed topics, from subscribe until unsubscribe", async () => {
  const engine = new MemoryEngine();
  const got: string[] = [];
  engine.open((message: TopicMessage) => got.push(`${message.topic}:${message.data}`));
  await engine.publish("news", "before");
  assert.deepEqual(await engine.subscribe("news"), {
    offset: 1,
    epoch: (await engine.history("news", { offset: 0, epoch: "" })).position.epoch,
  });
  await engine.publish("news", "during");
  await engine.publish("other", "not subscribed");
  engine.unsubscribe("news");
  await engine.publish("news", "after");
  assert.deepEqual(got, ["news:during"]);
  // Published while not delivered, kept all the same.
  const history = await engine.history("news", { offset: 0, epoch: "" });
  assert.ok(history.ok);
  assert.deepEqual(history.messages.map((message) => message.data), ["before", "during", "after"]);
  await engine.close();
});

Deno.test("MemoryEngine: publish answers the message's position; a new engine starts a new epoch", async () => {
  const first = new MemoryEngine();
  const second = new MemoryEngine();
  const a = await first.publish("t", new Uint8Array([1, 2]));
  const b = await first.publish("t", "x");
  assert.deepEqual([a.offset, b.offset], [1, 2]);
  assert.equal(a.epoch, b.epoch);
  const other = await second.publish("t", "x");
  assert.equal(other.offset, 1);
  assert.notEqual(other.epoch, a.epoch);
  assert.notEqual(first.nodeId, second.nodeId);
  assert.deepEqual(await first.history("t", { offset: 1, epoch: other.epoch }), {
    ok: false,
    reason: "epoch-changed",
    position: b,
  });
});

Deno.test("MemoryEngine: options bound the history (historySize, historyBytes, maxTopics)", async () => {
  const engine = new MemoryEngine({ historySize: 2, historyBytes: 6, maxTopics: 1 });
  const { epoch } = await engine.publish("t", "1");
  await engine.publish("t", "2");
  await engine.publish("t", "3");
  const recent = await engine.history("t", { offset: 1, epoch });
  assert.ok(recent.ok);
  assert.deepEqual(recent.messages.map((message) => message.data), ["2", "3"]);
  assert.equal((await engine.history("t", { offset: 0, epoch })).ok, false, "historySize 2");
  await engine.publish("t", "xxxxxx");
  const newest = await engine.history("t", { offset: 3, epoch });
  assert.ok(newest.ok);
  assert.deepEqual(newest.messages.map((message) => message.data), ["xxxxxx"]);
  const bytes = await engine.history("t", { offset: 2, epoch });
  assert.equal(bytes.ok, false, "historyBytes 6 keeps only the newest of 1 + 6 bytes");
  await engine.publish("u", "x");
  assert.deepEqual(await engine.subscribe("t"), { offset: 0, epoch: "" }, "maxTopics 1");
});

Deno.test("MemoryEngine: close stops delivering", async () => {
  const engine = new MemoryEngine();
  const got: unknown[] = [];
  engine.open((message) => got.push(message.data));
  await engine.subscribe("t");
  await engine.publish("t", "a");
  await engine.close();
  await engine.publish("t", "b");
  assert.deepEqual(got, ["a"]);
});
