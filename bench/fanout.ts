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
 * Run: `deno task bench:fanout` (Bun, Node and npm on the PATH; `ws` is installed into
 * `bench/.node` on first use).
 * Flags: `--rounds N` (3), `--warmup MS` (1000), `--duration MS` (3000),
 * `--subscribers N` (1000), `--window N` (32), `--sizes 64,1024`,
 * `--only ours,broadcaster,bun,ws,native`.
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

const SERVERS = {
  ours: {
    name: "ours, `PubSub`",
    command: [Deno.execPath(), "run", "--allow-net=127.0.0.1", "bench/fanout_server.ts"],
  },
  broadcaster: {
    name: "ours, `Broadcaster`",
    command: [
      Deno.execPath(),
      "run",
      "--allow-net=127.0.0.1",
      "bench/fanout_server.ts",
      "--impl",
      "broadcaster",
    ],
  },
  bun: { name: "Bun `server.publish`", command: ["bun", "bench/fanout_bun.ts"] },
  ws: { name: "`ws` loop (Node)", command: ["node", "bench/fanout_ws.mjs"] },
  native: {
    name: "Deno native loop",
    command: [Deno.execPath(), "run", "--allow-net=127.0.0.1", "bench/fanout_native.ts"],
  },
} as const;
type Key = keyof typeof SERVERS;
const KEYS = (flags.get("only") ?? "ours,broadcaster,bun,ws,native").split(",") as Key[];
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

async function runLoad(port: number, serverPid: number, size: number): Promise<Result> {
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
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  let output = "";
  let cpuStart: number | undefined;
  let cpuEnd: number | undefined;
  for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) {
    output += text;
    if (cpuStart === undefined && output.includes("measuring\n")) cpuStart = cpuSeconds(serverPid);
    if (cpuEnd === undefined && output.includes("}")) cpuEnd = cpuSeconds(serverPid);
  }
  const { code } = await child.status;
  if (code !== 0 || cpuStart === undefined || cpuEnd === undefined) {
    throw new Error(`generator failed: ${await stderr}\n${output}`);
  }
  const result = JSON.parse(output.trim().split("\n").at(-1)!);
  return { ...result, serverCpu: ((cpuEnd - cpuStart) / result.deliveries) * 1e6 };
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
        const result = await runLoad(server.port, server.pid, size);
        console.error(
          `round ${round + 1}, ${size} B, ${key}: ${Math.round(result.perSecond)} deliveries/s, ` +
            `p99 ${result.p99.toFixed(1)} ms`,
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
  `rounds of ${DURATION} ms (median, range); ratio against Bun in the same round.`,
  "",
  "| server | size | deliveries/s (k) | ratio to Bun | server CPU µs/delivery | p50 ms | p99 ms | generator CPU |",
  "|---|---:|---:|---:|---:|---:|---:|---:|",
];
for (const size of SIZES) {
  const bun = results.get(`bun/${size}`);
  for (const key of KEYS) {
    const runs = results.get(`${key}/${size}`)!;
    const ratios = bun === undefined
      ? undefined
      : runs.map((run, i) => run.perSecond / bun[i]!.perSecond);
    lines.push(
      `| ${SERVERS[key].name} | ${size} B | ${range(runs.map((r) => r.perSecond), 0, 1000)} | ` +
        `${ratios === undefined ? "–" : range(ratios, 2)} | ` +
        `${range(runs.map((r) => r.serverCpu), 2)} | ${range(runs.map((r) => r.p50), 0)} | ` +
        `${range(runs.map((r) => r.p99), 0)} | ${median(runs.map((r) => r.cpu)).toFixed(2)} |`,
    );
  }
}
console.log(lines.join("\n"));
