/**
 * The queued-pong marks on their own: pongs count as waiting until the
 * transport has taken the output up to where they were queued.
 */
import assert from "node:assert/strict";
import { _countPings, _PongLedger } from "./_pong_ledger.ts";

Deno.test("pongs wait until the transport took the bytes up to their mark", () => {
  const ledger = new _PongLedger();
  ledger.add(2, 100, 0); // 2 pongs end at offset 100, nothing taken yet
  ledger.add(3, 250, 0);
  assert.equal(ledger.taken(99), 5);
  assert.equal(ledger.taken(100), 3);
  assert.equal(ledger.taken(249), 3);
  assert.equal(ledger.taken(250), 0);
  // Marks already taken are dropped when new ones come.
  ledger.add(1, 300, 260);
  assert.equal(ledger.taken(260), 1);
});

Deno.test("past 32 marks the newest one takes the new pongs, so they wait longer", () => {
  const ledger = new _PongLedger();
  for (let i = 1; i <= 32; i++) ledger.add(1, i * 10, 0);
  ledger.add(1, 1000, 0); // merged into the mark at 320, which moves to 1000
  assert.equal(ledger.taken(310), 2);
  assert.equal(ledger.taken(320), 2);
  assert.equal(ledger.taken(999), 2);
  assert.equal(ledger.taken(1000), 0);
});

Deno.test("_countPings counts the pings from an index on", () => {
  const pong = { type: "pong", data: new Uint8Array() } as const;
  const ping = { type: "ping", data: new Uint8Array() } as const;
  assert.equal(_countPings([ping, pong, ping, ping], 0), 3);
  assert.equal(_countPings([ping, pong, ping, ping], 1), 2);
  assert.equal(_countPings([], 0), 0);
});
