/**
 * WebSocket handshake + close cycles per second, side by side in one run,
 * rounds interleaved: this module's server on Deno (`examples/echo_server.ts`)
 * and on Node (`bench/node_echo_server.ts`, bundled by `deno bundle`),
 * Deno's native server (`bench/native_echo_server.ts`), `ws` on Node
 * (`bench/ws_echo_server.mjs`), Bun's native server
 * (`bench/bun_echo_server.mjs`), and the floor of any JavaScript server on
 * `Deno.listen` (`bench/bare_handshake_server.ts`: no library, no HTTP
 * parsing beyond the key; its accept key from `crypto.subtle`, an op on a
 * thread pool, or with `--servers bareSync` from this module's synchronous
 * SHA-1, the lower floor), and the same floor with what the web APIs add
 * (`bareWeb`: the synchronous SHA-1, a `Request` with its `Headers` per
 * upgrade, and an `EventTarget` with `open` and `close` events: what any
 * server that hands out `Request`s and WHATWG `WebSocket`s pays).
 *
 * The load comes from `bench/_handshake_load.mjs`, plain Node `net` written
 * apart from this module: each of 1 and 16 concurrent loops connects, sends
 * the upgrade request, reads the 101, sends a masked close frame, reads the
 * close echo and waits for the server to close TCP, then starts over.
 *
 * Prints, per number of loops: the median cycles/s of each server, the
 * server's CPU µs per cycle (user + system, from /proc/PID/stat; the
 * steadier figure on a shared machine), and the ratios of ours to each peer
 * for both (median and range of the per-round ratios).
 *
 * `--baseline DIR` adds this module's servers from another checkout (such
 * as the main worktree), to compare a change with what it changes in the
 * same run.
 *
 * Run: `deno run --allow-run --allow-read bench/handshake.ts`
 * Flags: `--warmup MS` (500), `--duration MS` (2000), `--rounds N` (3),
 * `--connections 1,16`, `--servers ours,native,bare,bareWeb,ws,bun,oursNode` (the
 * default; `bareSync` too on request),
 * `--baseline DIR`.
 *
 * @module
 */
import { parseFlags } from "../examples/_args.ts";
import { ensureWs } from "./_node_ws.ts";
import { stop } from "./_stop.ts";
import { type Child, spawnChild, stopChildren } from "./_child.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const { flags } = parseFlags(Deno.args);
const WARMUP_MS = Number(flags.get("warmup") ?? 500);
const DURATION_MS = Number(flags.get("duration") ?? 2000);
const ROUNDS = Math.max(1, Number(flags.get("rounds") ?? 3));
const CONNECTIONS = (flags.get("connections") ?? "1,16").split(",").map(Number);
const BASELINE = flags.get("baseline");

type Kind = "ours" | "native" | "bare" | "bareSync" | "bareWeb" | "ws" | "bun" | "oursNode";
const KINDS: Kind[] = ["ours", "native", "bare", "bareSync", "bareWeb", "ws", "bun", "oursNode"];
/** Run unless `--servers` names them. */
const DEFAULT_KINDS: Kind[] = ["ours", "native", "bare", "bareWeb", "ws", "bun", "oursNode"];
const NAMES: Record<Kind, string> = {
  ours: "ours (Deno)",
  native: "Deno native",
  bare: "bare Deno.listen",
  bareSync: "bare, JS SHA-1",
  bareWeb: "bare + Request + events",
  ws: "ws (Node)",
  bun: "Bun native",
  oursNode: "ours (Node)",
};
const kinds = (flags.get("servers") ?? DEFAULT_KINDS.join(",")).split(",") as Kind[];
for (const kind of kinds) {
  if (!KINDS.includes(kind)) throw new Error(`--servers: one of ${KINDS.join(", ")}, not ${kind}`);
}

/** One server's rounds at one number of loops: cycles/s and CPU µs per cycle, per round. */
interface Run {
  rate: number[];
  cpu: number[];
  clientClosed: number;
}

/** A server to measure: a kind, from this checkout or the baseline's. */
interface Entry {
  id: string;
  kind: Kind;
  root: string;
  name: string;
}
const entries: Entry[] = kinds.map((kind) => ({ id: kind, kind, root: ROOT, name: NAMES[kind] }));
if (BASELINE !== undefined) {
  const root = BASELINE.endsWith("/") ? BASELINE : `${BASELINE}/`;
  for (const kind of ["ours", "oursNode"] as const) {
    if (kinds.includes(kind)) {
      entries.push({ id: `${kind}Base`, kind, root, name: `${NAMES[kind]}, baseline` });
    }
  }
}

const log = (message: string) =>
  console.error(`[handshake ${new Date().toISOString().slice(11, 19)}] ${message}`);

// ---------------------------------------------------------------- processes

type Proc = Child;

function spawn(command: string, args: string[], cwd: string, stdin?: Uint8Array): Proc {
  return spawnChild(command, args, { cwd, stdin });
}

async function bundle(root: string): Promise<Uint8Array> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--quiet", "bench/node_echo_server.ts"],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0) throw new Error(`deno bundle in ${root}: ${new TextDecoder().decode(stderr)}`);
  return stdout;
}

interface Server {
  proc: Proc;
  port: number;
  pid: number;
}

async function startServer(entry: Entry, bundles: Map<string, Uint8Array>): Promise<Server> {
  const address = ["--host", "127.0.0.1", "--port", "0"];
  const deno = (file: string, extra: string[] = []) =>
    spawn(
      Deno.execPath(),
      ["run", "--allow-net=127.0.0.1", file, ...address, ...extra],
      entry.root,
    );
  const proc = entry.kind === "ours"
    ? deno("examples/echo_server.ts")
    : entry.kind === "native"
    ? deno("bench/native_echo_server.ts")
    : entry.kind === "bare"
    ? deno("bench/bare_handshake_server.ts")
    : entry.kind === "bareSync"
    ? deno("bench/bare_handshake_server.ts", ["--sha1", "js"])
    : entry.kind === "bareWeb"
    ? deno("bench/bare_handshake_server.ts", ["--sha1", "js", "--api", "web"])
    : entry.kind === "ws"
    ? spawn("node", ["bench/ws_echo_server.mjs", ...address], ROOT)
    : entry.kind === "bun"
    ? spawn("bun", ["bench/bun_echo_server.mjs", ...address], ROOT)
    : spawn("node", ["--input-type=module", "-", ...address], entry.root, bundles.get(entry.root));
  const line = await proc.line(30_000).catch(() => null);
  const match = line?.match(/^listening on ws:\/\/\S+:(\d+)$/);
  if (match === null || match === undefined) {
    await stop(proc.child);
    throw new Error(`${entry.name} did not start: ${line}\n${proc.stderr()}`);
  }
  return { proc, port: Number(match[1]), pid: proc.child.pid };
}

// --------------------------------------------------------------------- load

interface LoadResult {
  cycles: number;
  seconds: number;
  errors: number;
  clientClosed: number;
  firstError: string;
  serverCpu: number | null;
  clientCpu: number;
}

async function runLoad(server: Server, connections: number): Promise<LoadResult> {
  const proc = spawn("node", [
    "bench/_handshake_load.mjs",
    "--port",
    String(server.port),
    "--connections",
    String(connections),
    "--warmup",
    String(WARMUP_MS),
    "--duration",
    String(DURATION_MS),
    "--server-pid",
    String(server.pid),
  ], ROOT);
  const line = await proc.line(WARMUP_MS + DURATION_MS + 30_000).catch(() => null);
  const status = await proc.child.status;
  if (!status.success || line === null || !line.startsWith("{")) {
    throw new Error(`load generator failed on port ${server.port}:\n${proc.stderr()}`);
  }
  const result = JSON.parse(line) as LoadResult;
  if (result.errors > 0) {
    throw new Error(`${result.errors} errors on port ${server.port}: ${result.firstError}`);
  }
  return result;
}

// -------------------------------------------------------------------- tables

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
};
const range = (values: number[]) =>
  `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`;
const row = (cells: string[]) => `| ${cells.join(" | ")} |`;

const onSignal = () => {
  void stopChildren().finally(() => Deno.exit(130));
};
Deno.addSignalListener("SIGINT", onSignal);
Deno.addSignalListener("SIGTERM", onSignal);
try {
  if (kinds.includes("ws")) await ensureWs(log);
  const bundles = new Map<string, Uint8Array>();
  for (const entry of entries) {
    if (entry.kind === "oursNode" && !bundles.has(entry.root)) {
      log(`bundling bench/node_echo_server.ts in ${entry.root}`);
      bundles.set(entry.root, await bundle(entry.root));
    }
  }
  const servers = new Map<string, Server>();
  for (const entry of entries) servers.set(entry.id, await startServer(entry, bundles));
  /** Cycles/s and server CPU µs per cycle, per round, by connections and server. */
  const runs = new Map<string, Run>();
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      for (const connections of CONNECTIONS) {
        for (const entry of entries) {
          log(`round ${round}/${ROUNDS}: ${entry.name}, ${connections} loops`);
          const r = await runLoad(servers.get(entry.id)!, connections);
          const key = `${connections} ${entry.id}`;
          const run = runs.get(key) ?? { rate: [], cpu: [], clientClosed: 0 };
          run.rate.push(r.cycles / r.seconds);
          run.cpu.push(r.serverCpu === null ? NaN : (r.serverCpu / r.cycles) * 1e6);
          run.clientClosed += r.clientClosed;
          runs.set(key, run);
        }
      }
    }
  } finally {
    for (const server of servers.values()) await stop(server.proc.child);
  }
  const ours = entries.filter((e) => e.kind === "ours" || e.kind === "oursNode");
  const peers = entries.filter((e) => e.kind !== "ours" && e.kind !== "oursNode");
  console.log(
    `\n### Handshake + close cycles, ${ROUNDS} rounds of ${DURATION_MS} ms ` +
      `(median cycles/s; server CPU µs per cycle, median)\n`,
  );
  /** One row per number of loops, one column per server. */
  const perServer = (cell: (run: Run) => string) => {
    console.log(row(["loops", ...entries.map((e) => e.name)]));
    console.log(row(Array(entries.length + 1).fill("---:")));
    for (const connections of CONNECTIONS) {
      console.log(row([
        String(connections),
        ...entries.map((e) => cell(runs.get(`${connections} ${e.id}`)!)),
      ]));
    }
  };
  perServer((run) => {
    const closed = run.clientClosed > 0 ? ` [${run.clientClosed} closed by the client]` : "";
    return `${Math.round(median(run.rate)).toLocaleString("en-US")} (${
      median(run.cpu).toFixed(0)
    } µs)${closed}`;
  });
  console.log(`\n### Server CPU µs per cycle: median (range over rounds)\n`);
  perServer(({ cpu }) =>
    `${median(cpu).toFixed(0)} (${Math.min(...cpu).toFixed(0)}–${Math.max(...cpu).toFixed(0)})`
  );
  console.log(
    `\n### Ratios, ours ÷ peer: median (range over rounds); cycles/s, then CPU per ` +
      `cycle (peer's ÷ ours: above 1 when ours costs less)\n`,
  );
  // Each of ours against the peers, and against its own baseline.
  const pairs = ours.flatMap((o) => [
    ...peers.map((p) => [o, p]),
    ...ours.filter((x) => x.kind === o.kind && x !== o && o.root === ROOT).map((p) => [o, p]),
  ]);
  console.log(row([
    "ours",
    "peer",
    ...CONNECTIONS.map((c) => `${c} loops`),
    ...CONNECTIONS.map((c) => `CPU, ${c} loops`),
  ]));
  console.log(row(["---", "---", ...CONNECTIONS.flatMap(() => ["---:", "---:"])]));
  const ratio = (a: number[], b: number[]) => {
    const ratios = a.map((v, i) => v / b[i]!);
    return `${median(ratios).toFixed(2)}× (${range(ratios)})`;
  };
  for (const [o, p] of pairs) {
    const run = (e: Entry, connections: number) => runs.get(`${connections} ${e.id}`)!;
    console.log(row([
      o!.name,
      p!.name,
      ...CONNECTIONS.map((c) => ratio(run(o!, c).rate, run(p!, c).rate)),
      ...CONNECTIONS.map((c) => ratio(run(p!, c).cpu, run(o!, c).cpu)),
    ]));
  }
} finally {
  await stopChildren();
  Deno.removeSignalListener("SIGINT", onSignal);
  Deno.removeSignalListener("SIGTERM", onSignal);
}
