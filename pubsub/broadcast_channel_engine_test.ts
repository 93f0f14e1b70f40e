import assert from "node:assert/strict";
import { collector, members, startPubSubServer, within } from "../tests/_pubsub.ts";
import { BroadcastChannelEngine } from "./broadcast_channel_engine.ts";
import { PubSub } from "./pubsub.ts";

Deno.test("BroadcastChannelEngine: two servers share a topic, and only listen to topics they have members for", async () => {
  const engineA = new BroadcastChannelEngine({ prefix: "bc-test" });
  const engineB = new BroadcastChannelEngine({ prefix: "bc-test" });
  const a = new PubSub({ engine: engineA });
  const b = new PubSub({ engine: engineB });
  const serverA = startPubSubServer(a);
  const serverB = startPubSubServer(b);
  try {
    const alice = collector(`ws://127.0.0.1:${serverA.addr.port}/`);
    const bob = collector(`ws://127.0.0.1:${serverB.addr.port}/`);
    await Promise.all([members(a, 1), members(b, 1)]);
    await a.publish("room", "from A");
    await b.publish("room", "from B");
    await a.publish("elsewhere", "nobody on B listens");
    await Promise.all([alice.reached(2), bob.reached(2)]);
    assert.deepEqual(alice.got.sort(), ["from A", "from B"]);
    assert.deepEqual(bob.got.sort(), ["from A", "from B"]);
    // Each worker numbers what it sees: B has two messages in "room"...
    const room = await engineB.history("room", { offset: 0, epoch: "" });
    assert.ok(room.ok);
    assert.deepEqual(room.messages.map((m) => m.offset), [1, 2]);
    // ...and never heard of "elsewhere", which it has no member for.
    assert.deepEqual(await engineB.history("elsewhere", { offset: 0, epoch: "" }), {
      ok: true,
      messages: [],
      position: { offset: 0, epoch: "" },
    });
    alice.socket.close();
    bob.socket.close();
  } finally {
    await Promise.all([a.close(), b.close()]);
    await Promise.all([serverA.shutdown(), serverB.shutdown()]);
  }
});

Deno.test("BroadcastChannelEngine: a server in a Web Worker and one in the main thread share a topic", async () => {
  const worker = new Worker(new URL("../tests/_pubsub_worker.ts", import.meta.url), {
    type: "module",
  });
  const fromWorker = (): Promise<unknown> =>
    within(new Promise((resolve) => worker.onmessage = (e) => resolve(e.data)), 10_000, "worker");
  const { port } = await fromWorker() as { port: number };
  const pubsub = new PubSub({ engine: new BroadcastChannelEngine({ prefix: "worker-test" }) });
  const server = startPubSubServer(pubsub);
  try {
    const here = collector(`ws://127.0.0.1:${server.addr.port}/`);
    const there = collector(`ws://127.0.0.1:${port}/`);
    await members(pubsub, 1);
    // The worker's member joins on open; wait until a message from here reaches it.
    for (let i = 0; i < 100 && there.got.length === 0; i++) {
      await pubsub.publish("room", `ping ${i}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(there.got.length > 0, "the worker's member never got a message from the main thread");
    there.socket.send("hello");
    const expected = "worker: hello";
    for (let i = 0; i < 500 && !here.got.includes(expected); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.ok(
      here.got.includes(expected),
      "the main thread's member never got the worker's message",
    );
    here.socket.close();
    there.socket.close();
  } finally {
    const stopped = fromWorker();
    worker.postMessage("stop");
    await stopped;
    worker.terminate();
    await pubsub.close();
    await server.shutdown();
  }
});
