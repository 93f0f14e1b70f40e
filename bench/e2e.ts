/**
 * End-to-end benchmark over loopback, side by side in one run:
 *
 * 1. Echo servers: this module's (`examples/echo_server.ts`), Deno's native
 *    one (`bench/native_echo_server.ts`), `ws` on Node
 *    (`bench/ws_echo_server.mjs`) and Bun's native one
 *    (`bench/bun_echo_server.mjs`, `Bun.serve`, uWebSockets), all driven by
 *    the same load generator in its own process (`ECHO_SCENARIOS`): 1, 8 and
 *    64 connections × 16 binary messages in flight × 64 B and 16 KiB, one
 *    connection × 1 in flight at each (service latency: at 16 in flight the
 *    round trip is mostly queueing, Little's law), and 1 MiB and 16 MiB
 *    with fewer messages in flight so that memory stays bounded;
 *    messages/s, round-trip p50/p99, server CPU per message. Once per load
 *    generator (`--generators`, default `frames,outside`):
 *    - `frames` (`bench/_frame_socket.ts`, Deno): masked frames written
 *      straight to the socket, the sends of one task in one write, replies
 *      parsed without building messages. It needs less CPU than any of the
 *      servers, so this table ranks the servers (each runs at one full core).
 *    - `outside` (`bench/echo_load_outside.mjs`, plain Node `net`, written
 *      apart): one write per read batch, every echo checked byte for byte.
 *      How the client writes decides how often a server finds a frame split
 *      across its reads, so the headline table keeps, per row and peer, the
 *      worse of these two generators' ratios.
 *    - `native`: Deno's built-in `WebSocket` client, one write per message,
 *      a `MessageEvent` per reply. Closer to browsers, but at ~7 µs of CPU
 *      per round trip it saturates its core before a fast server does: where
 *      its CPU column reads ~1.0, the row measures the client.
 *    Ratios are ours ÷ peer: the ratio of the median rates, and the range of
 *    the per-round ratios (each from runs of the same round).
 * 2. Clients: Deno's native client against ours (`../mod.ts`), each in its
 *    own process, against the Deno native echo server, same scenarios.
 * 3. Memory: server RSS (VmRSS of /proc/PID/status) before and after opening
 *    N idle connections (5,000 when the open-file limit allows). Twice: with
 *    each runtime's default heap settings, and with the young generation held
 *    to 1 MiB semi-spaces (`--max-semi-space-size=1`, the same flag for Deno
 *    and Node). Opening thousands of connections in a burst makes V8 grow its
 *    young generation and keep it: it doubles the semi-spaces whenever more
 *    bytes have survived scavenges since the last growth than they hold, and
 *    every long-lived byte survives twice (copied, then promoted), so 5,000
 *    connections of ~5 KB of live state take it to 32 MiB (a bare
 *    accept-and-read Deno server stops at 16). Spread over 5,000 connections
 *    that reads as several KiB each, though it is a one-off cost of the
 *    burst, not of holding a connection. The second run shows what a
 *    connection itself keeps. A fourth column measures the floor: a bare
 *    `Deno.Conn` server (`bare_conn_server.ts`) that answers the handshake
 *    and keeps a read pending, with no WebSocket library.
 * 4. Floors: what an echo costs each runtime with no WebSocket library in
 *    the way (`bare_echo_server.ts` on Deno, `bare_echo_server.mjs` on Bun's
 *    `node:net`), alone and with what a WHATWG API must add per message (a
 *    fresh `ArrayBuffer`, then a dispatched `MessageEvent`), beside ours on
 *    both runtimes and Bun's native server (`FLOOR_SCENARIOS`).
 *
 * Prints Markdown tables and merges `echo` (every generator's table and the
 * headline), `client`, `memory` and `floors` into `bench/results.json`
 * (other keys, such as `core`, are kept). Every server and client is a
 * subprocess, killed on the way out, also on error.
 *
 * Run: `deno run --allow-run --allow-read --allow-write=bench/results.json bench/e2e.ts`
 * Flags: `--warmup MS` (1000), `--duration MS` (3000), `--rounds N` (1; the
 * median run of N interleaved rounds is kept, for echo and memory alike),
 * `--idle N` (5000),
 * `--only echo,client,memory,floors`, `--generators frames,outside,native` (default
 * `frames,outside`).
 *
 * @module
 */
import { parseFlags } from "../examples/_args.ts";
import type { EchoResult } from "./echo_load.ts";
import { ensureWs, WS_VERSION } from "./_node_ws.ts";
import { stop } from "./_stop.ts";
import { mergeResults } from "./_results.ts";
import { type Child, spawnChild, stopChildren } from "./_child.ts";

const ROOT = new URL("../", import.meta.url).pathname;

const { flags } = parseFlags(Deno.args);
const WARMUP_MS = Number(flags.get("warmup") ?? 1000);
const DURATION_MS = Number(flags.get("duration") ?? 3000);
const ROUNDS = Math.max(1, Number(flags.get("rounds") ?? 1));
const IDLE_TARGET = Number(flags.get("idle") ?? 5000);
const ONLY = new Set((flags.get("only") ?? "echo,client,memory,floors").split(","));
/** The load generator for the echo-server tables. */
type Generator = "frames" | "outside" | "native";
const GENERATOR_KEYS: Generator[] = ["frames", "outside", "native"];
const GENERATORS = (flags.get("generators") ?? "frames,outside").split(",") as Generator[];
for (const g of GENERATORS) {
  if (!GENERATOR_KEYS.includes(g)) {
    throw new Error(`--generators: frames, outside or native, not ${g}`);
  }
}
/** The generators whose worse ratio is the headline: the two that write frames themselves. */
const HEADLINE_GENERATORS: Generator[] = ["frames", "outside"];

/** Messages in flight per connection in the small-message rows, and the clients table. */
const INFLIGHT = 16;

interface Scenario {
  connections: number;
  /** Messages in flight per connection. */
  inflight: number;
  size: number;
}

const KiB = 1024;
const MiB = 1024 * 1024;
/**
 * The echo rows. 64 B and 16 KiB: 1, 8 and 64 connections × 16 in flight,
 * after a 1 × 1 row (service latency). 1 MiB and 16 MiB: fewer in flight,
 * so that what is in flight (on each side, and queued in the servers) stays
 * at 64 MiB or less and a round trip well under the window: 1 MiB at 1 and
 * 8 connections × 4 in flight and 64 × 1; 16 MiB at 1 connection × 2 in
 * flight and 4 × 1.
 */
const ECHO_SCENARIOS: Scenario[] = [
  ...[64, 16 * KiB].flatMap((size) => [
    { connections: 1, inflight: 1, size },
    ...[1, 8, 64].map((connections) => ({ connections, inflight: INFLIGHT, size })),
  ]),
  { connections: 1, inflight: 4, size: MiB },
  { connections: 8, inflight: 4, size: MiB },
  { connections: 64, inflight: 1, size: MiB },
  { connections: 1, inflight: 2, size: 16 * MiB },
  { connections: 4, inflight: 1, size: 16 * MiB },
];
/** The clients table: 1, 8 and 64 connections × 16 in flight × 64 B and 16 KiB. */
const CLIENT_SCENARIOS: Scenario[] = [64, 16 * KiB].flatMap((size) =>
  [1, 8, 64].map((connections) => ({ connections, inflight: INFLIGHT, size }))
);

type ServerKey = "ours" | "native" | "ws" | "bun";
/** The memory table has no Bun column, and adds a floor: a bare `Deno.Conn` server (`bench/bare_conn_server.ts`). */
type MemoryKey = Exclude<ServerKey, "bun"> | "bare";
type PeerKey = Exclude<ServerKey, "ours">;
/**
 * The floors table: bare echo loops with no WebSocket library
 * (`bench/bare_echo_server.ts` on Deno, `.mjs` on Bun's `node:net`), alone
 * and with what a WHATWG API must add per message (a fresh `ArrayBuffer`, a
 * dispatched `MessageEvent`), beside ours and Bun's native server, on both
 * runtimes.
 */
type FloorKey =
  | "floor"
  | "floorBuffer"
  | "floorEvent"
  | "ours"
  | "floorBun"
  | "floorBunBuffer"
  | "floorBunEvent"
  | "oursBun"
  | "bun";
const FLOOR_KEYS: FloorKey[] = [
  "floor",
  "floorBuffer",
  "floorEvent",
  "ours",
  "floorBun",
  "floorBunBuffer",
  "floorBunEvent",
  "oursBun",
  "bun",
];
const FLOOR_NAMES: Record<FloorKey, string> = {
  floor: "Deno: bare loop",
  floorBuffer: "Deno: bare loop + an ArrayBuffer per message",
  floorEvent: "Deno: bare loop + ArrayBuffer + MessageEvent",
  ours: "Deno: ours (`examples/echo_server.ts`)",
  floorBun: "Bun: bare loop (`node:net`)",
  floorBunBuffer: "Bun: bare loop + an ArrayBuffer per message",
  floorBunEvent: "Bun: bare loop + ArrayBuffer + MessageEvent",
  oursBun: "Bun: ours (`bench/node_echo_server.ts`)",
  bun: "Bun: native (`Bun.serve`)",
};
/** The floors rows: 8 connections × 16 in flight, 64 B and 16 KiB (the bare loops take 16-bit lengths). */
const FLOOR_SCENARIOS: Scenario[] = [64, 16 * KiB].map((size) => ({
  connections: 8,
  inflight: INFLIGHT,
  size,
}));
const GENERATOR_TITLES: Record<Generator, string> = {
  frames: "lean frame writer (`bench/_frame_socket.ts`, Deno; the sends of one task in one write)",
  outside:
    "outside generator (`bench/echo_load_outside.mjs`, plain Node `net`; one write per read batch)",
  native: "native client (Deno's built-in `WebSocket`; one write per message)",
};
/** V8 young generation held small (MiB per semi-space), for the second memory run. */
const SMALL_SEMI_SPACE = 1;
/** The echo servers; Bun's is left out when `bun` is not installed. */
let SERVER_KEYS: ServerKey[] = ["ours", "native", "ws", "bun"];
let PEER_KEYS: PeerKey[] = ["native", "ws", "bun"];
const MEMORY_KEYS: MemoryKey[] = ["ours", "native", "ws", "bare"];
const SERVER_NAMES: Record<ServerKey | MemoryKey, string> = {
  ours: "ours",
  native: "Deno native",
  ws: "ws (Node)",
  bun: "Bun native",
  bare: "bare Deno.Conn (floor)",
};
/** Short column names of the servers in ratio and latency headers. */
const SHORT: Record<ServerKey, string> = { ours: "ours", native: "native", ws: "ws", bun: "Bun" };

function serverCommand(
  key: ServerKey | MemoryKey | FloorKey,
  semiSpaceMiB?: number,
): [string, string[]] {
  const address = ["--host", "127.0.0.1", "--port", "0"];
  const perMessage = { floor: "none", floorBuffer: "buffer", floorEvent: "event" } as const;
  const perMessageBun = {
    floorBun: "none",
    floorBunBuffer: "buffer",
    floorBunEvent: "event",
  } as const;
  const v8 = semiSpaceMiB === undefined ? [] : [`--max-semi-space-size=${semiSpaceMiB}`];
  const denoV8 = v8.length === 0 ? [] : [`--v8-flags=${v8.join(",")}`];
  switch (key) {
    case "ours":
      return [Deno.execPath(), [
        "run",
        "--allow-net=127.0.0.1",
        ...denoV8,
        "examples/echo_server.ts",
        ...address,
      ]];
    case "native":
      return [Deno.execPath(), [
        "run",
        "--allow-net=127.0.0.1",
        ...denoV8,
        "bench/native_echo_server.ts",
        ...address,
      ]];
    case "ws":
      return ["node", [...v8, "bench/ws_echo_server.mjs", ...address]];
    case "bun":
      return ["bun", ["bench/bun_echo_server.mjs", ...address]];
    case "bare":
      return [Deno.execPath(), [
        "run",
        "--allow-net=127.0.0.1",
        ...denoV8,
        "bench/bare_conn_server.ts",
        ...address,
      ]];
    case "floor":
    case "floorBuffer":
    case "floorEvent":
      return [Deno.execPath(), [
        "run",
        "--allow-net=127.0.0.1",
        "bench/bare_echo_server.ts",
        "--per-message",
        perMessage[key],
        ...address,
      ]];
    case "floorBun":
    case "floorBunBuffer":
    case "floorBunEvent":
      return ["bun", [
        "bench/bare_echo_server.mjs",
        "--per-message",
        perMessageBun[key],
        ...address,
      ]];
    case "oursBun":
      return ["bun", ["bench/node_echo_server.ts", ...address]];
  }
}

// ---------------------------------------------------------------- processes

/** A child process (`bench/_child.ts`). */
type Proc = Child;

/** The soft and hard open-file limits of this process. */
function openFileLimits(): { soft: number; hard: number } {
  const text = catSync(`/proc/${Deno.pid}/limits`);
  const match = text?.match(/Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/);
  const parse = (v: string | undefined) => v === "unlimited" ? Infinity : Number(v ?? 1024);
  return { soft: parse(match?.[1]), hard: parse(match?.[2]) };
}

/** The open-file limit children get: raised through `sh -c ulimit` when needed. */
let childFileLimit: number | undefined;

function spawn(command: string, args: string[], stdin?: "piped"): Proc {
  return spawnChild(command, args, { cwd: ROOT, stdin, fileLimit: childFileLimit });
}

function stopAll(): Promise<void> {
  return stopChildren(1000);
}

function catSync(path: string): string | null {
  const output = new Deno.Command("cat", { args: [path], stderr: "null" }).outputSync();
  return output.success ? new TextDecoder().decode(output.stdout) : null;
}

/** VmRSS of a process in KiB (Deno wants --allow-all to read /proc/PID itself). */
function rssKiB(pid: number): number {
  const status = catSync(`/proc/${pid}/status`);
  const match = status?.match(/VmRSS:\s+(\d+)\s+kB/);
  if (match === undefined || match === null) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function log(message: string): void {
  console.error(`[e2e ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

// ------------------------------------------------------------------ servers

interface Server {
  key: ServerKey | MemoryKey | FloorKey;
  proc: Proc;
  url: string;
  pid: number;
}

async function startServer(
  key: ServerKey | MemoryKey | FloorKey,
  semiSpaceMiB?: number,
): Promise<Server> {
  const [command, args] = serverCommand(key, semiSpaceMiB);
  const proc = spawn(command, args);
  let line: string | null;
  try {
    line = await proc.line(30_000);
  } catch (error) {
    await stop(proc.child);
    throw new Error(`${key} server did not start: ${error}\n${proc.stderr()}`);
  }
  const match = line?.match(/^listening on (ws:\/\/\S+)$/);
  if (match === null || match === undefined) {
    await stop(proc.child);
    throw new Error(`${key} server said ${JSON.stringify(line)}\n${proc.stderr()}`);
  }
  return { key, proc, url: `${match[1]}/`, pid: proc.child.pid };
}

// ------------------------------------------------------------------ load runs

/** Runs one load generator (`generator`, or this module's client: `ours`) against `url`. */
async function runLoad(
  url: string,
  generator: Generator | "ours",
  scenario: Scenario,
  serverPid: number,
): Promise<EchoResult> {
  const common = [
    "--url",
    url,
    "--connections",
    String(scenario.connections),
    "--inflight",
    String(scenario.inflight),
    "--size",
    String(scenario.size),
    "--warmup",
    String(WARMUP_MS),
    "--duration",
    String(DURATION_MS),
    "--server-pid",
    String(serverPid),
  ];
  const proc = generator === "outside"
    ? spawn("node", ["bench/echo_load_outside.mjs", ...common])
    : spawn(Deno.execPath(), [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-run=cat",
      "bench/echo_load.ts",
      "--client",
      generator,
      // The lean generator coalesces the sends of one task, like this module's client.
      ...(generator === "frames" ? ["--writes", "batch"] : []),
      ...common,
    ]);
  // Opening, warm-up, the window and a bounded drain; then it is stuck.
  const deadline = setTimeout(() => void stop(proc.child), WARMUP_MS + DURATION_MS + 30_000);
  let last: string | null = null;
  for (;;) {
    const line = await proc.line(WARMUP_MS + DURATION_MS + 60_000).catch(() => null);
    if (line === null) break;
    if (line.startsWith("{")) last = line;
  }
  const status = await proc.child.status;
  clearTimeout(deadline);
  if (!status.success || last === null) {
    throw new Error(
      `${generator} load generator failed (${status.code}) on ${url}:\n${proc.stderr()}`,
    );
  }
  const result = JSON.parse(last) as EchoResult;
  if (result.errors > 0) log(`warning: ${result.errors} errors (${generator} on ${url})`);
  return result;
}

/** The run with the median messages/s. */
function median(runs: EchoResult[]): EchoResult {
  const sorted = [...runs].sort((a, b) => a.messagesPerSecond - b.messagesPerSecond);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** A ratio: of the median rates, with the range of the per-round ratios. */
interface Ratio {
  median: number;
  min: number;
  max: number;
}

function sizeName(size: number): string {
  return size >= MiB ? `${size / MiB} MiB` : size >= KiB ? `${size / KiB} KiB` : `${size} B`;
}

function scenarioName(s: Scenario): string {
  return `${s.connections} conn × ${s.inflight} in flight, ${sizeName(s.size)}`;
}

const scenarioId = (s: Scenario) => `${s.connections} ${s.inflight} ${s.size}`;

interface EchoRow extends Scenario {
  /** The median run of each server. */
  results: Partial<Record<ServerKey, EchoResult>>;
  /** Ours ÷ each peer. */
  ratios: Partial<Record<PeerKey, Ratio>>;
}

/** Per row and peer, the worse (lower) ratio of the two frame generators, and whose it is. */
interface HeadlineRow extends Scenario {
  ratios: Partial<Record<PeerKey, Ratio & { generator: Generator }>>;
}

async function echoBench(
  servers: Partial<Record<ServerKey, Server>>,
): Promise<Partial<Record<Generator, EchoRow[]>>> {
  // Every run, by generator, server and scenario, in round order.
  const runs = new Map<string, EchoResult[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const generator of GENERATORS) {
      for (const scenario of ECHO_SCENARIOS) {
        // Interleaved, so that drift on a shared machine hits every server alike.
        for (const key of SERVER_KEYS) {
          const server = servers[key]!;
          log(
            `echo round ${round + 1}/${ROUNDS}, ${generator} generator: ${SERVER_NAMES[key]}, ${
              scenarioName(scenario)
            }`,
          );
          const result = await runLoad(server.url, generator, scenario, server.pid);
          const id = `${generator} ${key} ${scenarioId(scenario)}`;
          runs.set(id, [...(runs.get(id) ?? []), result]);
        }
      }
    }
  }
  return Object.fromEntries(GENERATORS.map((generator) => [
    generator,
    ECHO_SCENARIOS.map((scenario): EchoRow => {
      const of = (key: ServerKey) => runs.get(`${generator} ${key} ${scenarioId(scenario)}`)!;
      const results = Object.fromEntries(SERVER_KEYS.map((key) => [key, median(of(key))]));
      const ratios = Object.fromEntries(PEER_KEYS.map((peer) => {
        // A round whose window saw no echo (a short window at 16 MiB) has no ratio.
        const perRound = of("ours")
          .map((r, i) => r.messagesPerSecond / of(peer)[i]!.messagesPerSecond)
          .filter((ratio) => Number.isFinite(ratio) && ratio > 0);
        return [peer, {
          median: results.ours!.messagesPerSecond / results[peer]!.messagesPerSecond,
          min: Math.min(...perRound),
          max: Math.max(...perRound),
        }];
      }));
      return { ...scenario, results, ratios };
    }),
  ]));
}

/** The worse of the frame generators' ratios, per row and peer. */
function headline(echo: Partial<Record<Generator, EchoRow[]>>): HeadlineRow[] {
  const generators = HEADLINE_GENERATORS.filter((g) => echo[g] !== undefined);
  if (generators.length === 0) return [];
  return ECHO_SCENARIOS.map((scenario, i) => ({
    ...scenario,
    ratios: Object.fromEntries(PEER_KEYS.map((peer) => {
      const [worst] = generators
        .map((generator) => ({ generator, ...echo[generator]![i]!.ratios[peer]! }))
        .sort((a, b) => a.median - b.median);
      return [peer, worst!];
    })),
  }));
}

/** One floors row: each server's median run. */
interface FloorRow extends Scenario {
  results: Partial<Record<FloorKey, EchoResult>>;
}

/** The floors: every server of `FLOOR_KEYS`, lean generator, rounds interleaved. */
async function floorsBench(keys: FloorKey[]): Promise<FloorRow[]> {
  const runs = new Map<string, EchoResult[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const key of keys) {
      // One process per server per round: a floor must not inherit another's heap.
      const server = await startServer(key);
      try {
        for (const scenario of FLOOR_SCENARIOS) {
          log(
            `floors round ${round + 1}/${ROUNDS}: ${FLOOR_NAMES[key]}, ${scenarioName(scenario)}`,
          );
          const result = await runLoad(server.url, "frames", scenario, server.pid);
          const id = `${key} ${scenarioId(scenario)}`;
          runs.set(id, [...(runs.get(id) ?? []), result]);
        }
      } finally {
        await stop(server.proc.child);
      }
    }
  }
  return FLOOR_SCENARIOS.map((scenario) => ({
    ...scenario,
    results: Object.fromEntries(
      keys.map((key) => [key, median(runs.get(`${key} ${scenarioId(scenario)}`)!)]),
    ),
  }));
}

/** Server CPU per echo in µs. */
function cpuPerEcho(r: EchoResult): number {
  return (r.serverCpu ?? NaN) / r.messagesPerSecond * 1e6;
}

function floorsTable(rows: FloorRow[], keys: FloorKey[]): string {
  const header = ["server", ...rows.flatMap((r) => [`${sizeName(r.size)} msg/s`, "CPU µs/echo"])];
  const lines = keys.map((key) => [
    FLOOR_NAMES[key],
    ...rows.flatMap((r) => {
      const result = r.results[key]!;
      return [
        Math.round(result.messagesPerSecond).toLocaleString("en-US"),
        cpuPerEcho(result).toFixed(2),
      ];
    }),
  ]);
  return "### Floors: what each runtime costs per echo without a WebSocket library\n\n" +
    `8 connections × ${INFLIGHT} in flight, lean generator; server CPU per echo is the figure ` +
    "to read (the generator sets the pace of the fastest).\n\n" +
    table(header, ["---", ...header.slice(1).map(() => "---:")], lines);
}

type ClientKey = "native" | "ours";
interface ClientRow extends Scenario {
  results: Record<ClientKey, EchoResult>;
}

async function clientBench(server: Server): Promise<ClientRow[]> {
  const runs = new Map<string, EchoResult[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const scenario of CLIENT_SCENARIOS) {
      for (const client of ["native", "ours"] as const) {
        log(`client round ${round + 1}/${ROUNDS}: ${client} client, ${scenarioName(scenario)}`);
        const result = await runLoad(server.url, client, scenario, server.pid);
        const id = `${client} ${scenarioId(scenario)}`;
        runs.set(id, [...(runs.get(id) ?? []), result]);
      }
    }
  }
  return CLIENT_SCENARIOS.map((scenario) => ({
    ...scenario,
    results: {
      native: median(runs.get(`native ${scenarioId(scenario)}`)!),
      ours: median(runs.get(`ours ${scenarioId(scenario)}`)!),
    },
  }));
}

// ------------------------------------------------------------------- memory

/** Who opens the idle connections: Deno's `WebSocket` (`echo_load.ts`) or the outside generator. */
type IdleClient = "deno" | "outside";

interface MemoryRow {
  server: MemoryKey;
  client: IdleClient;
  /** `--max-semi-space-size` given to the server, or null for the runtime's default. */
  semiSpaceMiB: number | null;
  connections: number;
  failed: number;
  rssBeforeKiB: number;
  rssIdleKiB: number;
  rssAfterEchoKiB: number;
  /** (idle − before) / connections. */
  kibPerIdleConnection: number;
  /** (after one 64 B echo on each − before) / connections. */
  kibPerConnectionAfterEcho: number;
}

/** Open `count` idle connections from a fresh client process; returns it once they are open. */
async function openIdle(
  url: string,
  count: number,
  client: IdleClient = "deno",
): Promise<{ proc: Proc; opened: number; failed: number }> {
  const proc = client === "deno"
    ? spawn(Deno.execPath(), [
      "run",
      "--allow-net=127.0.0.1",
      "bench/echo_load.ts",
      "--mode",
      "idle",
      "--url",
      url,
      "--count",
      String(count),
      "--lifetime",
      "180000",
    ], "piped")
    : spawn("node", [
      "bench/echo_load_outside.mjs",
      "--mode",
      "idle",
      "--url",
      url,
      "--connections",
      String(count),
      "--size",
      "64",
      "--timeout",
      "180000",
    ], "piped");
  const line = await proc.line(120_000);
  if (line === null || !line.startsWith("{")) {
    await stop(proc.child);
    throw new Error(`idle client failed: ${line}\n${proc.stderr()}`);
  }
  const { opened, failed } = JSON.parse(line) as { opened: number; failed: number };
  return { proc, opened, failed };
}

async function command(proc: Proc, text: string): Promise<void> {
  const writer = proc.child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(`${text}\n`));
  writer.releaseLock();
}

async function closeIdle(proc: Proc): Promise<void> {
  await command(proc, "close").catch(() => {});
  await proc.child.stdin.close().catch(() => {});
  const timer = setTimeout(() => void stop(proc.child), 15_000);
  await proc.child.status;
  clearTimeout(timer);
}

async function memoryBench(
  key: MemoryKey,
  count: number,
  semiSpaceMiB: number | undefined,
  client: IdleClient,
): Promise<MemoryRow> {
  const server = await startServer(key, semiSpaceMiB);
  try {
    // Warm up the connection path (code, caches) so that it is not counted per connection.
    const warm = await openIdle(server.url, 100, client);
    await command(warm.proc, "echo");
    await warm.proc.line(30_000);
    await closeIdle(warm.proc);
    await sleep(1500);
    const before = rssKiB(server.pid);
    const idle = await openIdle(server.url, count, client);
    await sleep(1500);
    const after = rssKiB(server.pid);
    await command(idle.proc, "echo");
    await idle.proc.line(60_000);
    await sleep(1000);
    const afterEcho = rssKiB(server.pid);
    await closeIdle(idle.proc);
    const n = idle.opened;
    return {
      server: key,
      client,
      semiSpaceMiB: semiSpaceMiB ?? null,
      connections: n,
      failed: idle.failed,
      rssBeforeKiB: before,
      rssIdleKiB: after,
      rssAfterEchoKiB: afterEcho,
      kibPerIdleConnection: (after - before) / n,
      kibPerConnectionAfterEcho: (afterEcho - before) / n,
    };
  } finally {
    await stop(server.proc.child);
  }
}

// ------------------------------------------------------------------- tables

const fmtRate = (n: number) => Math.round(n).toLocaleString("en-US");
/** A round trip in ms; "–" when the window saw none (the JSON line then holds null). */
const fmtMs = (n: number | null) =>
  n === null || !Number.isFinite(n) ? "–" : n < 10 ? n.toFixed(2) : n.toFixed(1);
const fmtRatio = (n: number) => Number.isFinite(n) ? `${n.toFixed(2)}×` : "–";
const fmtRatioRange = (r: Ratio) =>
  ROUNDS > 1 && Number.isFinite(r.median) && Number.isFinite(r.min)
    ? `${fmtRatio(r.median)} (${r.min.toFixed(2)}–${r.max.toFixed(2)})`
    : fmtRatio(r.median);
/** Server (or client) CPU time per round trip, in µs. */
const cpuPerMessage = (cpu: number | null, r: EchoResult) => {
  if (cpu === null || !Number.isFinite(cpu)) return "–";
  const us = (cpu / r.messagesPerSecond) * 1e6;
  return us < 100 ? us.toFixed(1) : fmtRate(us);
};

function table(header: string[], align: string[], rows: string[][]): string {
  return [
    `| ${header.join(" | ")} |`,
    `| ${align.join(" | ")} |`,
    ...rows.map((row) => `| ${row.join(" | ")} |`),
  ].join("\n");
}

function echoTables(rows: EchoRow[], generator: Generator): string {
  const keys = SERVER_KEYS;
  const throughput = table(
    [
      "conns",
      "in flight",
      "size",
      ...keys.map((k) => `${SERVER_NAMES[k]} msg/s`),
      ...PEER_KEYS.map((p) => `ours÷${SHORT[p]}`),
    ],
    ["---:", "---:", "---:", ...keys.map(() => "---:"), ...PEER_KEYS.map(() => "---:")],
    rows.map((r) => [
      String(r.connections),
      String(r.inflight),
      sizeName(r.size),
      ...keys.map((k) => fmtRate(r.results[k]!.messagesPerSecond)),
      ...PEER_KEYS.map((p) => fmtRatioRange(r.ratios[p]!)),
    ]),
  );
  const latency = table(
    [
      "conns",
      "in flight",
      "size",
      "round trip is",
      ...keys.map((k) => `${SHORT[k]} p50 / p99 ms`),
      `server CPU µs/echo: ${keys.map((k) => SHORT[k]).join(" / ")}`,
      `generator CPU (cores): ${keys.map((k) => SHORT[k]).join(" / ")}`,
    ],
    ["---:", "---:", "---:", "---", ...keys.map(() => "---:"), "---:", "---:"],
    rows.map((r) => [
      String(r.connections),
      String(r.inflight),
      sizeName(r.size),
      r.connections * r.inflight === 1 ? "service" : "queueing",
      ...keys.map((k) => `${fmtMs(r.results[k]!.p50Ms)} / ${fmtMs(r.results[k]!.p99Ms)}`),
      keys.map((k) => cpuPerMessage(r.results[k]!.serverCpu, r.results[k]!)).join(" / "),
      keys.map((k) => r.results[k]!.clientCpu.toFixed(2)).join(" / "),
    ]),
  );
  return `### Echo servers, load from the ${GENERATOR_TITLES[generator]}\n\n` +
    `Messages/s (median of ${ROUNDS} round(s)); ratios: ours ÷ peer, ratio of the medians` +
    `${ROUNDS > 1 ? " (range of the per-round ratios)" : ""}:\n\n${throughput}\n\n` +
    `Round-trip time, server CPU time per echo, and the CPU the load generator used (1.00 = a ` +
    `full core: the generator, not the server, set the pace). With one message in flight on one ` +
    `connection the round trip is service latency; with more, it is mostly time spent queued ` +
    `behind the others (Little's law: mean round trip = messages in flight ÷ messages/s):\n\n` +
    `${latency}`;
}

/** Per row and peer, the worse ratio of the two frame generators (f: frames, o: outside). */
function headlineTable(rows: HeadlineRow[]): string {
  const body = table(
    ["conns", "in flight", "size", ...PEER_KEYS.map((p) => `ours÷${SHORT[p]}`)],
    ["---:", "---:", "---:", ...PEER_KEYS.map(() => "---:")],
    rows.map((r) => [
      String(r.connections),
      String(r.inflight),
      sizeName(r.size),
      ...PEER_KEYS.map((p) => {
        const ratio = r.ratios[p]!;
        return `${fmtRatioRange(ratio)} ${ratio.generator === "frames" ? "f" : "o"}`;
      }),
    ]),
  );
  const both = HEADLINE_GENERATORS.every((g) => GENERATORS.includes(g));
  return `### Headline: ours ÷ peer, messages/s, ${
    both ? "the worse of the two frame generators" : "one frame generator only"
  }\n\n` +
    `f: the lean generator's ratio (\`bench/_frame_socket.ts\`), o: the outside one's ` +
    `(\`bench/echo_load_outside.mjs\`)${both ? ", whichever is lower" : ""}${
      ROUNDS > 1 ? "; in brackets the range of its per-round ratios" : ""
    }:\n\n${body}`;
}

function clientTables(rows: ClientRow[]): string {
  const body = table(
    [
      "conns",
      "size",
      "ours msg/s",
      "Deno native msg/s",
      "ours÷native",
      "ours p50 / p99 ms",
      "native p50 / p99 ms",
      "client CPU µs/msg: ours / native",
    ],
    ["---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:"],
    rows.map((r) => [
      String(r.connections),
      sizeName(r.size),
      fmtRate(r.results.ours.messagesPerSecond),
      fmtRate(r.results.native.messagesPerSecond),
      fmtRatio(r.results.ours.messagesPerSecond / r.results.native.messagesPerSecond),
      `${fmtMs(r.results.ours.p50Ms)} / ${fmtMs(r.results.ours.p99Ms)}`,
      `${fmtMs(r.results.native.p50Ms)} / ${fmtMs(r.results.native.p99Ms)}`,
      `${cpuPerMessage(r.results.ours.clientCpu, r.results.ours)} / ${
        cpuPerMessage(r.results.native.clientCpu, r.results.native)
      }`,
    ]),
  );
  return `### Clients (against the Deno native echo server)\n\n${body}`;
}

function memoryTable(rows: MemoryRow[]): string {
  const groups = [...new Map(rows.map((r) => [`${r.client} ${r.semiSpaceMiB}`, r])).values()];
  const mib = (kib: number) => (kib / 1024).toFixed(1);
  const tables = groups.map(({ client, semiSpaceMiB: semiSpace }) => {
    const cell = (key: MemoryKey, _: number | null, f: (r: MemoryRow) => string) => {
      const r = rows.find((row) =>
        row.server === key && row.semiSpaceMiB === semiSpace && row.client === client
      );
      return r === undefined ? "–" : f(r);
    };
    const body = table(
      ["", ...MEMORY_KEYS.map((k) => SERVER_NAMES[k])],
      ["---", ...MEMORY_KEYS.map(() => "---:")],
      [
        [
          "idle connections",
          ...MEMORY_KEYS.map((k) => cell(k, semiSpace, (r) => String(r.connections))),
        ],
        [
          "RSS before, MiB",
          ...MEMORY_KEYS.map((k) => cell(k, semiSpace, (r) => mib(r.rssBeforeKiB))),
        ],
        [
          "RSS with idle connections, MiB",
          ...MEMORY_KEYS.map((k) => cell(k, semiSpace, (r) => mib(r.rssIdleKiB))),
        ],
        [
          "**KiB per idle connection**",
          ...MEMORY_KEYS.map((k) =>
            cell(k, semiSpace, (r) => `**${r.kibPerIdleConnection.toFixed(1)}**`)
          ),
        ],
        [
          "KiB per connection after one 64 B echo each",
          ...MEMORY_KEYS.map((k) =>
            cell(k, semiSpace, (r) => r.kibPerConnectionAfterEcho.toFixed(1))
          ),
        ],
      ],
    );
    const title = (semiSpace === null
      ? "default heap settings"
      : `young generation held to ${semiSpace} MiB semi-spaces (\`--max-semi-space-size=${semiSpace}\`)`) +
      (client === "deno"
        ? ", idle connections from Deno's `WebSocket`"
        : ", idle connections from the outside generator (Node `net`)");
    return `${title}:\n\n${body}`;
  });
  return `### Server memory (VmRSS)\n\n${tables.join("\n\n")}`;
}

function targets(
  echo: HeadlineRow[],
  client: ClientRow[] | undefined,
  memory: MemoryRow[] | undefined,
): string {
  const lines: string[] = [];
  const mark = (ok: boolean) => (ok ? "met" : "**not met**");
  // Issue 18: every echo row ≥ 1.2× Deno native under both frame generators,
  // and 64 B and 16 KiB ≥ 0.9× Bun's native server (stretch 1.0×).
  for (const r of echo) {
    const parts: string[] = [];
    const vsNative = r.ratios.native?.median;
    if (vsNative !== undefined) {
      parts.push(`${fmtRatio(vsNative)} native (≥1.20×: ${mark(vsNative >= 1.2)})`);
    }
    const vsBun = r.ratios.bun?.median;
    if (vsBun !== undefined && r.size <= 16 * KiB) {
      parts.push(`${fmtRatio(vsBun)} Bun (≥0.90×: ${mark(vsBun >= 0.9)})`);
    }
    lines.push(`- echo ${scenarioName(r)}, worse generator: ${parts.join(", ")}`);
  }
  for (const r of client ?? []) {
    const ratio = r.results.ours.messagesPerSecond / r.results.native.messagesPerSecond;
    lines.push(
      `- client ${r.connections} conn ${sizeName(r.size)}: ${
        fmtRatio(ratio)
      } native client (≥0.90×: ${mark(ratio >= 0.9)})`,
    );
  }
  for (const r of memory ?? []) {
    if (r.server !== "ours") continue;
    const native = memory!.find((n) =>
      n.server === "native" && n.client === r.client && n.semiSpaceMiB === r.semiSpaceMiB
    );
    lines.push(
      `- idle connection (${r.client} client${
        r.semiSpaceMiB === null ? "" : `, ${r.semiSpaceMiB} MiB semi-spaces`
      }): ${r.kibPerIdleConnection.toFixed(1)} KiB RSS` +
        (native === undefined
          ? ""
          : `, Deno native ${native.kibPerIdleConnection.toFixed(1)} (≤ native: ${
            mark(r.kibPerIdleConnection <= native.kibPerIdleConnection)
          })`),
    );
  }
  if (lines.length === 0) lines.push("- nothing in this run has a target");
  return `### Against the targets\n\n${lines.join("\n")}`;
}

// --------------------------------------------------------------------- main

async function main(): Promise<void> {
  const started = performance.now();
  const limits = openFileLimits();
  // Each idle connection is a descriptor in the server and one in the client.
  const needed = IDLE_TARGET + 256;
  if (limits.soft < needed && limits.hard >= needed) childFileLimit = needed;
  const fileLimit = childFileLimit ?? limits.soft;
  const idleCount = Math.max(0, Math.min(IDLE_TARGET, fileLimit - 256));
  log(
    `open-file limit: soft ${limits.soft}, hard ${limits.hard}; children get ${fileLimit}; ` +
      `${idleCount} idle connections`,
  );
  const environment = {
    date: new Date().toISOString(),
    runtime: `Deno ${Deno.version.deno}, V8 ${Deno.version.v8}`,
    node: new TextDecoder().decode(
      (await new Deno.Command("node", { args: ["--version"] }).output()).stdout,
    ).trim(),
    ws: WS_VERSION,
    cpus: navigator.hardwareConcurrency,
    /** 1, 5 and 15 minute load averages at the start: other work on the machine. */
    loadAverage: catSync("/proc/loadavg")?.split(" ").slice(0, 3).map(Number) ?? null,
    warmupMs: WARMUP_MS,
    durationMs: DURATION_MS,
    rounds: ROUNDS,
    inflight: INFLIGHT,
  };
  const bunVersion = await new Deno.Command("bun", { args: ["--version"] }).output()
    .then((out) => out.success ? new TextDecoder().decode(out.stdout).trim() : null)
    .catch(() => null);
  if (bunVersion === null) {
    log("bun is not installed: no Bun column in the echo tables");
    SERVER_KEYS = SERVER_KEYS.filter((k) => k !== "bun");
    PEER_KEYS = PEER_KEYS.filter((k) => k !== "bun");
  }

  await ensureWs(log);
  const sections: string[] = [];
  const update: Record<string, unknown> = {};
  let echo: Partial<Record<Generator, EchoRow[]>> = {};
  let echoHeadline: HeadlineRow[] = [];
  let client: ClientRow[] | undefined;
  let memory: MemoryRow[] | undefined;

  if (ONLY.has("echo") || ONLY.has("client")) {
    const servers: Partial<Record<ServerKey, Server>> = {};
    try {
      for (const key of SERVER_KEYS) {
        if (key !== "native" && !ONLY.has("echo")) continue;
        const server = await startServer(key);
        servers[key] = server;
        log(`${SERVER_NAMES[key]} server on ${server.url} (pid ${server.pid})`);
      }
      if (ONLY.has("echo")) {
        echo = await echoBench(servers);
        echoHeadline = headline(echo);
        if (echoHeadline.length > 0) sections.push(headlineTable(echoHeadline));
        for (const generator of GENERATORS) {
          sections.push(echoTables(echo[generator]!, generator));
        }
        update.echo = {
          ...environment,
          bun: bunVersion,
          servers: SERVER_KEYS,
          generators: GENERATORS,
          /** Per row and peer, the worse ratio of the frame generators (`frames`, `outside`). */
          headline: echoHeadline,
          /** Every generator's rows: each server's median run, and ours ÷ each peer. */
          tables: echo,
        };
        // Older results kept the native client's table under its own key; it is in `echo.tables`.
        update.echoNativeClient = undefined;
      }
      if (ONLY.has("client")) {
        client = await clientBench(servers.native!);
        sections.push(clientTables(client));
        update.client = { ...environment, server: "native", rows: client };
      }
    } finally {
      await Promise.all(Object.values(servers).map((s) => stop(s.proc.child)));
    }
  }
  if (ONLY.has("memory") && idleCount > 0) {
    // RSS after a burst of connections varies with when V8 happens to
    // collect: each setting runs once per round, interleaved, and the
    // median round is kept.
    const runs = new Map<string, MemoryRow[]>();
    for (let round = 1; round <= ROUNDS; round++) {
      // Both idle clients with the default heap; Deno's also with small semi-spaces.
      const settings: [number | undefined, IdleClient][] = [
        [undefined, "deno"],
        [undefined, "outside"],
        [SMALL_SEMI_SPACE, "deno"],
      ];
      for (const [semiSpace, client] of settings) {
        for (const key of MEMORY_KEYS) {
          log(
            `memory: ${SERVER_NAMES[key]}, ${idleCount} idle connections from ${client}${
              semiSpace === undefined ? "" : `, ${semiSpace} MiB semi-spaces`
            } (round ${round}/${ROUNDS})`,
          );
          const row = await memoryBench(key, idleCount, semiSpace, client);
          const id = `${key}/${semiSpace}/${client}`;
          runs.set(id, [...(runs.get(id) ?? []), row]);
        }
      }
    }
    memory = [...runs.values()].map((rows) => {
      const sorted = [...rows].sort((a, b) => a.kibPerIdleConnection - b.kibPerIdleConnection);
      return sorted[(sorted.length - 1) >> 1]!;
    });
    sections.push(memoryTable(memory));
    update.memory = {
      ...environment,
      openFileLimit: fileLimit,
      rows: memory,
    };
  }
  if (ONLY.has("floors")) {
    const keys = FLOOR_KEYS.filter((k) => bunVersion !== null || !/Bun|bun/.test(k));
    const floors = await floorsBench(keys);
    sections.push(floorsTable(floors, keys));
    update.floors = { ...environment, bun: bunVersion, servers: keys, rows: floors };
  }
  sections.push(targets(echoHeadline, client, memory));
  console.log(
    `## End-to-end over loopback (${environment.runtime}, Node ${environment.node}, ws ${WS_VERSION}, ` +
      `${environment.cpus} CPUs; warm-up ${WARMUP_MS} ms, window ${DURATION_MS} ms, ` +
      `${ROUNDS} round(s))\n`,
  );
  console.log(sections.join("\n\n"));
  await mergeResults(update);
  log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s; wrote bench/results.json`);
}

const onSignal = () => {
  void stopAll().finally(() => Deno.exit(130));
};
Deno.addSignalListener("SIGINT", onSignal);
Deno.addSignalListener("SIGTERM", onSignal);
try {
  await main();
} catch (error) {
  console.error(error);
  Deno.exitCode = 1;
} finally {
  await stopAll();
  Deno.removeSignalListener("SIGINT", onSignal);
  Deno.removeSignalListener("SIGTERM", onSignal);
}
