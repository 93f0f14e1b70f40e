/**
 * Load generator for `bench/e2e.ts`, run in its own process so that it never
 * shares an event loop with a server. Two modes:
 *
 * - `--mode echo` (default): open `--connections` WebSockets to `--url`, keep
 *   `--inflight` binary messages of `--size` bytes in flight on each (every
 *   echo that comes back is timed against its send and replaced by a new
 *   message), warm up for `--warmup` ms, then count round trips for
 *   `--duration` ms. Prints one JSON line: messages/s, round-trip latency
 *   percentiles, and the CPU time the client and (with `--server-pid`) the
 *   server used during the measured window.
 * - `--mode idle`: open `--count` WebSockets and leave them idle. Prints
 *   `{"opened":N,...}` once they are all open, then follows commands on stdin,
 *   one per line: `echo` (one 64-byte round trip on every connection, then
 *   prints `{"echoed":N}`), `close` (or end of input: close everything, exit).
 *
 * `--client native` drives Deno's built-in `WebSocket`, `--client ours` this
 * module's (`../mod.ts`, same API), `--client frames` the lean frame writer of
 * `_frame_socket.ts` (one write per frame, or with `--writes batch` one per
 * batch of sends). Every loop here is bounded in time.
 *
 * Run: `deno run --allow-net=127.0.0.1 --allow-run=cat bench/echo_load.ts \
 *   --url ws://127.0.0.1:9001/ --connections 8 --size 64`
 *
 * @module
 */
import { WebSocket as OurWebSocket } from "../mod.ts";
import { FrameSocket } from "./_frame_socket.ts";
import { parseFlags } from "../examples/_args.ts";

/** The result of one `--mode echo` run, printed as a JSON line. */
export interface EchoResult {
  /** The generator; `outside` is `bench/echo_load_outside.mjs`, which prints the same line. */
  client: Client | "outside";
  connections: number;
  inflight: number;
  size: number;
  /** Length of the measured window in ms. */
  windowMs: number;
  /** Round trips completed in the window. */
  messages: number;
  messagesPerSecond: number;
  /** Payload bytes per second, one direction. */
  bytesPerSecond: number;
  /** Round-trip latency percentiles in ms, over the window's messages. */
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** CPU seconds used by this process per second of window (1 = one core). */
  clientCpu: number;
  /** CPU seconds used by the server per second of window, with `--server-pid`. */
  serverCpu: number | null;
  /** Echoes of the wrong length, sockets closed early, opens that failed. */
  errors: number;
}

type AnySocket = globalThis.WebSocket | OurWebSocket | FrameSocket;
/** Which client drives the load: Deno's `WebSocket`, this module's, or the lean frame writer. */
export type Client = "native" | "ours" | "frames";

const { flags } = parseFlags(Deno.args);
const url = flags.get("url");
if (url === undefined) {
  console.error("usage: echo_load.ts --url ws://HOST:PORT/ [--mode echo|idle] ...");
  Deno.exit(2);
}
const client = (flags.get("client") ?? "native") as Client;
if (client !== "native" && client !== "ours" && client !== "frames") {
  console.error(`--client must be native, ours or frames, not ${client}`);
  Deno.exit(2);
}

function numberFlag(name: string, fallback: number): number {
  const value = flags.get(name);
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`--${name} must be a non-negative number`);
    Deno.exit(2);
  }
  return n;
}

function createSocket(): AnySocket {
  const socket = client === "native"
    ? new WebSocket(url!)
    : client === "ours"
    ? new OurWebSocket(url!)
    : new FrameSocket(url!, flags.get("writes") !== "batch");
  socket.binaryType = "arraybuffer";
  return socket;
}

/** Resolves with the socket once open; rejects on error, close or timeout. */
function open(socket: AnySocket, timeoutMs: number): Promise<AnySocket> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      fail(new Error("open timed out"));
      try {
        socket.close();
      } catch {
        // Not open yet.
      }
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      socket.onopen = null;
      socket.onerror = null;
      socket.onclose = null;
    };
    const fail = (error: Error) => {
      done();
      reject(error);
    };
    socket.onopen = () => {
      done();
      resolve(socket);
    };
    socket.onerror = () => fail(new Error("WebSocket error while opening"));
    socket.onclose = () => fail(new Error("closed while opening"));
  });
}

/** Open `count` sockets, `batch` handshakes at a time. Failed opens are counted. */
async function openMany(
  count: number,
  batch: number,
): Promise<{ sockets: AnySocket[]; failed: number }> {
  const sockets: AnySocket[] = [];
  let failed = 0;
  for (let i = 0; i < count; i += batch) {
    const n = Math.min(batch, count - i);
    const results = await Promise.allSettled(
      Array.from({ length: n }, () => open(createSocket(), 10_000)),
    );
    for (const r of results) {
      if (r.status === "fulfilled") sockets.push(r.value);
      else failed++;
    }
  }
  return { sockets, failed };
}

/** Close every socket and wait (at most `timeoutMs`) for the close events. */
async function closeAll(sockets: AnySocket[], timeoutMs: number): Promise<void> {
  const closed = sockets.map((socket) =>
    new Promise<void>((resolve) => {
      if (socket.readyState === WebSocket.CLOSED) return resolve();
      socket.onclose = () => resolve();
      socket.onerror = null;
      try {
        socket.close(1000);
      } catch {
        resolve();
      }
    })
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.all(closed),
    new Promise<void>((resolve) => timer = setTimeout(resolve, timeoutMs)),
  ]);
  clearTimeout(timer);
}

/**
 * User + system CPU seconds of a process, from /proc/PID/stat (clock ticks of
 * 10 ms). Read with `cat`: Deno wants `--allow-all` to read /proc/PID/ itself.
 */
function cpuSeconds(pid: number): number | null {
  try {
    const output = new Deno.Command("cat", { args: [`/proc/${pid}/stat`], stderr: "null" })
      .outputSync();
    if (!output.success) return null;
    const stat = new TextDecoder().decode(output.stdout);
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** The q-quantile (0..1) of sorted samples, nearest rank. */
function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

async function runEcho(): Promise<void> {
  const connections = numberFlag("connections", 1);
  const inflight = numberFlag("inflight", 16);
  const size = numberFlag("size", 64);
  const warmupMs = numberFlag("warmup", 1000);
  const durationMs = numberFlag("duration", 3000);
  const serverPid = flags.has("server-pid") ? numberFlag("server-pid", 0) : undefined;

  const payload = new Uint8Array(size);
  for (let i = 0; i < size; i++) payload[i] = (i * 31 + 7) & 0xff;

  const { sockets, failed } = await openMany(connections, 64);
  let errors = failed;
  if (sockets.length === 0) throw new Error(`no connection to ${url} could be opened`);

  // 0: warm-up, 1: measuring, 2: draining (no new sends).
  let phase = 0;
  let received = 0;
  let outstanding = 0;
  // Latency samples of the measured window (capped; the count is not).
  const maxSamples = 1 << 22;
  let samples = new Float64Array(1 << 16);
  let sampleCount = 0;
  let drained!: () => void;
  const allDrained = new Promise<void>((resolve) => drained = resolve);

  for (const socket of sockets) {
    // Echoes come back in order on one connection: a ring of send times.
    const sent = new Float64Array(inflight);
    let head = 0;
    let tail = 0;
    socket.onmessage = (event: { data: unknown }) => {
      const now = performance.now();
      const rtt = now - sent[head]!;
      head = head + 1 === inflight ? 0 : head + 1;
      // An ArrayBuffer, or for `frames` only its length.
      if ((event.data as { byteLength: number }).byteLength !== size) errors++;
      received++;
      if (phase === 1) {
        if (sampleCount === samples.length && sampleCount < maxSamples) {
          const grown = new Float64Array(samples.length * 2);
          grown.set(samples);
          samples = grown;
        }
        if (sampleCount < samples.length) samples[sampleCount++] = rtt;
      }
      if (phase < 2) {
        sent[tail] = performance.now();
        tail = tail + 1 === inflight ? 0 : tail + 1;
        socket.send(payload);
      } else if (--outstanding === 0) {
        drained();
      }
    };
    socket.onclose = () => {
      if (phase < 2) errors++;
    };
    socket.onerror = () => {};
    for (let i = 0; i < inflight; i++) {
      sent[tail] = performance.now();
      tail = tail + 1 === inflight ? 0 : tail + 1;
      socket.send(payload);
    }
  }

  await new Promise((resolve) => setTimeout(resolve, warmupMs));
  phase = 1;
  const startReceived = received;
  const startClientCpu = cpuSeconds(Deno.pid);
  const startServerCpu = serverPid === undefined ? null : cpuSeconds(serverPid);
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  const end = performance.now();
  const endReceived = received;
  const endClientCpu = cpuSeconds(Deno.pid);
  const endServerCpu = serverPid === undefined ? null : cpuSeconds(serverPid);
  phase = 2;
  const measuredSamples = sampleCount;

  // Let the messages still in flight come back (bounded), then close.
  outstanding = sockets.length * inflight - (received - endReceived);
  let drainTimer: ReturnType<typeof setTimeout> | undefined;
  if (outstanding > 0) {
    await Promise.race([
      allDrained,
      new Promise<void>((resolve) => drainTimer = setTimeout(resolve, 3000)),
    ]);
    clearTimeout(drainTimer);
  }
  await closeAll(sockets, 3000);

  const sorted = samples.subarray(0, measuredSamples).sort();
  const windowMs = end - start;
  const messages = endReceived - startReceived;
  const windowSeconds = windowMs / 1000;
  const result: EchoResult = {
    client,
    connections,
    inflight,
    size,
    windowMs,
    messages,
    messagesPerSecond: messages / windowSeconds,
    bytesPerSecond: (messages * size) / windowSeconds,
    p50Ms: quantile(sorted, 0.5),
    p90Ms: quantile(sorted, 0.9),
    p99Ms: quantile(sorted, 0.99),
    maxMs: quantile(sorted, 1),
    clientCpu: startClientCpu === null || endClientCpu === null
      ? NaN
      : (endClientCpu - startClientCpu) / windowSeconds,
    serverCpu: startServerCpu === null || endServerCpu === null
      ? null
      : (endServerCpu - startServerCpu) / windowSeconds,
    errors,
  };
  console.log(JSON.stringify(result));
}

async function runIdle(): Promise<void> {
  const count = numberFlag("count", 1000);
  const batch = numberFlag("batch", 200);
  // Never outlive the orchestrator by long, whatever happens to stdin.
  const lifetime = setTimeout(() => Deno.exit(3), numberFlag("lifetime", 180_000));
  const { sockets, failed } = await openMany(count, batch);
  for (const socket of sockets) socket.onerror = () => {};
  console.log(JSON.stringify({ opened: sockets.length, failed }));

  const payload = new Uint8Array(64);
  const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
  let buffered = "";
  read: for await (const text of lines) {
    buffered += text;
    let newline;
    while ((newline = buffered.indexOf("\n")) !== -1) {
      const command = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (command === "echo") {
        // One round trip per connection, `batch` connections at a time.
        let echoed = 0;
        for (let i = 0; i < sockets.length; i += batch) {
          const group = sockets.slice(i, i + batch);
          const replies = group.map((socket) =>
            new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, 10_000);
              socket.onmessage = () => {
                clearTimeout(timer);
                socket.onmessage = null;
                echoed++;
                resolve();
              };
              socket.send(payload);
            })
          );
          await Promise.all(replies);
        }
        console.log(JSON.stringify({ echoed }));
      } else if (command === "close") {
        break read;
      }
    }
  }
  await closeAll(sockets, 5000);
  clearTimeout(lifetime);
}

if (import.meta.main) {
  const mode = flags.get("mode") ?? "echo";
  if (mode === "echo") await runEcho();
  else if (mode === "idle") await runIdle();
  else {
    console.error(`--mode must be echo or idle, not ${mode}`);
    Deno.exit(2);
  }
  // Timers of closed sockets must not keep the process alive.
  Deno.exit(0);
}
