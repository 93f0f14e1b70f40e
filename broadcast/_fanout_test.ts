/**
 * The fan-out core against members that only count: no sockets, the slow
 * member's `bufferedAmount` set by hand. Broadcaster tests over real
 * sockets are in broadcaster_test.ts.
 */
import assert from "node:assert/strict";
import { _Fanout } from "./_fanout.ts";
import type { SlowMemberOptions } from "./slow_member.ts";
import type { BroadcastMember } from "./slow_member.ts";

class Member implements BroadcastMember {
  bufferedAmount = 0;
  readyState = 1;
  received: string[] = [];
  closedWith: [number | undefined, string | undefined] | undefined;
  #onClose: (() => void)[] = [];
  send(): void {
    throw new Error("the fan-out sends through its owner");
  }
  close(code?: number, reason?: string): void {
    this.closedWith = [code, reason];
    this.readyState = 2;
  }
  addEventListener(_type: "close", listener: () => void): void {
    this.#onClose.push(listener);
  }
  /** The socket closed: readyState 3 and its close event. */
  closed(): void {
    this.readyState = 3;
    for (const listener of this.#onClose) listener();
  }
}

/** `promise`, or a rejection naming `what` when it has not settled within 2 s (a stall). */
async function settles<T>(promise: Promise<T> | undefined, what: string): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Stalled: ${what}`)), 2000);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** A fan-out of strings; `sent(n)` resolves once n items went out in all (the poll's signal). */
function fanout(options: SlowMemberOptions = {}) {
  const topics: [string, boolean][] = [];
  let count = 0;
  const waiting: { n: number; resolve: () => void }[] = [];
  const core = new _Fanout<string>({ pollInterval: 1, ...options }, {
    send(member, item) {
      if (item === "throw") throw new Error("socket gone");
      (member.socket as Member).received.push(item);
      count++;
      for (const w of waiting.filter((w) => count >= w.n)) w.resolve();
    },
    topicChanged: (topic, present) => topics.push([topic, present]),
  });
  const sent = (n: number) =>
    n <= count ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ n, resolve }));
  return { core, topics, sent };
}

Deno.test("_Fanout: members by topic; first and last member of a topic reported", () => {
  const { core, topics } = fanout();
  const [a, b] = [new Member(), new Member()];
  core.subscribe(a, "x");
  core.subscribe(a, "y");
  core.subscribe(b, "x");
  core.subscribe(b, "x"); // twice is once
  assert.deepEqual([core.size(), core.size("x"), core.size("y"), core.size("z")], [2, 2, 1, 0]);
  assert.deepEqual([...core.topicsOf(a)], ["x", "y"]);
  assert.deepEqual([...core.topicsOf(new Member())], []);
  core.unsubscribe(a, "x");
  core.unsubscribe(b);
  assert.deepEqual([core.size(), core.size("x"), core.size("y")], [1, 0, 1]);
  core.unsubscribe(a, "y");
  assert.equal(core.size(), 0, "a member of no topic is gone");
  assert.deepEqual(topics, [["x", true], ["y", true], ["x", false], ["y", false]]);
  core.close();
});

Deno.test("_Fanout: closed and closing sockets leave; a closed one is never added", () => {
  const { core, topics } = fanout();
  const [open, closing, gone] = [new Member(), new Member(), new Member()];
  gone.readyState = 3;
  core.subscribe(gone, "x");
  assert.equal(core.size(), 0);
  core.subscribe(open, "x");
  core.subscribe(closing, "x");
  closing.readyState = 2;
  assert.equal(core.size("x"), 1, "size() drops closing sockets");
  open.closed(); // the close event
  assert.equal(core.size(), 0);
  assert.deepEqual(topics, [["x", true], ["x", false]]);
  core.close();
});

Deno.test("_Fanout: deliver reaches each open member of the topic once; failed sends remove", () => {
  const { core } = fanout();
  const [a, b, other, connecting] = [new Member(), new Member(), new Member(), new Member()];
  core.subscribe(a, "x");
  core.subscribe(b, "x");
  core.subscribe(other, "y");
  core.subscribe(connecting, "x");
  connecting.readyState = 0;
  assert.equal(core.deliver("x", "1"), undefined);
  assert.equal(core.deliver("nobody", "2"), undefined);
  assert.equal(core.deliverTo(b, "3"), undefined);
  assert.equal(core.deliverTo(new Member(), "4"), undefined);
  assert.deepEqual([a.received, b.received, other.received, connecting.received], [
    ["1"],
    ["1", "3"],
    [],
    [],
  ]);
  assert.equal(core.size("x"), 3, "a connecting member is skipped, not removed");
  core.deliverTo(a, "throw");
  assert.equal(core.size("x"), 2, "a member whose send throws is removed");
  assert.deepEqual(core.stats, { sent: 3, dropped: 0, closed: 0, queued: 0 });
  core.close();
});

Deno.test("_Fanout drop-oldest (the default): a slow member's queue keeps the newest maxQueue", async () => {
  const { core, sent } = fanout({ highWaterMark: 100, maxQueue: 3 });
  assert.equal(core.policy, "drop-oldest");
  const [fast, slow] = [new Member(), new Member()];
  core.subscribe(fast, "x");
  core.subscribe(slow, "x");
  slow.bufferedAmount = 101;
  for (const item of ["1", "2", "3", "4", "5"]) core.deliver("x", item);
  assert.deepEqual(fast.received, ["1", "2", "3", "4", "5"]);
  assert.deepEqual(slow.received, []);
  assert.deepEqual(core.stats, { sent: 5, dropped: 2, closed: 0, queued: 3 });
  slow.bufferedAmount = 100; // at the mark is not slow
  core.deliver("x", "6"); // behind the queue (dropping "3"), not ahead of it
  await settles(sent(9), "the queued items");
  assert.deepEqual(slow.received, ["4", "5", "6"]);
  assert.deepEqual(core.stats, { sent: 9, dropped: 3, closed: 0, queued: 0 });
  core.close();
});

Deno.test("_Fanout close: a slow member is closed with closeCode and removed; the rest get the item", () => {
  const { core } = fanout({ policy: "close", highWaterMark: 10, closeCode: 4000 });
  const [fast, slow] = [new Member(), new Member()];
  core.subscribe(fast, "x");
  core.subscribe(slow, "x");
  slow.bufferedAmount = 11;
  core.deliver("x", "1");
  assert.deepEqual(fast.received, ["1"]);
  assert.deepEqual(slow.closedWith, [4000, "Too slow: the broadcast outpaced this connection"]);
  assert.equal(core.size("x"), 1);
  assert.deepEqual(core.stats, { sent: 1, dropped: 0, closed: 1, queued: 0 });
  core.close();
});

Deno.test("_Fanout wait: publishes wait for the slow member, in order; maxPending more are refused", async () => {
  const { core, sent } = fanout({ policy: "wait", highWaterMark: 10, maxPending: 2 });
  const [fast, slow] = [new Member(), new Member()];
  core.subscribe(fast, "x");
  core.subscribe(slow, "x");
  slow.bufferedAmount = 11;
  const first = core.deliver("x", "1");
  assert.ok(first instanceof Promise);
  assert.equal(core.full, false);
  const second = core.deliver("x", "2");
  assert.equal(core.full, true);
  assert.deepEqual(fast.received, ["1", "2"], "the fast member does not wait");
  // Owners check `full` before delivering; deliver itself refuses at the slow member.
  core.unsubscribe(fast);
  await assert.rejects(core.deliver("x", "3")!, {
    name: "RangeError",
    message: "Cannot publish: 2 publishes already wait for slow members (maxPending)",
  });
  assert.equal(
    core.fullError().message,
    "Cannot publish: 2 publishes already wait for slow members (maxPending)",
  );
  assert.deepEqual(core.stats.queued, 2);
  slow.bufferedAmount = 0;
  await settles(Promise.all([first, second, sent(4)]), "the waiting publishes");
  assert.deepEqual(slow.received, ["1", "2"]);
  assert.equal(core.full, false);
  core.close();
});

Deno.test("_Fanout wait: a slow member that leaves, or close(), lets its waiting publishes go", async () => {
  const { core } = fanout({ policy: "wait", highWaterMark: 10 });
  const [a, b] = [new Member(), new Member()];
  core.subscribe(a, "x");
  core.subscribe(b, "y");
  a.bufferedAmount = b.bufferedAmount = 11;
  const waitsOnA = core.deliver("x", "1");
  const waitsOnB = core.deliver("y", "2");
  a.closed();
  await settles(waitsOnA, "the publish waiting on a member that left");
  core.close();
  await settles(waitsOnB, "the publish waiting when the fan-out closed");
  assert.deepEqual([a.received, b.received], [[], []]);
  assert.deepEqual(core.stats.queued, 0);
});

Deno.test("_Fanout defaults: 1 MiB high-water mark, 256 queued, close code 1013", () => {
  const { core } = fanout({});
  const slow = new Member();
  core.subscribe(slow, "x");
  slow.bufferedAmount = 1024 * 1024;
  core.deliver("x", "not slow yet");
  slow.bufferedAmount++;
  for (let i = 0; i < 300; i++) core.deliver("x", `${i}`);
  assert.deepEqual(core.stats, { sent: 1, dropped: 300 - 256, closed: 0, queued: 256 });
  core.close();
  const closing = fanout({ policy: "close", highWaterMark: 0 });
  const member = new Member();
  closing.core.subscribe(member, "x");
  member.bufferedAmount = 1;
  closing.core.deliver("x", "1");
  assert.equal(member.closedWith?.[0], 1013);
  closing.core.close();
});
