import assert from "node:assert/strict";
import { Presence, type PresenceUpdate } from "./presence.ts";

function recorder() {
  const updates: { at: number; update: PresenceUpdate }[] = [];
  let wake: (() => void) | undefined;
  return {
    updates,
    send(update: PresenceUpdate) {
      updates.push({ at: performance.now(), update });
      wake?.();
    },
    /** Resolve once `count` updates came; reject after 5 s. */
    until(count: number): Promise<void> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${updates.length} updates`)), 5_000);
        wake = () => {
          if (updates.length < count) return;
          clearTimeout(timer);
          resolve();
        };
        wake();
      });
    },
  };
}

Deno.test("Presence: the first change goes out at once, later ones wait for the interval", async () => {
  const sent = recorder();
  const presence = new Presence({ send: sent.send, interval: 200 });
  presence.join("ann");
  await sent.until(1);
  presence.join("bob");
  presence.leave("ann");
  presence.join("cy");
  await sent.until(2);
  assert.deepEqual(sent.updates.map((entry) => entry.update), [
    { joined: ["ann"], left: [], others: 0 },
    { joined: ["bob", "cy"], left: ["ann"], others: 0 },
  ]);
  assert.ok(sent.updates[1]!.at - sent.updates[0]!.at >= 199);
  presence.close();
});

Deno.test("Presence: names past maxNames are counted, not kept", async () => {
  const sent = recorder();
  const presence = new Presence({ send: sent.send, maxNames: 3 });
  for (let i = 0; i < 1000; i++) presence.join(`guest-${i}`);
  for (let i = 0; i < 5; i++) presence.leave(`guest-${i}`);
  await sent.until(1);
  assert.deepEqual(sent.updates[0]!.update, {
    joined: ["guest-0", "guest-1", "guest-2"],
    left: ["guest-0", "guest-1", "guest-2"],
    others: 999,
  });
  presence.close();
});

Deno.test("Presence: close() drops what is pending and ignores later changes", async () => {
  const sent = recorder();
  const presence = new Presence({ send: sent.send, interval: 50 });
  presence.join("ann");
  await sent.until(1);
  presence.join("bob"); // waits for the interval
  presence.close();
  presence.join("cy");
  // A second presence that was never closed sends after its interval: by then
  // the closed one would have sent too.
  const control = recorder();
  const other = new Presence({ send: control.send, interval: 50 });
  other.join("x");
  await control.until(1);
  other.join("y");
  await control.until(2);
  assert.equal(sent.updates.length, 1);
  other.close();
});
