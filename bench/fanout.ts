/**
 * Fan-out benchmark over loopback: one publisher, 1,000 subscribers, one
 * topic. Servers, each in its own process:
 *
 * - ours with `PubSub` (`bench/fanout_server.ts`): the frame is built once
 *   per publish and the same bytes go to every member's queue;
 * - ours with `Broadcaster` (`--impl broadcaster`): `send()` per member, as
 *   before `PubSub`;
 * - Bun's `server.publish` (`bench/fanout_bun.ts`, uWebSockets' topics);
 * - a `ws` loop on Node (`bench/fanout_ws.mjs`);
 * - a loop over Deno's native sockets (`bench/fanout_native.ts`).
 *
 * The load generator is the same for all: `bench/_fanout_load.mjs`, plain
 * `node:net` sockets in one Node process, with 32 messages in flight (a
 * message goes out when every subscriber has the one 32 before it). It
 * reports deliveries per second (a message received by one subscriber) and
 * the latency of each delivery, and the server's CPU time per delivery
 * (from /proc/PID/stat over the same window: under a noisy neighbour the
 * steadiest figure). Rounds are interleaved (the order of the
 * servers rotates) and the median round is shown with the range; the ratio
 * is against Bun in the same round, its median and range.
 *
 * With permessage-deflate (the `*-deflate` rows), every message compressed
 * whatever its size (thresholds set to 0), the generator inflating and
 * checking each:
 *
 * - without context takeover on the server side (the generator asks for
 *   `server_no_context_takeover`): ours with `PubSub`, one compressed frame
 *   for every member; Bun with its shared compressor (uWebSockets
 *   compresses the message again for each subscriber, in `send`); `ws`,
 *   which honours the request and compresses per `send()`;
 * - with context takeover (the generator offers what a browser does, the
 *   `*-deflate-ctx` rows): ours, each member compressing with its own
 *   context; Bun's dedicated compressors; `ws` as it is by default.
 *
 * Deno's native server does not negotiate permessage-deflate (it answers
 * without `Sec-WebSocket-Extensions`), so it has no deflate row.
 *
 * Run: `deno task bench:fanout` (Bun, Node and npm on the PATH; `ws` is installed into
 * `bench/.node` on first use).
 * Flags: `--rounds N` (3), `--warmup MS` (1000), `--duration MS` (3000),
 * `--subscribers N` (1000), `--window N` (32), `--sizes 64,1024`,
 * `--only ours,broadcaster,bun,ws,native,ours-deflate,bun-deflate,ws-deflate,`
 * `ours-deflate-ctx,bun-deflate-ctx,ws-deflate-ctx` (all).
 *
 * @module
 */
import { parseFlags } from "../examples/_args.ts";
import { ensureWs } from "./_node_ws.ts";

const { flags } = parseFlags(Deno.args);
const ROUNDS = Math.max(1, Number(flags.get("rounds") ?? 3));
const WARMUP = Number(flags.get("warmup") ?? 1000);
const DURATION = Number(flags.get("duration") ?? 3000);
const SUBSCRIBERS = Number(flags.get("subscribers") ?? 1000);
const WINDOW = Number(flags.get("window") ?? 32);
const SIZES = (flags.get("sizes") ?? "64,1024").split(",").map(Number);
const ROOT = new URL("../", import.meta.url).pathname;

const DENO_RUN = [Deno.execPath(), "run", "--allow-net=127.0.0.1"];

/**
 * The servers: how to start each, what the generator offers (`--deflate`
 * of `bench/_fanout_load.mjs`), and the Bun row its ratio is taken against
 * (the same compression mode).
 */
const SERVERS = {
  ours: {
    name: "ours, `PubSub`",
    command: [...DENO_RUN, "bench/fanout_server.ts"],
    offer: "off",
    peer: "bun",
  },
  broadcaster: {
    name: "ours, `Broadcaster`",
    command: [...DENO_RUN, "bench/fanout_server.ts", "--impl", "broadcaster"],
    offer: "off",
    peer: "bun",
  },
  bun: {
    name: "Bun `server.publish`",
    command: ["bun", "bench/fanout_bun.ts"],
    offer: "off",
    peer: "bun",
  },
  ws: {
    name: "`ws` loop (Node)",
    command: ["node", "bench/fanout_ws.mjs"],
    offer: "off",
    peer: "bun",
  },
  native: {
    name: "Deno native loop",
    command: [...DENO_RUN, "bench/fanout_native.ts"],
    offer: "off",
    peer: "bun",
  },
  "ours-deflate": {
    name: "ours, `PubSub`, deflate, no context: compressed once",
    command: [...DENO_RUN, "bench/fanout_server.ts", "--deflate", "no-context"],
    offer: "no-context",
    peer: "bun-deflate",
  },
  "bun-deflate": {
    name: "Bun `server.publish`, deflate, shared compressor",
    command: ["bun", "bench/fanout_bun.ts", "--deflate", "shared"],
    offer: "no-context",
    peer: "bun-deflate",
  },
  "ws-deflate": {
    name: "`ws` loop, deflate, no context",
    command: ["node", "bench/fanout_ws.mjs", "--deflate", "on"],
    offer: "no-context",
    peer: "bun-deflate",
  },
  "ours-deflate-ctx": {
    name: "ours, `PubSub`, deflate, context takeover",
    command: [...DENO_RUN, "bench/fanout_server.ts", "--deflate", "takeover"],
    offer: "browser",
    peer: "bun-deflate-ctx",
  },
  "bun-deflate-ctx": {
    name: "Bun `server.publish`, deflate, dedicated compressor",
    command: ["bun", "bench/fanout_bun.ts", "--deflate", "dedicated"],
    offer: "browser",
    peer: "bun-deflate-ctx",
  },
  "ws-deflate-ctx": {
    name: "`ws` loop, deflate, context takeover",
    command: ["node", "bench/fanout_ws.mjs", "--deflate", "on"],
    offer: "browser",
    peer: "bun-deflate-ctx",
  },
} as const;
type Key = keyof typeof SERVERS;
/** The row without compression of the same server, for the memory compression costs. */
const PLAIN: Partial<Record<Key, Key>> = {
  "ours-deflate": "ours",
  "ours-deflate-ctx": "ours",
  "bun-deflate": "bun",
  "bun-deflate-ctx": "bun",
  "ws-deflate": "ws",
  "ws-deflate-ctx": "ws",
};
const KEYS = (flags.get("only") ?? Object.keys(SERVERS).join(",")).split(",") as Key[];
for (const key of KEYS) {
  if (!(key in SERVERS)) throw new Error(`--only: unknown server ${key}`);
}

interface Result {
  deliveries: number;
  perSecond: number;
  p50: number;
  p99: number;
  /** The generator's CPU, in cores. */
  cpu: number;
  /** The server's CPU time per delivery, in µs. */
  serverCpu: number;
  /** The server's resident memory at the end of the window, in bytes. */
  rss: number;
  /** Deliveries that came compressed. */
  compressed: number;
  /** Mean payload bytes per delivery on the wire. */
  wireBytes: number;
  /** What the server answered in `Sec-WebSocket-Extensions`. */
  extension: string;
}

/**
 * User + system CPU seconds of a process, from /proc/PID/stat (clock ticks
 * of 10 ms), read with `cat` (Deno wants `--allow-all` to read /proc/PID).
 */
function cpuSeconds(pid: number): number {
  const output = new Deno.Command("cat", { args: [`/proc/${pid}/stat`], stderr: "null" })
    .outputSync();
  const stat = new TextDecoder().decode(output.stdout);
  // Fields after the parenthesised command name: utime is field 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The resident memory of a process in bytes, from /proc/PID/status (read as `cpuSeconds` does). */
function rssBytes(pid: number): number {
  const output = new Deno.Command("cat", { args: [`/proc/${pid}/status`], stderr: "null" })
    .outputSync();
  const kib = /VmRSS:\s+(\d+) kB/.exec(new TextDecoder().decode(output.stdout))?.[1];
  return Number(kib) * 1024;
}

/** Start a server on a free port; resolves once it prints its port. */
async function startServer(key: Key) {
  const [command, ...args] = SERVERS[key].command;
  const child = new Deno.Command(command, {
    args: [...args, "--port", "0"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  let port: number | undefined;
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  while (port === undefined) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${key} did not start: ${output}`);
    output += value;
    const match = /listening on (\d+)/.exec(output);
    if (match) port = Number(match[1]);
  }
  clearTimeout(timer);
  const drained = (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })();
  return {
    port,
    pid: child.pid,
    async stop() {
      child.kill("SIGKILL");
      await child.status;
      await drained;
    },
  };
}

async function runLoad(
  port: number,
  serverPid: number,
  size: number,
  offer: string,
): Promise<Result> {
  const child = new Deno.Command("node", {
    args: [
      "bench/_fanout_load.mjs",
      "--port",
      String(port),
      "--subscribers",
      String(SUBSCRIBERS),
      "--size",
      String(size),
      "--window",
      String(WINDOW),
      "--warmup",
      String(WARMUP),
      "--duration",
      String(DURATION),
      "--deflate",
      offer,
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  let output = "";
  let cpuStart: number | undefined;
  let cpuEnd: number | undefined;
  let rss = NaN;
  for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) {
    output += text;
    if (cpuStart === undefined && output.includes("measuring\n")) cpuStart = cpuSeconds(serverPid);
    if (cpuEnd === undefined && output.includes("}")) {
      cpuEnd = cpuSeconds(serverPid);
      rss = rssBytes(serverPid);
    }
  }
  const { code } = await child.status;
  if (code !== 0 || cpuStart === undefined || cpuEnd === undefined) {
    throw new Error(`generator failed: ${await stderr}\n${output}`);
  }
  const result = JSON.parse(output.trim().split("\n").at(-1)!);
  return { ...result, rss, serverCpu: ((cpuEnd - cpuStart) / result.deliveries) * 1e6 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function range(values: number[], digits: number, scale = 1): string {
  const f = (v: number) => (v / scale).toFixed(digits);
  return `${f(median(values))} (${f(Math.min(...values))}–${f(Math.max(...values))})`;
}

await ensureWs((line) => console.error(line));
const results = new Map<string, Result[]>();
for (let round = 0; round < ROUNDS; round++) {
  for (const size of SIZES) {
    const order = KEYS.map((_, i) => KEYS[(i + round) % KEYS.length]!);
    for (const key of order) {
      const server = await startServer(key);
      try {
        const result = await runLoad(server.port, server.pid, size, SERVERS[key].offer);
        console.error(
          `round ${round + 1}, ${size} B, ${key}: ${Math.round(result.perSecond)} deliveries/s, ` +
            `p99 ${result.p99.toFixed(1)} ms` +
            (SERVERS[key].offer === "off" ? "" : `, ${result.compressed} compressed`),
        );
        const runs = results.get(`${key}/${size}`) ?? [];
        runs.push(result);
        results.set(`${key}/${size}`, runs);
      } finally {
        await server.stop();
      }
    }
  }
}

const lines = [
  `Fan-out to ${SUBSCRIBERS} subscribers, ${WINDOW} messages in flight, ${ROUNDS} interleaved ` +
  `rounds of ${DURATION} ms (median, range); ratio against Bun in the same round and the same ` +
  "compression mode; wire: mean payload bytes per delivery; server RSS at the end of the " +
  "window; compression memory: that RSS less the same server's without compression in the " +
  "same round, per subscriber.",
  "",
  "| server | size | deliveries/s (k) | ratio to Bun | server CPU µs/delivery | p50 ms | p99 ms " +
  "| wire B | server RSS MB | compression KiB/conn | generator CPU |",
  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
];
const notes: string[] = [];
for (const size of SIZES) {
  for (const key of KEYS) {
    const runs = results.get(`${key}/${size}`)!;
    const bun = results.get(`${SERVERS[key].peer}/${size}`);
    const ratios = bun?.map((run, i) => runs[i]!.perSecond / run.perSecond);
    const plain = PLAIN[key] === undefined ? undefined : results.get(`${PLAIN[key]}/${size}`);
    const memory = plain === undefined
      ? "–"
      : range(runs.map((run, i) => (run.rss - plain[i]!.rss) / SUBSCRIBERS), 0, 1024);
    lines.push(
      `| ${SERVERS[key].name} | ${size} B | ${range(runs.map((r) => r.perSecond), 0, 1000)} | ` +
        `${ratios === undefined ? "–" : range(ratios, 2)} | ` +
        `${range(runs.map((r) => r.serverCpu), 2)} | ${range(runs.map((r) => r.p50), 0)} | ` +
        `${range(runs.map((r) => r.p99), 0)} | ${
          median(runs.map((r) => r.wireBytes)).toFixed(0)
        } | ` +
        `${median(runs.map((r) => r.rss / 2 ** 20)).toFixed(0)} | ${memory} | ` +
        `${median(runs.map((r) => r.cpu)).toFixed(2)} |`,
    );
    if (SERVERS[key].offer === "off") continue;
    const uncompressed = runs.reduce((sum, r) => sum + r.deliveries - r.compressed, 0);
    if (uncompressed > 0) notes.push(`${key}, ${size} B: ${uncompressed} deliveries uncompressed`);
    if (size === SIZES[0]) notes.push(`${key} answered: ${runs[0]!.extension || "no extension"}`);
  }
}
console.log([...lines, "", ...notes].join("\n"));
