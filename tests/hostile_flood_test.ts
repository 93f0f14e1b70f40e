/**
 * Peers that send and never read: a ping flood, and requests whose answers
 * are never read. The server runs in a process of its own
 * (`_hostile_server.ts`) and reports its RSS and the bytes queued for its
 * peers; the tests assert both stay bounded, that the flooder is failed
 * (1008) or no longer read, and that a well-behaved client is answered
 * throughout.
 */
import assert from "node:assert/strict";
import { spawnDeno } from "./_process.ts";
import { openRaw } from "./_raw_client.ts";

/** What the flooders may send: today's code queued all of it in answers. */
const FLOOD_BYTES = 256 * 1024 * 1024;
/** `writeHighWaterMark`'s default: a server stops reading a peer with this much queued for it. */
const HIGH_WATER_MARK = 256 * 1024;
/**
 * Reports in a row with the peer's queue at or past the mark and not
 * growing: the server has stopped reading that peer (any read would queue
 * more echoes or pongs), which is how the tests learn that it stalled.
 */
const PAUSED_REPORTS = 3;
/** Each probe echo must come back within this. */
const PROBE_DEADLINE_MS = 2000;
/**
 * Bounds with the defaults (256 KiB high-water mark): the queue stops
 * growing one read (up to 256 KiB of answers) past the mark.
 */
const MAX_QUEUED = 1024 * 1024;
const MAX_RSS_GROWTH = 64 * 1024 * 1024;

interface Stats {
  rss: number;
  buffered: number;
  closed: number[];
}

/** The server child, with what it reported so far. */
async function startServer(options: Record<string, unknown>) {
  const { process: child, nextLine } = spawnDeno([
    "run",
    "--allow-net=127.0.0.1",
    "tests/_hostile_server.ts",
    JSON.stringify(options),
  ]);
  const port = Number(new URL(await nextLine()).port);
  let latest: Stats = { rss: 0, buffered: 0, closed: [] };
  let maxRss = 0;
  let maxBuffered = 0;
  let waiters: (() => void)[] = [];
  const reading = (async () => {
    try {
      for (;;) {
        latest = JSON.parse(await nextLine()) as Stats;
        maxRss = Math.max(maxRss, latest.rss);
        maxBuffered = Math.max(maxBuffered, latest.buffered);
        for (const wake of waiters) wake();
        waiters = [];
      }
    } catch {
      // The server stopped.
    }
  })();
  /** The next report. */
  const next = () => new Promise<Stats>((resolve) => waiters.push(() => resolve(latest)));
  return {
    port,
    next,
    /** Resolves once a report satisfies `check`; rejects after `ms`. */
    async until(check: (stats: Stats) => boolean, ms: number, what: string): Promise<Stats> {
      const deadline = Date.now() + ms;
      for (let stats = latest; !check(stats); stats = await next()) {
        if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
      }
      return latest;
    },
    peak: () => ({ rss: maxRss, buffered: maxBuffered }),
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await reading;
    },
  };
}

/** `count` masked frames (key 0) of `opcode` with `size`-byte payloads, back to back. */
function frames(opcode: number, size: number, count: number): Uint8Array {
  const header = size < 126 ? 6 : 8;
  const frame = new Uint8Array(header + size).fill(0x61);
  frame[0] = 0x80 | opcode;
  if (size < 126) frame[1] = 0x80 | size;
  else {
    frame[1] = 0x80 | 126;
    frame[2] = size >>> 8;
    frame[3] = size & 0xff;
  }
  frame.fill(0, header - 4, header);
  const out = new Uint8Array(frame.length * count);
  for (let i = 0; i < count; i++) out.set(frame, i * frame.length);
  return out;
}

/**
 * Resolves once the server's reports say it stopped reading a peer (see
 * `PAUSED_REPORTS`); never, if it does not.
 */
function paused(server: Awaited<ReturnType<typeof startServer>>): Promise<"stalled"> {
  let streak = 0;
  let last = -1;
  return server.until(
    (stats) => {
      const held = stats.buffered >= HIGH_WATER_MARK;
      streak = held && stats.buffered <= last ? streak + 1 : held ? 1 : 0;
      last = stats.buffered;
      return streak >= PAUSED_REPORTS;
    },
    60_000,
    "the server's pause",
  ).then(() => "stalled" as const, () => new Promise<never>(() => {}));
}

/**
 * Write `chunk` over and over, never reading, up to `FLOOD_BYTES`. Ends
 * "stalled" when `stalled` says the server no longer reads, "closed" when
 * the server drops the connection, "done" when everything was taken.
 */
async function flood(
  conn: Deno.Conn,
  chunk: Uint8Array,
  stalled: Promise<"stalled">,
): Promise<{ outcome: "stalled" | "closed" | "done"; sent: number }> {
  let sent = 0;
  let offset = 0;
  while (sent < FLOOD_BYTES) {
    // A write may take part of the chunk: the next one goes on from there.
    const writing = conn.write(chunk.subarray(offset)).then((n) => n, () => "closed" as const);
    const result = await Promise.race([writing, stalled]);
    if (result === "stalled" || result === "closed") return { outcome: result, sent };
    sent += result;
    offset = (offset + result) % chunk.length;
  }
  return { outcome: "done", sent };
}

/**
 * A well-behaved client (Deno's own) echoing one message at a time until
 * `stop` resolves; each echo must come back within `PROBE_DEADLINE_MS`.
 */
async function probe(port: number, stop: Promise<unknown>): Promise<number> {
  let stopped = false;
  void stop.finally(() => stopped = true);
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
  const events: MessageEvent[] = [];
  let wake: (() => void) | undefined;
  ws.onmessage = (event) => {
    events.push(event);
    wake?.();
  };
  const within = <T>(promise: Promise<T>, what: string): Promise<T> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    return Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${what} took over ${PROBE_DEADLINE_MS} ms`)),
          PROBE_DEADLINE_MS,
        );
      }),
    ]).finally(() => clearTimeout(timer));
  };
  await within(new Promise((resolve) => ws.onopen = resolve), "the probe's handshake");
  let echoes = 0;
  try {
    do {
      ws.send(`probe ${echoes}`);
      if (events.length === 0) {
        await within(new Promise<void>((resolve) => wake = resolve), `probe echo ${echoes}`);
      }
      assert.equal(events.shift()!.data, `probe ${echoes}`);
      echoes++;
      await new Promise((resolve) => setTimeout(resolve, 20));
    } while (!stopped);
  } finally {
    const closed = new Promise((resolve) => ws.onclose = resolve);
    ws.close(1000);
    await closed;
  }
  return echoes;
}

Deno.test("ping flood: the flooder is failed with 1008, the server's memory stays bounded, others are served", async () => {
  const server = await startServer({ closeTimeout: 1000 });
  const conn = await openRaw(server.port);
  try {
    const baseline = (await server.next()).rss;
    // Pings with 125-byte payloads: each pong is as big as its ping.
    const flooding = flood(conn, frames(0x9, 125, 500), paused(server));
    // The probe runs until the server has failed the flooder.
    const failed = flooding.then(({ outcome, sent }) =>
      server.until(
        (stats) => stats.closed.includes(1008),
        5000,
        `the flooder failed with 1008 (it ${outcome} after ${sent} bytes)`,
      )
    );
    const [{ outcome, sent }, echoes, stats] = await Promise.all([
      flooding,
      probe(server.port, failed),
      failed,
    ]);
    const peak = server.peak();
    assert.notEqual(outcome, "done", `the server took all ${sent} bytes of pings`);
    assert.ok(echoes > 0, "the probe was answered");
    assert.ok(peak.buffered < MAX_QUEUED, `${peak.buffered} bytes queued for one peer`);
    assert.ok(
      peak.rss - baseline < MAX_RSS_GROWTH,
      `RSS grew by ${((peak.rss - baseline) / 2 ** 20).toFixed(0)} MiB`,
    );
    assert.deepEqual(stats.closed.filter((code) => code !== 1000), [1008]);
  } finally {
    conn.close();
    await server.stop();
  }
});

Deno.test("a peer that sends and never reads is no longer read once its answers pile up", async () => {
  const server = await startServer({});
  const conn = await openRaw(server.port);
  try {
    const baseline = (await server.next()).rss;
    // 16 KiB binary messages, four per write: the server echoes each.
    const flooding = flood(conn, frames(0x2, 16 * 1024, 4), paused(server));
    const [{ outcome, sent }, echoes] = await Promise.all([flooding, probe(server.port, flooding)]);
    // One more report, taken after the flooder stalled.
    await server.next();
    const peak = server.peak();
    assert.equal(outcome, "stalled", `the server kept reading: ${sent} bytes (${outcome})`);
    assert.ok(echoes > 0, "the probe was answered");
    assert.ok(peak.buffered < MAX_QUEUED, `${peak.buffered} bytes queued for one peer`);
    assert.ok(
      peak.rss - baseline < MAX_RSS_GROWTH,
      `RSS grew by ${((peak.rss - baseline) / 2 ** 20).toFixed(0)} MiB`,
    );
  } finally {
    conn.close();
    await server.stop();
  }
});

Deno.test("ping flood with no pong limit: the flooder is no longer read once its pongs pile up", async () => {
  const server = await startServer({ maxQueuedPongs: 1e9 });
  const conn = await openRaw(server.port);
  try {
    const baseline = (await server.next()).rss;
    const flooding = flood(conn, frames(0x9, 125, 500), paused(server));
    const [{ outcome, sent }, echoes] = await Promise.all([flooding, probe(server.port, flooding)]);
    await server.next();
    const peak = server.peak();
    assert.equal(outcome, "stalled", `the server kept reading: ${sent} bytes (${outcome})`);
    assert.ok(echoes > 0, "the probe was answered");
    assert.ok(peak.buffered < MAX_QUEUED, `${peak.buffered} bytes queued for one peer`);
    assert.ok(
      peak.rss - baseline < MAX_RSS_GROWTH,
      `RSS grew by ${((peak.rss - baseline) / 2 ** 20).toFixed(0)} MiB`,
    );
    assert.deepEqual((await server.next()).closed.filter((code) => code !== 1000), []);
  } finally {
    conn.close();
    await server.stop();
  }
});

Deno.test("silent peers are dropped by the server's heartbeat while others are served", async () => {
  // The default interval is 15 s; 200 ms keeps the test short, the rule is the same.
  const server = await startServer({ heartbeat: { interval: 200 } });
  const silent: Deno.Conn[] = [];
  try {
    // Upgraded, then never a byte: no pong, no close.
    for (let i = 0; i < 50; i++) silent.push(await openRaw(server.port));
    const dropped = server.until(
      (stats) => stats.closed.filter((code) => code === 1006).length === 50,
      3000,
      "50 silent peers dropped with 1006",
    );
    const [echoes] = await Promise.all([probe(server.port, dropped), dropped]);
    assert.ok(echoes > 0, "the probe was answered");
  } finally {
    for (const conn of silent) conn.close();
    await server.stop();
  }
});
