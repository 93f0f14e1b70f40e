/**
 * The heartbeat's shared clock, driven by hand: the timers are stubbed so
 * that intervals of 15 s pass in a few milliseconds.
 */
import assert from "node:assert/strict";
import { FrameCollector } from "../frames/frame_collector.ts";
import { FrameDecoder } from "../frames/frame_decoder.ts";
import { Opcode } from "../frames/opcode.ts";
import type { WebSocketConnectionOptions } from "./connection_options.ts";
import { type ConnectionCloseEvent, WebSocketConnection } from "./websocket_connection.ts";
import { withStubbedIntervals } from "../tests/_timers.ts";

/** A connection over in-memory pipes whose peer never writes; counts the pings it is sent. */
function silentPeer(options: WebSocketConnectionOptions) {
  const toConnection = new TransformStream<Uint8Array, Uint8Array>();
  const toPeer = new TransformStream<Uint8Array, Uint8Array>();
  let pings = 0;
  const decoder = new FrameDecoder(
    new FrameCollector((frame) => {
      if (frame.opcode === Opcode.Ping) pings++;
    }),
    { role: options.role === "server" ? "client" : "server" },
  );
  void toPeer.readable.pipeTo(new WritableStream({ write: (chunk) => void decoder.write(chunk) }));
  let closed: ConnectionCloseEvent | undefined;
  const connection = new WebSocketConnection(
    { readable: toConnection.readable, writable: toPeer.writable },
    { onMessage() {}, onClose: (event) => closed = event },
    options,
  );
  connection.start();
  return {
    connection,
    pings: () => pings,
    closed: () => closed,
    /** Let the pipes move what the last tick wrote. */
    settle: () => new Promise((resolve) => setTimeout(resolve, 0)),
  };
}

Deno.test("heartbeat: on by default for servers, one timer for all, a silent peer dropped within 45 s", async () => {
  await withStubbedIntervals(async (timers) => {
    const peers = [0, 1, 2].map(() => silentPeer({ role: "server" }));
    assert.equal(timers.size, 1, "one timer for every connection");
    const timer = [...timers.values()][0];
    assert.equal(timer!.ms, 15_000 / 8);
    let elapsed = 0;
    while (peers.some((peer) => peer.closed() === undefined) && elapsed < 120_000) {
      timer!.tick();
      elapsed += timer!.ms;
      await peers[0]!.settle();
      if (elapsed === 15_000) {
        assert.deepEqual(peers.map((peer) => peer.pings()), [1, 1, 1], "a ping after 15 s");
      }
    }
    assert.ok(elapsed <= 45_000, `dropped after ${elapsed} ms`);
    for (const peer of peers) {
      const closed = peer.closed();
      assert.equal(closed?.closeCode, 1006);
      assert.match(closed!.reason, /^Heartbeat failed: 2 ping\(s\) in a row unanswered/);
      assert.equal(peer.pings(), 2);
    }
    assert.equal(timers.size, 0, "the timer stops with the last connection");
  });
});

Deno.test("heartbeat: off by default for clients and with heartbeat: false", async () => {
  await withStubbedIntervals(async (timers) => {
    const peers = [
      silentPeer({ role: "client" }),
      silentPeer({ role: "server", heartbeat: false }),
    ];
    assert.equal(timers.size, 0);
    for (const peer of peers) peer.connection.terminate();
    await peers[0]!.settle();
  });
});

Deno.test("heartbeat: connections with another interval get a timer of their own", async () => {
  await withStubbedIntervals(async (timers) => {
    const peers = [
      silentPeer({ role: "client", heartbeat: { interval: 800 } }),
      silentPeer({ role: "client", heartbeat: { interval: 800 } }),
      silentPeer({ role: "server", heartbeat: { interval: 1600 } }),
    ];
    assert.deepEqual([...timers.values()].map((timer) => timer.ms).sort(), [100, 200]);
    for (const peer of peers) peer.connection.terminate();
    for (let i = 0; i < 10 && timers.size > 0; i++) await peers[0]!.settle();
    assert.equal(timers.size, 0);
  });
});
