/**
 * HTTP/1.1 servers over loopback, side by side in one run, each in its own
 * process: this module's `serve` (`server/serve.ts`), `Deno.serve`,
 * `node:http` on Node and `Bun.serve` on Bun (`bench/http_server*.ts|mjs`,
 * the same handler on all). Two workloads:
 *
 * - hello: `new Response("Hello, world")`, requests/s;
 * - 64 KiB: a 64 KiB `Uint8Array` body, requests/s and MB/s of body;
 *
 * at 1, 8 and 64 connections, each driven by two load generators on plain
 * Node `net`, written apart (each with its own response parser) and with
 * different write patterns:
 *
 * - `serial` (`http_load_serial.mjs`): one request per write, the next once
 *   its response is in;
 * - `pipelined` (`http_load_pipelined.mjs`): 16 requests in one write, then
 *   their 16 responses.
 *
 * Both check every response (status 200, body length, framing by
 * Content-Length, chunked or end of connection) and stop the run on the
 * first wrong one. A server that closes the connection after a response
 * (`Connection: close`, as `serve` does before its keep-alive rewrite) gets
 * a new connection, counted, so the same generators measure both.
 *
 * After a warm-up pass (each server, path and generator for 0.3 s, not
 * recorded), rounds are interleaved: each round runs every server once per
 * cell (workload × connections × generator), in an order that rotates, so
 * drift on a shared machine hits every server alike. Reported: requests/s median and
 * range over the rounds, ours ÷ each peer (ratio of the medians, with the
 * range of the per-round ratios), server and generator CPU, and as the
 * headline the worse of the two generators' ratios. Prints Markdown tables
 * and merges an `http` key into `bench/results.json` (other keys are kept).
 *
 * Run: `deno run --allow-run --allow-read --allow-write=bench/results.json bench/http.ts`
 * Flags: `--warmup MS` (150), `--duration MS` (600), `--rounds N` (3),
 * `--connections 1,8,64`, `--servers ours,deno,node,bun`,
 * `--generators serial,pipelined`, `--workloads hello,64k`, `--pipeline N` (16).
 *
 * @module
 */
import { parseFlags } from "../examples/_args.ts";
import { stop } from "./_stop.ts";
import { mergeResults } from "./_results.ts";
import { spawnChild, stopChildren } from "./_child.ts";

const ROOT = new URL("../", import.meta.url).pathname;

const { flags } = parseFlags(Deno.args);
const WARMUP_MS = Number(flags.get("warmup") ?? 150);
const DURATION_MS = Number(flags.get("duration") ?? 600);
const ROUNDS = Math.max(1, Number(flags.get("rounds") ?? 3));
const PIPELINE = Number(flags.get("pipeline") ?? 16);
const CONNECTIONS = (flags.get("connections") ?? "1,8,64").split(",").map(Number);

const SERVER_NAMES = {
  ours: "ours (serve)",
  deno: "Deno.serve",
  node: "node:http",
  bun: "Bun.serve",
} as const;
type ServerKey = keyof typeof SERVER_NAMES;
/** For the columns that list every server. */
const SHORT_NAMES: Record<ServerKey, string> = {
  ours: "ours",
  deno: "Deno",
  node: "node",
  bun: "Bun",
};
type Peer = Exclude<ServerKey, "ours">;

const GENERATOR_TITLES = {
  serial: "serial generator: one request per write, the next after its response",
  pipelined: `pipelined generator: ${PIPELINE} requests per write, then their responses`,
} as const;
type GeneratorKey = keyof typeof GENERATOR_TITLES;

interface Workload {
  key: string;
  title: string;
  path: string;
  bodyBytes: number;
}
const WORKLOAD_LIST: Workload[] = [
  { key: "hello", title: "Hello world", path: "/hello", bodyBytes: 12 },
  { key: "64k", title: "64 KiB response", path: "/64k", bodyBytes: 64 * 1024 },
];

function pick<T extends string>(flag: string, all: readonly T[]): T[] {
  const value = flags.get(flag);
  if (value === undefined) return [...all];
  const chosen = value.split(",") as T[];
  for (const c of chosen) {
    if (!all.includes(c)) throw new Error(`--${flag}: one of ${all.join(", ")}, not ${c}`);
  }
  return chosen;
}
let SERVERS = pick("servers", Object.keys(SERVER_NAMES) as ServerKey[]);
const GENERATORS = pick("generators", Object.keys(GENERATOR_TITLES) as GeneratorKey[]);
const WORKLOADS = pick("workloads", WORKLOAD_LIST.map((w) => w.key)).map((key) =>
  WORKLOAD_LIST.find((w) => w.key === key)!
);

// ---------------------------------------------------------------- processes

/** What a load generator prints (its one JSON line). */
interface GeneratorResult {
  generator: GeneratorKey;
  connections: number;
  responses: number;
  seconds: number;
  requestsPerSecond: number;
  bodyBytesPerSecond: number;
  connects: number;
  closedByServer: number;
  clientCpu: number;
  serverCpu: number | null;
}

interface Server {
  key: ServerKey;
  child: Deno.ChildProcess;
  port: number;
  stderr: () => string;
}

function log(message: string): void {
  console.error(`[http ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

function serverCommand(key: ServerKey): [string, string[]] {
  const address = ["--host", "127.0.0.1", "--port", "0"];
  switch (key) {
    case "ours":
    case "deno":
      return [Deno.execPath(), [
        "run",
        "--allow-net=127.0.0.1",
        "bench/http_server.ts",
        "--server",
        key,
        ...address,
      ]];
    case "node":
      return ["node", ["bench/http_server_node.mjs", ...address]];
    case "bun":
      return ["bun", ["bench/http_server_bun.mjs", ...address]];
  }
}

async function startServer(key: ServerKey): Promise<Server> {
  const [command, args] = serverCommand(key);
  const { child, line: nextLine, stderr } = spawnChild(command, args, { cwd: ROOT });
  const line = await nextLine(30_000).catch(() => null);
  const match = line?.match(/^listening on http:\/\/[^\s]+:(\d+)$/);
  if (match === null || match === undefined) {
    await stop(child);
    throw new Error(`${SERVER_NAMES[key]} did not start: ${JSON.stringify(line)}\n${stderr()}`);
  }
  return { key, child, port: Number(match[1]), stderr };
}

/** One timed run of a generator against a server; throws on any failure. */
async function runGenerator(
  server: Server,
  generator: GeneratorKey,
  workload: Workload,
  connections: number,
  durationMs = DURATION_MS,
): Promise<GeneratorResult> {
  const args = [
    `bench/http_load_${generator}.mjs`,
    "--port",
    String(server.port),
    "--path",
    workload.path,
    "--length",
    String(workload.bodyBytes),
    "--connections",
    String(connections),
    "--warmup",
    String(WARMUP_MS),
    "--duration",
    String(durationMs),
    "--server-pid",
    String(server.child.pid),
    ...(generator === "pipelined" ? ["--pipeline", String(PIPELINE)] : []),
  ];
  const { code, stdout, stderr } = await new Deno.Command("node", {
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(WARMUP_MS + durationMs + 30_000),
  }).output();
  const out = new TextDecoder().decode(stdout).trim();
  if (code !== 0 || !out.startsWith("{")) {
    throw new Error(
      `${generator} generator failed (exit ${code}) against ${SERVER_NAMES[server.key]}, ` +
        `${workload.title}, ${connections} conn:\n${new TextDecoder().decode(stderr).trim()}\n` +
        `server stderr: ${server.stderr() || "(none)"}`,
    );
  }
  return JSON.parse(out) as GeneratorResult;
}

async function version(command: string): Promise<string | null> {
  try {
    const { success, stdout } = await new Deno.Command(command, { args: ["--version"] })
      .output();
    return success ? new TextDecoder().decode(stdout).trim() : null;
  } catch {
    return null;
  }
}

function loadAverage(): number[] | null {
  try {
    const output = new Deno.Command("cat", { args: ["/proc/loadavg"] }).outputSync();
    return new TextDecoder().decode(output.stdout).split(" ").slice(0, 3).map(Number);
  } catch {
    return null;
  }
}

// ------------------------------------------------------------------ summary

interface Range {
  median: number;
  min: number;
  max: number;
}

interface ServerSummary {
  requestsPerSecond: Range;
  /** Body bytes, in MB (10⁶ bytes) per second: the median run's. */
  bodyMBPerSecond: number;
  /** Server CPU time per response (µs), median over the runs; null when unreadable. */
  serverCpuUsPerRequest: number | null;
  /** Cores the generator used, median over the runs (1.0: it set the pace). */
  generatorCpu: number;
  /** Responses that closed their connection (the generator reconnected), of all responses. */
  closedPerResponse: number;
  /** Requests/s of each round, in order. */
  rounds: number[];
}

interface HttpRow {
  workload: string;
  path: string;
  bodyBytes: number;
  generator: GeneratorKey;
  connections: number;
  results: Partial<Record<ServerKey, ServerSummary>>;
  /** Ours ÷ peer: the ratio of the medians, and the range of the per-round ratios. */
  ratios: Partial<Record<Peer, Range>>;
}

interface HeadlineRow {
  workload: string;
  connections: number;
  /** The worse (lower) of the generators' ratios of medians, and which generator gave it. */
  ratios: Partial<Record<Peer, { ratio: number; generator: GeneratorKey }>>;
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function range(values: number[]): Range {
  return { median: medianOf(values), min: Math.min(...values), max: Math.max(...values) };
}

function summarize(runs: GeneratorResult[]): ServerSummary {
  const rps = runs.map((r) => r.requestsPerSecond);
  const cpu = runs.flatMap((r) =>
    r.serverCpu === null || r.requestsPerSecond === 0 ? [] : [r.serverCpu / r.requestsPerSecond]
  );
  const responses = runs.reduce((sum, r) => sum + r.responses, 0);
  const closed = runs.reduce((sum, r) => sum + r.closedByServer, 0);
  return {
    requestsPerSecond: range(rps),
    bodyMBPerSecond: medianOf(runs.map((r) => r.bodyBytesPerSecond)) / 1e6,
    serverCpuUsPerRequest: cpu.length === 0 ? null : medianOf(cpu) * 1e6,
    generatorCpu: medianOf(runs.map((r) => r.clientCpu)),
    closedPerResponse: responses === 0 ? 0 : closed / responses,
    rounds: rps,
  };
}

// ------------------------------------------------------------------- tables

const fmtRate = (n: number) => Math.round(n).toLocaleString("en-US");
const fmtRatio = (n: number) => `${n.toFixed(2)}×`;
const fmtRange = (r: Range) => `${fmtRate(r.median)} (${fmtRate(r.min)}–${fmtRate(r.max)})`;

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---:").join(" | ")} |`,
    ...rows.map((row) => `| ${row.join(" | ")} |`),
  ].join("\n");
}

function peers(): Peer[] {
  return SERVERS.filter((k): k is Peer => k !== "ours");
}

function cellTable(rows: HttpRow[], workload: Workload, generator: GeneratorKey): string {
  const mine = rows.filter((r) => r.workload === workload.key && r.generator === generator);
  const big = workload.bodyBytes >= 1024;
  const all = SERVERS.map((k) => SHORT_NAMES[k]).join(" / ");
  const header = [
    "conns",
    ...SERVERS.map((k) => `${SERVER_NAMES[k]} req/s`),
    ...(SERVERS.includes("ours") ? peers().map((p) => `ours÷${SERVER_NAMES[p]}`) : []),
    ...(big ? [`MB/s ${all}`] : []),
    `server CPU µs/req ${all}`,
    `generator CPU (cores) ${all}`,
  ];
  const body = mine.map((r) => [
    String(r.connections),
    ...SERVERS.map((k) => fmtRange(r.results[k]!.requestsPerSecond)),
    ...(SERVERS.includes("ours")
      ? peers().map((p) => {
        const ratio = r.ratios[p]!;
        return `${fmtRatio(ratio.median)} (${ratio.min.toFixed(2)}–${ratio.max.toFixed(2)})`;
      })
      : []),
    ...(big ? [SERVERS.map((k) => r.results[k]!.bodyMBPerSecond.toFixed(0)).join(" / ")] : []),
    SERVERS.map((k) => r.results[k]!.serverCpuUsPerRequest?.toFixed(1) ?? "–").join(" / "),
    SERVERS.map((k) => r.results[k]!.generatorCpu.toFixed(2)).join(" / "),
  ]);
  const closing = SERVERS.filter((k) => mine.some((r) => r.results[k]!.closedPerResponse > 0));
  const note = closing.length === 0 ? "" : `\n\nResponses that closed their connection (the ` +
    `generator reconnected): ${
      closing.map((k) =>
        `${SERVER_NAMES[k]} ${
          (medianOf(mine.map((r) => r.results[k]!.closedPerResponse)) * 100).toFixed(0)
        }%`
      ).join(", ")
    }.`;
  return `### ${workload.title}, ${GENERATOR_TITLES[generator]}\n\n${table(header, body)}${note}`;
}

function headlineTable(headline: HeadlineRow[]): string {
  const header = ["workload", "conns", ...peers().map((p) => `ours÷${SERVER_NAMES[p]}`)];
  const body = headline.map((h) => [
    WORKLOAD_LIST.find((w) => w.key === h.workload)!.title,
    String(h.connections),
    ...peers().map((p) => {
      const r = h.ratios[p]!;
      return `${fmtRatio(r.ratio)} (${r.generator})`;
    }),
  ]);
  return `### Headline: ours ÷ peer, requests/s, the worse of the two generators\n\n` +
    `${table(header, body)}`;
}

// --------------------------------------------------------------------- main

async function main(): Promise<void> {
  const started = performance.now();
  const nodeVersion = await version("node");
  if (nodeVersion === null) throw new Error("node is not installed: the generators run on it");
  const bunVersion = SERVERS.includes("bun") ? await version("bun") : null;
  if (SERVERS.includes("bun") && bunVersion === null) {
    log("bun is not installed: no Bun.serve column");
    SERVERS = SERVERS.filter((k) => k !== "bun");
  }
  const environment = {
    date: new Date().toISOString(),
    runtime: `Deno ${Deno.version.deno}, V8 ${Deno.version.v8}`,
    node: nodeVersion,
    bun: bunVersion,
    cpus: navigator.hardwareConcurrency,
    /** 1, 5 and 15 minute load averages at the start: other work on the machine. */
    loadAverage: loadAverage(),
    warmupMs: WARMUP_MS,
    durationMs: DURATION_MS,
    rounds: ROUNDS,
    pipeline: PIPELINE,
  };
  const cells = GENERATORS.flatMap((generator) =>
    WORKLOADS.flatMap((workload) =>
      CONNECTIONS.map((connections) => ({ generator, workload, connections }))
    )
  );
  const total = ROUNDS * cells.length * SERVERS.length;
  log(
    `${total} runs of ${WARMUP_MS} + ${DURATION_MS} ms (${ROUNDS} rounds × ${cells.length} cells ` +
      `× ${SERVERS.length} servers)`,
  );

  const servers = new Map<ServerKey, Server>();
  const runs = new Map<string, GeneratorResult[]>();
  const id = (generator: string, workload: string, connections: number, key: string) =>
    `${generator} ${workload} ${connections} ${key}`;
  try {
    for (const key of SERVERS) {
      const server = await startServer(key);
      servers.set(key, server);
      log(`${SERVER_NAMES[key]} on port ${server.port} (pid ${server.child.pid})`);
    }
    // JIT and caches warm on every server and path before anything is measured.
    for (const key of SERVERS) {
      for (const workload of WORKLOADS) {
        for (const generator of GENERATORS) {
          await runGenerator(servers.get(key)!, generator, workload, 8, 300);
        }
      }
    }
    log("warm-up pass done");
    let done = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const [c, { generator, workload, connections }] of cells.entries()) {
        // Each round runs every server once per cell; the order rotates with the round and cell.
        const shift = (round + c) % SERVERS.length;
        const order = [...SERVERS.slice(shift), ...SERVERS.slice(0, shift)];
        for (const key of order) {
          const result = await runGenerator(servers.get(key)!, generator, workload, connections);
          const k = id(generator, workload.key, connections, key);
          runs.set(k, [...(runs.get(k) ?? []), result]);
          done++;
        }
        log(
          `round ${round + 1}/${ROUNDS}: ${workload.title}, ${generator}, ${connections} conn ` +
            `(${done}/${total})`,
        );
      }
    }
  } finally {
    await Promise.all([...servers.values()].map((s) => stop(s.child)));
  }

  const rows: HttpRow[] = cells.map(({ generator, workload, connections }) => {
    const results: Partial<Record<ServerKey, ServerSummary>> = {};
    for (const key of SERVERS) {
      results[key] = summarize(runs.get(id(generator, workload.key, connections, key))!);
    }
    const ratios: Partial<Record<Peer, Range>> = {};
    if (results.ours !== undefined) {
      for (const peer of peers()) {
        const ours = results.ours.rounds;
        const theirs = results[peer]!.rounds;
        const perRound = ours.map((v, i) => v / theirs[i]!);
        ratios[peer] = {
          median: results.ours.requestsPerSecond.median / results[peer]!.requestsPerSecond.median,
          min: Math.min(...perRound),
          max: Math.max(...perRound),
        };
      }
    }
    return {
      workload: workload.key,
      path: workload.path,
      bodyBytes: workload.bodyBytes,
      generator,
      connections,
      results,
      ratios,
    };
  });
  const headline: HeadlineRow[] = [];
  if (SERVERS.includes("ours")) {
    for (const workload of WORKLOADS) {
      for (const connections of CONNECTIONS) {
        const ratios: HeadlineRow["ratios"] = {};
        for (const peer of peers()) {
          for (const row of rows) {
            if (row.workload !== workload.key || row.connections !== connections) continue;
            const ratio = row.ratios[peer]!.median;
            const current = ratios[peer];
            if (current === undefined || ratio < current.ratio) {
              ratios[peer] = { ratio, generator: row.generator };
            }
          }
        }
        headline.push({ workload: workload.key, connections, ratios });
      }
    }
  }

  const sections: string[] = [];
  if (headline.length > 0) sections.push(headlineTable(headline));
  for (const workload of WORKLOADS) {
    for (const generator of GENERATORS) sections.push(cellTable(rows, workload, generator));
  }
  console.log(
    `## HTTP/1.1 servers over loopback (${environment.runtime}, Node ${nodeVersion}` +
      `${bunVersion === null ? "" : `, Bun ${bunVersion}`}, ${environment.cpus} CPUs; ` +
      `warm-up ${WARMUP_MS} ms, window ${DURATION_MS} ms, ${ROUNDS} interleaved rounds; ` +
      `requests/s median (range))\n`,
  );
  console.log(sections.join("\n\n"));
  await mergeResults({
    http: {
      ...environment,
      generators: GENERATOR_TITLES,
      servers: Object.fromEntries(SERVERS.map((k) => [k, SERVER_NAMES[k]])),
      headline,
      rows,
    },
  });
  log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s; wrote bench/results.json`);
}

const onSignal = () => {
  void stopChildren(1000).finally(() => Deno.exit(130));
};
Deno.addSignalListener("SIGINT", onSignal);
Deno.addSignalListener("SIGTERM", onSignal);
try {
  await main();
} catch (error) {
  console.error(error);
  Deno.exitCode = 1;
} finally {
  await stopChildren(1000);
  Deno.removeSignalListener("SIGINT", onSignal);
  Deno.removeSignalListener("SIGTERM", onSignal);
}
