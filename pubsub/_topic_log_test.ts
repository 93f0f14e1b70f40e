import assert from "node:assert/strict";
import { _newEpoch, _TopicLog } from "./_topic_log.ts";
import type { TopicMessage } from "./engine.ts";

const dataOf = (result: ReturnType<_TopicLog["since"]>) => {
  assert.ok(result.ok, `expected messages, got ${JSON.stringify(result)}`);
  return result.messages.map((message: TopicMessage) => message.data);
};

Deno.test("_TopicLog: offsets count per topic from 1, one epoch per topic", () => {
  const log = new _TopicLog({});
  assert.deepEqual(log.position("a"), { offset: 0, epoch: "" });
  const a1 = log.append("a", "x");
  const a2 = log.append("a", "y");
  const b1 = log.append("b", "z");
  assert.deepEqual([a1.offset, a2.offset, b1.offset], [1, 2, 1]);
  assert.equal(a1.epoch, a2.epoch);
  assert.notEqual(a1.epoch, b1.epoch);
  assert.deepEqual(log.position("a"), { offset: 2, epoch: a1.epoch });
  assert.deepEqual(a2, { topic: "a", data: "y", offset: 2, epoch: a1.epoch });
});

Deno.test("_TopicLog.since: missed messages in order, nothing when up to date, offset 0 from the start", () => {
  const log = new _TopicLog({ historySize: 10 });
  const epoch = log.append("t", "1").epoch;
  log.append("t", "2");
  log.append("t", "3");
  assert.deepEqual(dataOf(log.since("t", { offset: 1, epoch })), ["2", "3"]);
  assert.deepEqual(dataOf(log.since("t", { offset: 3, epoch })), []);
  assert.deepEqual(dataOf(log.since("t", { offset: 0, epoch: "whatever" })), ["1", "2", "3"]);
  assert.deepEqual(dataOf(log.since("never", { offset: 0, epoch: "" })), []);
});

Deno.test("_TopicLog.since: another epoch, a position ahead, or past the kept history are refused", () => {
  const log = new _TopicLog({ historySize: 3 });
  let epoch = "";
  for (let i = 1; i <= 5; i++) epoch = log.append("t", String(i)).epoch;
  const position = { offset: 5, epoch };
  assert.deepEqual(log.since("t", { offset: 2, epoch: "other" }), {
    ok: false,
    reason: "epoch-changed",
    position,
  });
  assert.deepEqual(log.since("t", { offset: 9, epoch }), {
    ok: false,
    reason: "too-old",
    position,
  });
  // Three kept (3, 4, 5): from offset 2 is told, from offset 1 is too old.
  assert.deepEqual(dataOf(log.since("t", { offset: 2, epoch })), ["3", "4", "5"]);
  assert.deepEqual(log.since("t", { offset: 1, epoch }), {
    ok: false,
    reason: "too-old",
    position,
  });
  assert.equal(log.bytes, 3, "the ring drops the bytes of what it overwrites");
});

Deno.test("_TopicLog: historySize 0 numbers messages and keeps none", () => {
  const log = new _TopicLog({ historySize: 0 });
  const { epoch } = log.append("t", "abc");
  log.append("t", "def");
  assert.equal(log.bytes, 0);
  assert.deepEqual(log.position("t"), { offset: 2, epoch });
  assert.deepEqual(log.since("t", { offset: 1, epoch }), {
    ok: false,
    reason: "too-old",
    position: { offset: 2, epoch },
  });
});

Deno.test("_TopicLog: over historyBytes, the least recently published topics lose their history first", () => {
  const log = new _TopicLog({ historySize: 100, historyBytes: 10 });
  const old = log.append("old", "aaaa").epoch;
  const recent = log.append("recent", "bbbb").epoch;
  assert.equal(log.bytes, 8);
  // 4 more bytes: "old" (published least recently) goes, "recent" stays.
  const now = log.append("now", new Uint8Array(4)).epoch;
  assert.equal(log.bytes, 8);
  assert.equal(log.since("old", { offset: 0, epoch: old }).ok, false);
  assert.deepEqual(dataOf(log.since("recent", { offset: 0, epoch: recent })), ["bbbb"]);
  assert.deepEqual(log.position("old"), { offset: 1, epoch: old }, "the position is kept");
  // 6 more bytes: "recent" goes next; "now" keeps both of its messages.
  log.append("now", "cccccc");
  assert.equal(log.bytes, 10);
  assert.equal(log.since("recent", { offset: 0, epoch: recent }).ok, false);
  assert.equal(dataOf(log.since("now", { offset: 0, epoch: now })).length, 2);
  // One topic alone over the bound drops its own oldest messages.
  log.append("now", "dddddd");
  assert.equal(log.bytes, 6);
  assert.deepEqual(dataOf(log.since("now", { offset: 2, epoch: now })), ["dddddd"]);
  assert.equal(log.since("now", { offset: 1, epoch: now }).ok, false);
});

Deno.test("_TopicLog: past maxTopics the least recently published topic is forgotten: a new epoch", () => {
  const log = new _TopicLog({ maxTopics: 2 });
  const a = log.append("a", "1").epoch;
  log.append("b", "1");
  log.append("a", "2"); // "b" is now the least recently published
  log.append("c", "1");
  assert.deepEqual(log.position("b"), { offset: 0, epoch: "" });
  assert.deepEqual(log.position("a"), { offset: 2, epoch: a });
  assert.equal(log.bytes, 3, "the forgotten topic's bytes are released");
  const b = log.append("b", "again");
  assert.equal(b.offset, 1);
  assert.equal(log.since("b", { offset: 1, epoch: "the old one" }).ok, false);
});

Deno.test("_newEpoch: base-36 strings of 48 random bits, distinct", () => {
  const epochs = new Set(Array.from({ length: 1000 }, _newEpoch));
  assert.equal(epochs.size, 1000);
  for (const epoch of epochs) {
    assert.match(epoch, /^[0-9a-z]{1,10}$/);
    assert.ok(parseInt(epoch, 36) < 2 ** 48);
  }
});
