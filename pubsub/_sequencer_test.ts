import assert from "node:assert/strict";
import type { HistoryResult, StreamPosition, TopicMessage } from "./engine.ts";
import { _Sequencer } from "./_sequencer.ts";

const m = (offset: number, epoch = "e1"): TopicMessage => ({
  topic: "t",
  data: `m${offset}`,
  offset,
  epoch,
});

/** A sequencer over a fake history, recording what it delivers and asks. */
function setup(
  history: (since: StreamPosition) => HistoryResult,
  options = { gapTimeout: 20, maxHeld: 100 },
) {
  const delivered: string[] = [];
  const asked: StreamPosition[] = [];
  const sequencer = new _Sequencer(
    options,
    (message) => delivered.push(`${message.epoch}/${message.offset}`),
    (_topic, since) => {
      asked.push(since);
      return Promise.resolve(history(since));
    },
  );
  sequencer.follow("t");
  return {
    sequencer,
    delivered,
    asked,
    /** Resolves once history was asked `count` times and the answers were handled (1 s at most). */
    async answered(count: number): Promise<void> {
      for (let i = 0; i < 100 && asked.length < count; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.equal(asked.length, count, "history was not asked");
      await new Promise((resolve) => setTimeout(resolve, 0));
    },
  };
}

const noHistory = (): HistoryResult => {
  throw new Error("history was not expected");
};

Deno.test("_Sequencer: in order, out of order within the gap timeout, duplicates: each once, in order", async () => {
  const { sequencer, delivered, asked } = setup(noHistory);
  sequencer.start("t", { offset: 0, epoch: "e1" });
  for (const offset of [1, 3, 2, 2, 1, 4, 6, 5, 6]) sequencer.accept(m(offset));
  assert.deepEqual(delivered, ["e1/1", "e1/2", "e1/3", "e1/4", "e1/5", "e1/6"]);
  await new Promise((resolve) => setTimeout(resolve, 40)); // past gapTimeout
  assert.deepEqual(asked, []);
  sequencer.close();
});

Deno.test("_Sequencer: what arrives before the start position is known is held, and what came after subscribing is kept", () => {
  const { sequencer, delivered, asked } = setup(noHistory);
  sequencer.accept(m(5));
  sequencer.accept(m(6));
  assert.deepEqual(delivered, []);
  // The position was read after 5 and 6 were published (they came after the subscription).
  sequencer.start("t", { offset: 6, epoch: "e1" });
  sequencer.accept(m(7));
  assert.deepEqual(delivered, ["e1/5", "e1/6", "e1/7"]);
  assert.deepEqual(asked, []);
  sequencer.close();
});

Deno.test("_Sequencer: a gap that lasts past gapTimeout is filled from history", async () => {
  const { sequencer, delivered, asked, answered } = setup((since) => ({
    ok: true,
    messages: [m(2), m(3)].filter((x) => x.offset > since.offset),
    position: { offset: 4, epoch: "e1" },
  }));
  sequencer.start("t", { offset: 0, epoch: "e1" });
  sequencer.accept(m(1));
  sequencer.accept(m(4));
  assert.deepEqual(delivered, ["e1/1"]);
  await answered(1);
  assert.deepEqual(asked, [{ offset: 1, epoch: "e1" }]);
  assert.deepEqual(delivered, ["e1/1", "e1/2", "e1/3", "e1/4"]);
  // Late copies of what history gave are dropped.
  sequencer.accept(m(3));
  assert.equal(delivered.length, 4);
  sequencer.close();
});

Deno.test("_Sequencer: after a reconnection, a new epoch is read from its start", async () => {
  const { sequencer, delivered, asked, answered } = setup((since) =>
    since.epoch === "e1"
      ? { ok: false, reason: "epoch-changed", position: { offset: 2, epoch: "e2" } }
      : { ok: true, messages: [m(1, "e2"), m(2, "e2")], position: { offset: 2, epoch: "e2" } }
  );
  sequencer.start("t", { offset: 0, epoch: "e1" });
  sequencer.accept(m(1));
  sequencer.fill("t"); // what the engine does when the subscription is confirmed again
  await answered(2);
  assert.deepEqual(asked, [{ offset: 1, epoch: "e1" }, { offset: 0, epoch: "e2" }]);
  sequencer.accept(m(2, "e1")); // a straggler of the old epoch
  sequencer.accept(m(3, "e2"));
  assert.deepEqual(delivered, ["e1/1", "e2/1", "e2/2", "e2/3"]);
  assert.equal(sequencer.lost, 0);
  sequencer.close();
});

Deno.test("_Sequencer: a message of another epoch makes it ask history, too", async () => {
  const { sequencer, delivered, answered } = setup((since) =>
    since.epoch === "e1"
      ? { ok: false, reason: "epoch-changed", position: { offset: 1, epoch: "e2" } }
      : { ok: true, messages: [m(1, "e2")], position: { offset: 1, epoch: "e2" } }
  );
  sequencer.start("t", { offset: 3, epoch: "e1" });
  sequencer.accept(m(1, "e2"));
  await answered(2);
  assert.deepEqual(delivered, ["e2/1"]);
  sequencer.close();
});

Deno.test("_Sequencer: trimmed history and too many held messages: the gap is given up and counted", async () => {
  const { sequencer, delivered, answered } = setup(
    () => ({ ok: false, reason: "too-old", position: { offset: 10, epoch: "e1" } }),
    { gapTimeout: 10, maxHeld: 3 },
  );
  sequencer.start("t", { offset: 0, epoch: "e1" });
  sequencer.accept(m(1));
  sequencer.accept(m(5));
  await answered(1);
  assert.deepEqual(delivered, ["e1/1", "e1/5"]);
  assert.equal(sequencer.lost, 3);
  // More than maxHeld behind a missing one: given up at once, no waiting.
  for (const offset of [7, 8, 9, 10]) sequencer.accept(m(offset));
  assert.deepEqual(delivered.slice(2), ["e1/7", "e1/8", "e1/9", "e1/10"]);
  assert.equal(sequencer.lost, 4);
  sequencer.close();
});

Deno.test("_Sequencer: a topic without history takes the first epoch it sees", () => {
  const { sequencer, delivered, asked } = setup(noHistory);
  sequencer.start("t", { offset: 0, epoch: "" });
  sequencer.accept(m(1, "new"));
  sequencer.accept(m(2, "new"));
  assert.deepEqual(delivered, ["new/1", "new/2"]);
  assert.deepEqual(asked, []);
  sequencer.close();
});
