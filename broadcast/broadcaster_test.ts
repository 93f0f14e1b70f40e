import assert from "node:assert/strict";
import { FrameDecoder } from "../frames/frame_decoder.ts";
import { MessageAssembler } from "../messages/message_assembler.ts";
import type { Message } from "../messages/message.ts";
import { serve, type WebSocketServer } from "../server/serve.ts";
import { upgradeWebSocket } from "../transports/upgrade_websocket.ts";
import { WebSocket } from "../connection/websocket.ts";
import "../transports/mod.ts"; // registers the Deno connector for clients
import { Broadcaster, type BroadcasterOptions } from "./broadcaster.ts";

const MESSAGES = 100_000;
const SIZE = 1024;
const HIGH_WATER_MARK = 64 * 1024;

/** A server whose every WebSocket joins `topic` of `broadcaster` once open. */
function startRoom(
  broadcaster: Broadcaster,
  topic = "room",
  sockets: { bufferedAmount: number }[] = [],
): WebSocketServer {
  return serve({ hostname: "127.0.0.1", port: 0 }, (request) => {
    const { response, socket } = upgradeWebSocket(request);
    sockets.push(socket);
    socket.onopen = () => broadcaster.subscribe(socket, topic);
    socket.onmessage = (event) => void broadcaster.publish(topic, event.data as string);
    return response;
  });
}

/**
 * A client that completes the handshake by hand and then reads nothing until
 * `drain()` is called: the slow consumer. `drain` reads and decodes every
 * frame until the server closes or `count` messages arrived.
 */
async function slowClient(port: number) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(
    new TextEncoder().encode(
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    ),
  );
  // Read the 101 head byte by byte so that no frame is consumed with it.
  let head = "";
  const one = new Uint8Array(1);
  while (!head.endsWith("\r\n\r\n")) {
    assert.equal(await conn.read(one), 1, "server closed during the handshake");
    head += String.fromCharCode(one[0]!);
  }
  assert.match(head, /^HTTP\/1\.1 101 /);
  const messages: Message[] = [];
  const decoder = new FrameDecoder(new MessageAssembler((m) => messages.push(m)), {
    role: "client",
  });
  return {
    messages,
    /** Read until the connection ends or `count` data messages arrived. */
    async drain(count = Infinity): Promise<void> {
      const buffer = new Uint8Array(256 * 1024);
      let data = 0;
      while (data < count) {
        const n = await conn.read(buffer).catch(() => null);
        if (n === null) return;
        const before = messages.length;
        const error = decoder.write(buffer.subarray(0, n));
        assert.equal(error, undefined, `invalid frames from the server: ${error?.message}`);
        for (let i = before; i < messages.length; i++) {
          if (messages[i]!.type === "text") data++;
        }
      }
    },
    close: () => conn.close(),
  };
}

/** Messages "0 …", "1 …": numbered, padded to SIZE bytes. */
function numbered(i: number): string {
  const prefix = `${i} `;
  return prefix + "x".repeat(SIZE - prefix.length);
}

function texts(messages: Message[]): string[] {
  return messages.flatMap((m) => m.type === "text" ? [m.data] : []);
}

async function withRoom(
  options: BroadcasterOptions,
  run: (room: Broadcaster, port: number, sockets: { bufferedAmount: number }[]) => Promise<void>,
): Promise<void> {
  const room = new Broadcaster({ highWaterMark: HIGH_WATER_MARK, ...options });
  const sockets: { bufferedAmount: number }[] = [];
  const server = startRoom(room, "room", sockets);
  try {
    await run(room, server.addr.port, sockets);
  } finally {
    room.close();
    await server.shutdown();
  }
}

/** Wait until `room` has `count` members (sockets join on open). */
async function members(room: Broadcaster, count: number): Promise<void> {
  for (let i = 0; i < 500 && room.size("room") < count; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(room.size("room"), count);
}

Deno.test("Broadcaster drop-oldest: a consumer that never reads costs a bounded queue, others get everything", async () => {
  await withRoom({ policy: "drop-oldest", maxQueue: 100 }, async (room, port, sockets) => {
    const slow = await slowClient(port);
    const fast = new WebSocket(`ws://127.0.0.1:${port}/`);
    let fastCount = 0;
    let fastInOrder = true;
    /** Resolved when the fast member has received `want` messages. */
    let want = 0;
    let wake: (() => void) | undefined;
    fast.onmessage = (event) => {
      if (!(event.data as string).startsWith(`${fastCount} `)) fastInOrder = false;
      if (++fastCount >= want) wake?.();
    };
    const fastReached = (count: number) =>
      new Promise<void>((resolve, reject) => {
        if (fastCount >= count) return resolve();
        const timer = setTimeout(
          () => reject(new Error(`fast member stuck at ${fastCount}`)),
          10_000,
        );
        want = count;
        wake = () => {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        };
      });
    await members(room, 2);
    // This isolate's memory (RSS would count the other test files running
    // in parallel in the same process).
    const used = () => {
      const usage = Deno.memoryUsage();
      return usage.heapUsed + usage.external;
    };
    const usedBefore = used();
    let maxQueued = 0;
    let maxBuffered = 0;
    for (let i = 0; i < MESSAGES; i++) {
      await room.publish("room", numbered(i));
      maxQueued = Math.max(maxQueued, room.stats.queued);
      for (const socket of sockets) maxBuffered = Math.max(maxBuffered, socket.bufferedAmount);
      // A member that reads keeps up: it is never more than 32 KiB behind,
      // half the high-water mark, so it must never be dropped.
      if (i % 32 === 31) await fastReached(i + 1 - 32);
    }
    await fastReached(MESSAGES);
    const grown = used() - usedBefore;
    const stats = room.stats;
    assert.equal(fastCount, MESSAGES);
    assert.ok(fastInOrder, "the fast member got the messages out of order");
    assert.ok(maxQueued <= 100, `queued ${maxQueued} messages for the slow member, limit 100`);
    assert.ok(
      stats.dropped > MESSAGES / 2,
      `only ${stats.dropped} dropped for a member that never read`,
    );
    // What the server holds for any member: the high-water mark, plus the
    // frames of one task's sends (the fast member's batch of 32 at most).
    assert.ok(
      maxBuffered <= HIGH_WATER_MARK + 33 * (SIZE + 4),
      `${maxBuffered} bytes buffered for one member`,
    );
    // 100,000 KiB-sized messages would be ~100 MiB if buffered for the slow member.
    assert.ok(grown < 64 * 1024 * 1024, `memory grew by ${grown} bytes`);
    // The slow member gets what was not dropped: a prefix, then the newest, in order.
    fast.close();
    const slowRead = slow.drain(MESSAGES - stats.dropped);
    await slowRead;
    const got = texts(slow.messages).map((t) => Number(t.slice(0, t.indexOf(" "))));
    assert.equal(got.length, MESSAGES - stats.dropped);
    for (let i = 1; i < got.length; i++) assert.ok(got[i]! > got[i - 1]!, "out of order");
    assert.equal(got.at(-1), MESSAGES - 1, "the newest message was dropped");
    slow.close();
  });
});

Deno.test("Broadcaster close: a consumer that never reads is closed with 1013 and removed", async () => {
  await withRoom({ policy: "close" }, async (room, port) => {
    const slow = await slowClient(port);
    await members(room, 1);
    let published = 0;
    while (published < MESSAGES && room.size("room") === 1) {
      await room.publish("room", numbered(published++));
    }
    assert.equal(room.size("room"), 0, "the slow member was never closed");
    assert.equal(room.stats.closed, 1);
    assert.ok(published < MESSAGES, "closed only after everything was sent");
    await slow.drain();
    const last = slow.messages.at(-1);
    assert.deepEqual(last?.type === "close" ? last.code : last, 1013);
    // What arrived before the close is the start of the stream, in order.
    const got = texts(slow.messages);
    got.forEach((t, i) => assert.ok(t.startsWith(`${i} `)));
    slow.close();
  });
});

Deno.test("Broadcaster wait: publish waits for the slowest member, then everything arrives in order", async () => {
  await withRoom({ policy: "wait" }, async (room, port) => {
    const slow = await slowClient(port);
    await members(room, 1);
    let published = 0;
    const publishing = (async () => {
      while (published < MESSAGES) await room.publish("room", numbered(published++));
    })();
    // The consumer reads nothing: publishing must come to a stop once the
    // kernel's buffers and the high-water mark are full (under load they
    // may take a while to fill, so wait for the count to settle).
    let stalledAt = -1;
    for (let i = 0; i < 100 && published < MESSAGES; i++) {
      const before = published;
      await new Promise((resolve) => setTimeout(resolve, 200));
      if (published === before) {
        stalledAt = published;
        break;
      }
    }
    assert.ok(stalledAt >= 0 && stalledAt < MESSAGES, "publish never waited for the slow member");
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(published, stalledAt, "publish went on while the member could not take more");
    // Now it reads: publishing resumes and completes.
    await slow.drain(MESSAGES);
    await publishing;
    const got = texts(slow.messages);
    assert.equal(got.length, MESSAGES);
    got.forEach((t, i) => assert.ok(t.startsWith(`${i} `), `message ${i} out of order`));
    assert.equal(room.stats.queued, 0);
    slow.close();
  });
});

Deno.test("Broadcaster wait: rejects publishes beyond maxPending instead of queueing without bound", async () => {
  await withRoom({ policy: "wait", maxPending: 10 }, async (room, port) => {
    const slow = await slowClient(port);
    await members(room, 1);
    const pending: Promise<void>[] = [];
    let rejected: unknown;
    for (let i = 0; i < MESSAGES && rejected === undefined; i++) {
      const p = room.publish("room", numbered(i));
      p.catch((error) => rejected ??= error);
      pending.push(p);
      if (i % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.ok(rejected instanceof RangeError, "no publish was refused");
    assert.match(rejected.message, /maxPending/);
    assert.ok(room.stats.queued <= 10);
    // Leaving releases the waiting publishes.
    slow.close();
    await Promise.allSettled(pending);
  });
});

Deno.test("Broadcaster with a BroadcastChannel adapter: two servers share a room", async () => {
  const a = new Broadcaster({ adapter: new BroadcastChannel("edgews-test-room") });
  const b = new Broadcaster({ adapter: new BroadcastChannel("edgews-test-room") });
  const serverA = startRoom(a);
  const serverB = startRoom(b);
  try {
    const alice = new WebSocket(`ws://127.0.0.1:${serverA.addr.port}/`);
    const bob = new WebSocket(`ws://127.0.0.1:${serverB.addr.port}/`);
    const received = (socket: WebSocket) =>
      new Promise<string>((resolve) => socket.onmessage = (event) => resolve(event.data as string));
    // The server side may subscribe before the client has seen its 101: wait for both.
    const opened = (socket: WebSocket) => new Promise((resolve) => socket.onopen = resolve);
    await Promise.all([opened(alice), opened(bob), members(a, 1), members(b, 1)]);
    const bobGets = received(bob);
    const aliceGets = received(alice);
    alice.send("hello from A");
    // Published on A: local members and, through the channel, B's members.
    assert.equal(await bobGets, "hello from A");
    assert.equal(await aliceGets, "hello from A");
    alice.close();
    bob.close();
  } finally {
    a.close();
    b.close();
    await Promise.all([serverA.shutdown(), serverB.shutdown()]);
  }
});

Deno.test("Broadcaster: a member's own onclose sees it gone from size(), though onclose was set before subscribe", async () => {
  const room = new Broadcaster();
  const sizes: number[][] = [];
  let joined = 0;
  let allJoined!: () => void;
  const both = new Promise<void>((resolve) => allJoined = resolve);
  let serverClosed: (() => void) | undefined;
  const server = serve({ hostname: "127.0.0.1", port: 0 }, (request) => {
    const { response, socket } = upgradeWebSocket(request);
    // The application's onclose is set first, so its listener runs before the broadcaster's.
    socket.onclose = () => {
      sizes.push([room.size("lobby"), room.size()]);
      serverClosed?.();
    };
    socket.onopen = () => {
      room.subscribe(socket, "lobby");
      if (++joined === 2) allJoined();
    };
    return response;
  });
  try {
    const url = `ws://127.0.0.1:${server.addr.port}/`;
    const clients = [new WebSocket(url), new WebSocket(url)];
    await both;
    assert.equal(room.size("lobby"), 2);
    for (const client of clients) {
      const closed = new Promise<void>((resolve) => serverClosed = resolve);
      client.close(1000);
      await closed;
    }
    assert.deepEqual(sizes, [[1, 1], [0, 0]]);
  } finally {
    room.close();
    await server.shutdown();
  }
});

Deno.test("Broadcaster: a socket already closed is not added (its close event has passed)", () => {
  const room = new Broadcaster();
  room.subscribe({ bufferedAmount: 0, readyState: 3, send() {}, close() {} }, "room");
  assert.equal(room.size(), 0);
  room.close();
});

Deno.test("Broadcaster wait: past maxPending a publish is refused before any member gets it", async () => {
  /** A member that records what it was sent; `bufferedAmount` set by hand. */
  const member = () => ({
    bufferedAmount: 0,
    readyState: 1,
    received: [] as (string | Uint8Array)[],
    send(data: string | Uint8Array) {
      this.received.push(data);
    },
    close() {},
    addEventListener() {},
  });
  const room = new Broadcaster({ policy: "wait", highWaterMark: 10, maxPending: 1 });
  const [fast, slow] = [member(), member()];
  room.subscribe(fast, "x");
  room.subscribe(slow, "x");
  slow.bufferedAmount = 11;
  const first = room.publish("x", "1");
  await assert.rejects(room.publish("x", "2"), RangeError);
  // Before the fix the fast member got "2" although the publish was refused.
  assert.deepEqual(fast.received, ["1"]);
  slow.bufferedAmount = 0;
  await first;
  assert.deepEqual(slow.received, ["1"]);
  room.close();
});
