/**
 * `_RedisSocket` against a scripted RESP peer on loopback: replies split
 * anywhere, malformed input, reconnecting, and closing.
 */
import assert from "node:assert/strict";
import { within } from "../tests/_pubsub.ts";
import { _RedisSocket, _socketOptions } from "./_redis_socket.ts";
import type { RespValue } from "./resp.ts";

/** Events of one socket, each kind awaitable in order. */
function recorder() {
  const values: RespValue[] = [];
  const lost: { message: string; wasOpen: boolean }[] = [];
  let opens = 0;
  const waiters: (() => void)[] = [];
  const wake = () => waiters.splice(0).forEach((resolve) => resolve());
  const until = async (done: () => boolean, what: string) => {
    while (!done()) await within(new Promise<void>((r) => waiters.push(r)), 10_000, what);
  };
  return {
    values,
    lost,
    get opens() {
      return opens;
    },
    until,
    events: {
      onOpen: () => {
        opens++;
        wake();
      },
      onValue: (value: RespValue) => {
        values.push(value);
        wake();
      },
      onLost: (error: Error, wasOpen: boolean) => {
        lost.push({ message: error.message, wasOpen });
        wake();
      },
    },
  };
}

async function readSome(conn: Deno.Conn): Promise<string> {
  const buffer = new Uint8Array(1024);
  const n = await conn.read(buffer);
  return new TextDecoder().decode(buffer.subarray(0, n ?? 0));
}

const encoder = new TextEncoder();

Deno.test("_socketOptions: defaults for what is not given", () => {
  assert.deepEqual(_socketOptions({}), {
    hostname: "127.0.0.1",
    port: 6379,
    reconnectDelay: 50,
    maxReconnectDelay: 2000,
  });
  assert.deepEqual(_socketOptions({ hostname: "::1", port: 1, maxReconnectDelay: 5 }), {
    hostname: "::1",
    port: 1,
    reconnectDelay: 50,
    maxReconnectDelay: 5,
  });
});

Deno.test("_RedisSocket: writes once open, and decodes replies split at any byte", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const seen = recorder();
  const socket = new _RedisSocket(
    _socketOptions({ port: listener.addr.port }),
    seen.events,
  );
  try {
    assert.equal(socket.write(encoder.encode("early")), false, "not open yet");
    const conn = await listener.accept();
    await seen.until(() => seen.opens === 1, "open");
    assert.equal(socket.open, true);
    assert.equal(socket.write(encoder.encode("PING\r\n")), true);
    assert.equal(await readSome(conn), "PING\r\n");
    const replies = encoder.encode("+PONG\r\n$5\r\nhe\r\no\r\n*2\r\n:1\r\n$-1\r\n");
    for (const byte of replies) await conn.write(new Uint8Array([byte]));
    await seen.until(() => seen.values.length === 3, "three replies");
    assert.deepEqual(seen.values, ["PONG", encoder.encode("he\r\no"), [1, null]]);
    conn.close();
  } finally {
    await socket.close();
    listener.close();
  }
});

Deno.test("_RedisSocket: malformed input or a peer that leaves: lost, then connected again", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const seen = recorder();
  const socket = new _RedisSocket(
    _socketOptions({ port: listener.addr.port, reconnectDelay: 1, maxReconnectDelay: 1 }),
    seen.events,
  );
  try {
    const first = await listener.accept();
    await seen.until(() => seen.opens === 1, "open");
    await first.write(encoder.encode("+OK\r\n"));
    await seen.until(() => seen.values.length === 1, "a reply");
    await first.write(encoder.encode("?what\r\n"));
    await seen.until(() => seen.lost.length === 1, "lost after malformed input");
    assert.deepEqual(seen.values, ["OK"]);
    assert.equal(seen.lost[0]!.wasOpen, true);
    assert.match(seen.lost[0]!.message, /^Redis connection lost: Invalid RESP/);
    assert.equal(await readSome(first), "", "the socket dropped its connection");
    first.close();

    const second = await within(listener.accept(), 10_000, "reconnect");
    await seen.until(() => seen.opens === 2, "second open");
    second.close();
    await seen.until(() => seen.lost.length === 2, "lost when the peer closes");
    assert.deepEqual(seen.lost[1], {
      message: "Redis connection lost: closed by the server",
      wasOpen: true,
    });
    const third = await within(listener.accept(), 10_000, "reconnect after close");
    await seen.until(() => seen.opens === 3, "third open");
    third.close();
  } finally {
    await socket.close();
    listener.close();
  }
});

Deno.test("_RedisSocket: retries while nothing listens, and connects once something does", async () => {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  const seen = recorder();
  const socket = new _RedisSocket(
    _socketOptions({ port, reconnectDelay: 1, maxReconnectDelay: 5 }),
    seen.events,
  );
  let listener: Deno.TcpListener | undefined;
  try {
    await seen.until(() => seen.lost.length >= 3, "three refused attempts");
    assert.ok(seen.lost.every((lost) => !lost.wasOpen), "never open");
    assert.equal(socket.open, false);
    listener = Deno.listen({ hostname: "127.0.0.1", port });
    const conn = await within(listener.accept(), 10_000, "connect once listening");
    await seen.until(() => seen.opens === 1, "open");
    conn.close();
  } finally {
    await socket.close();
    listener?.close();
  }
});

// The test sanitizers fail these if a reconnect timer or a socket outlives close().
Deno.test("_RedisSocket: close() ends an open connection, and leaves nothing behind", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const seen = recorder();
  const socket = new _RedisSocket(
    _socketOptions({ port: listener.addr.port, reconnectDelay: 1, maxReconnectDelay: 1 }),
    seen.events,
  );
  const conn = await listener.accept();
  await seen.until(() => seen.opens === 1, "open");
  await within(socket.close(), 10_000, "close");
  assert.equal(socket.open, false);
  assert.equal(socket.write(encoder.encode("PING\r\n")), false);
  assert.deepEqual(seen.lost, [{
    message: "Redis connection lost: closed by the server",
    wasOpen: true,
  }]);
  assert.equal(await readSome(conn), "", "the peer sees the connection end");
  conn.close();
  listener.close();
});

Deno.test("_RedisSocket: close() while waiting to reconnect cancels the wait", async () => {
  // Track the timers started while the socket lives: none may be left pending.
  const pending = new Set<number>();
  const timers = globalThis as unknown as {
    setTimeout: (callback: () => void, ms?: number) => number;
    clearTimeout: (id?: number) => void;
  };
  const { setTimeout: realSet, clearTimeout: realClear } = timers;
  timers.setTimeout = (callback, ms) => {
    const id = realSet(() => {
      pending.delete(id);
      callback();
    }, ms);
    pending.add(id);
    return id;
  };
  timers.clearTimeout = (id) => {
    if (id !== undefined) pending.delete(id);
    realClear(id);
  };
  try {
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = probe.addr.port;
    probe.close();
    const seen = recorder();
    const socket = new _RedisSocket(
      _socketOptions({ port, reconnectDelay: 60_000, maxReconnectDelay: 60_000 }),
      seen.events,
    );
    await seen.until(() => seen.lost.length === 1, "a refused attempt");
    assert.equal(pending.size, 1, "waiting to reconnect");
    await within(socket.close(), 10_000, "close");
    assert.equal(seen.opens, 0);
    assert.equal(pending.size, 0, "the reconnect timer is cancelled");
  } finally {
    for (const id of pending) realClear(id);
    timers.setTimeout = realSet;
    timers.clearTimeout = realClear;
  }
});
