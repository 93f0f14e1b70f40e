/**
 * Scale-out for real: two processes of the chat demo (`examples/chat/server.ts`
 * with `REDIS=host:port`) share a room through a real redis-server, a client
 * on each. Redis is killed and restarted mid-test: what was sent meanwhile
 * still reaches the other process, once and in order, through the Streams.
 */
import assert from "node:assert/strict";
import { WebSocket } from "../mod.ts";
import { type Started, startProcess } from "./_process.ts";
import { within } from "./_pubsub.ts";
import { startRedis } from "./_redis.ts";

/** The chat demo on a free port, as `deno task start` runs it, with `REDIS` set. */
async function startChat(redisPort: number): Promise<Started & { port: number }> {
  const started = await startProcess(
    Deno.execPath(),
    [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-read=.",
      "--allow-env=PORT,ORIGINS,REDIS",
      "examples/chat/server.ts",
    ],
    /chat on http:\/\/localhost:(\d+)/,
    { PORT: "0", REDIS: `127.0.0.1:${redisPort}` },
  );
  return { ...started, port: Number(started.match[1]) };
}

/** Wait (20 s at most) until `server` printed `line` `count` times. */
async function printed(server: Started, line: string, count: number): Promise<void> {
  const times = () => server.output().split("\n").filter((l) => l === line).length;
  for (let i = 0; i < 2000 && times() < count; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(times(), count, `"${line}" ${count} times:\n${server.output()}`);
}

/** A chat client: its "message" texts, and a way to wait for the n-th. */
async function chatClient(port: number) {
  // The demo admits pages of its own origin only.
  const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, "chat", {
    headers: { origin: `http://127.0.0.1:${port}` },
  });
  const texts: string[] = [];
  let want = Infinity;
  let wake: (() => void) | undefined;
  const welcome = Promise.withResolvers<void>();
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data as string);
    if (message.type === "welcome") welcome.resolve();
    if (message.type !== "message") return;
    texts.push(message.text);
    if (texts.length >= want) wake?.();
  };
  await within(welcome.promise, 10_000, "welcome");
  return {
    socket,
    texts,
    reached(count: number): Promise<void> {
      if (texts.length >= count) return Promise.resolve();
      return within(
        new Promise<void>((resolve) => {
          want = count;
          wake = resolve;
        }),
        20_000,
        `${texts.length}/${count} chat messages: ${texts.join(", ")}`,
      );
    },
  };
}

Deno.test("two chat processes share a room through Redis, and lose nothing when Redis restarts", async () => {
  const redis = await startRedis();
  const servers: Started[] = [];
  try {
    const a = await startChat(redis.port);
    servers.push(a);
    const b = await startChat(redis.port);
    servers.push(b);
    await Promise.all([printed(a, "redis connected", 1), printed(b, "redis connected", 1)]);
    const alice = await chatClient(a.port);
    const bob = await chatClient(b.port);
    // Published on one process, received on the other (and on its own).
    // (The demo lets a client send 10 lines at once, then 1 a second.)
    for (let i = 1; i <= 4; i++) alice.socket.send(`alice ${i}`);
    await bob.reached(4);
    bob.socket.send("bob 1");
    await alice.reached(5);
    await bob.reached(5);

    await redis.kill();
    // Both processes noticed: from now on their publishes wait for Redis.
    await Promise.all([printed(a, "redis disconnected", 1), printed(b, "redis disconnected", 1)]);
    for (let i = 5; i <= 8; i++) alice.socket.send(`alice ${i}`);
    bob.socket.send("bob 2");
    await redis.restart();
    await Promise.all([printed(a, "redis connected", 2), printed(b, "redis connected", 2)]);
    alice.socket.send("alice 9");

    await Promise.all([alice.reached(11), bob.reached(11)]);
    const before = [...Array.from({ length: 4 }, (_, i) => `alice ${i + 1}`), "bob 1"];
    for (const client of [alice, bob]) {
      assert.deepEqual(client.texts.slice(0, 5), before);
      const after = client.texts.slice(5);
      // Each process's own messages keep their order; the two interleave.
      assert.deepEqual(
        after.filter((t) => t.startsWith("alice")),
        Array.from({ length: 5 }, (_, i) => `alice ${i + 5}`),
      );
      assert.deepEqual(after.filter((t) => t.startsWith("bob")), ["bob 2"]);
    }
    // Both clients saw the same order: the Stream's.
    assert.deepEqual(alice.texts, bob.texts);
    alice.socket.close();
    bob.socket.close();
  } finally {
    for (const server of servers) await server.stop();
    await redis.kill();
  }
});
