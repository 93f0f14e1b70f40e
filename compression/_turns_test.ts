import assert from "node:assert/strict";
import { _acquireTurn, _INLINE, _inTurn, _SLICE, _yieldToEventLoop } from "./_turns.ts";

/** Let every pending promise job run (a timer fires after the microtask queue is empty). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("_acquireTurn: one turn at a time, first come first served", async () => {
  const order: string[] = [];
  const first = await _acquireTurn();
  const waiting = ["a", "b", "c"].map((name) =>
    _acquireTurn().then((release) => {
      order.push(name);
      return release;
    })
  );
  await settle();
  assert.deepEqual(order, [], "nobody gets a turn while one is held");
  first();
  const releaseA = await waiting[0]!;
  await settle();
  assert.deepEqual(order, ["a"]);
  releaseA();
  releaseA(); // a second release is ignored: it must not let c in beside b
  const releaseB = await waiting[1]!;
  await settle();
  assert.deepEqual(order, ["a", "b"]);
  releaseB();
  (await waiting[2]!)();
  assert.deepEqual(order, ["a", "b", "c"]);
  // All released: the next turn is immediate.
  (await _acquireTurn())();
});

Deno.test("_inTurn: runs the work in a turn and releases it, also when the work fails", async () => {
  const held = await _acquireTurn();
  let ran = false;
  const work = _inTurn(() => {
    ran = true;
    return Promise.resolve(42);
  });
  await settle();
  assert.equal(ran, false, "the work waits for the turn");
  held();
  assert.equal(await work, 42);
  await assert.rejects(_inTurn(() => Promise.reject(new Error("boom"))), { message: "boom" });
  let after = false;
  await _inTurn(() => Promise.resolve(after = true));
  assert.equal(after, true, "the failed work released its turn");
});

Deno.test("_yieldToEventLoop: timers due before it run before it resolves", async () => {
  let fired = false;
  setTimeout(() => fired = true, 0);
  await _yieldToEventLoop();
  assert.equal(fired, true);
});

Deno.test("_INLINE is below _SLICE: what a connection inflates inline is less than one slice", () => {
  assert.ok(_INLINE < _SLICE, `${_INLINE} < ${_SLICE}`);
});
