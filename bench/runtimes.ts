/**
 * This module on Node and Bun against each runtime's usual WebSocket server,
 * in one run, rounds interleaved:
 *
 * - Node 20: ours (`bench/node_echo_server.ts`, bundled by `deno bundle`)
 *   against `ws` (`bench/ws_echo_server.mjs`).
 * - Bun: ours (the same file, run as it is) against Bun's native server
 *   (`bench/bun_echo_server.mjs`, uWebSockets).
 *
 * Echo: 1 and 8 connections × 16 binary messages in flight × 64 B and
 * 16 KiB, driven by `bench/echo_load.ts` with the lean frame writer (one
 * write per batch of sends; `--generators batch,frame` adds one write per
 * frame, which splits frames across reads differently). Memory: server RSS
 * (VmRSS) before and after opening `--idle` idle connections (2,000), each
 * server in a fresh process, warmed up by 100 connections first; the Node
 * servers a second time with V8's young generation held to 1 MiB
 * semi-spaces, which shows what a connection keeps apart from the young
 * generation that the burst of upgrades grows.
 *
 * Prints the median of `--rounds` rounds (3) and the range of the per-round
 * ratios, since the machine is shared: ours ÷ ws on Node, ours ÷ native on
 * Bun, for throughput and for KiB per idle connection.
 *
 * Run: `deno run --allow-run --allow-read bench/runtimes.ts`
 * Flags: `--warmup MS` (1000), `--duration MS` (3000), `--rounds N` (3),
 * `--idle N` (2000), `--only echo,memory`, `--generators batch,frame`,
 * `--runtimes node,bun` (both; `node` alone runs the Node pair only),
 * `--connections 1,8`, `--sizes 64,16384`, `--floor on` (echo only: adds the
 * floor on Node, `bench/bare_echo_server.mjs --per-message event`, a bare
 * `node:net` loop that dispatches one `MessageEvent` per message, against
 * `ws` too: what any WHATWG-style server pays on Node before its framing).
 *
 * @module
 */
import { parseFlags } from "../examples/_args.ts";
import type { EchoResult } from "./echo_load.ts";
import { ensureWs } from "./_node_ws.ts";
import { stop } from "./_stop.ts";
import { type Child, spawnChild, stopChildren } from "./_child.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const { flags } = parseFlags(Deno.args);
const WARMUP_MS = Number(flags.get("warmup") ?? 1000);
const DURATION_MS = Number(flags.get("duration") ?? 3000);
const ROUNDS = Math.max(1, Number(flags.get("rounds") ?? 3));
const IDLE = Number(flags.get("idle") ?? 2000);
const ONLY = new Set((flags.get("only") ?? "echo,memory").split(","));
const GENERATORS = (flags.get("generators") ?? "batch").split(",");
for (const g of GENERATORS) {
  if (g !== "batch" && g !== "frame") throw new Error(`--generators: batch or frame, not ${g}`);
}
const CONNECTIONS = (flags.get("connections") ?? "1,8").split(",").map(Number);
const SIZES = (flags.get("sizes") ?? "64,16384").split(",").map(Number);
const FLOOR = flags.get("floor") === "on";
const INFLIGHT = 16;

const RUNTIMES = new Set((flags.get("runtimes") ?? "node,bun").split(","));
for (const r of RUNTIMES) {
  if (r !== "node" && r !== "bun") throw new Error(`--runtimes: node or bun, not ${r}`);
}

type Key = "oursNode" | "ws" | "floorNode" | "oursBun" | "bun";
const NODE_KEYS: Key[] = ["oursNode", "ws", "floorNode"];
const KEYS = (["oursNode", "ws", "floorNode", "oursBun", "bun"] as Key[]).filter((key) =>
  RUNTIMES.has(NODE_KEYS.includes(key) ? "node" : "bun") && (key !== "floorNode" || FLOOR)
);
const NAMES: Record<Key, string> = {
  oursNode: "ours on Node",
  ws: "ws on Node",
  floorNode: "Node floor",
  oursBun: "ours on Bun",
  bun: "Bun native",
};
/** The pairs compared: ours first, the reference second. */
const PAIRS = ([["oursNode", "ws"], ["floorNode", "ws"], ["oursBun", "bun"]] as [Key, Key][])
  .filter(([ours]) => KEYS.includes(ours));
/** The floor is an echo loop only: no memory rows. */
const MEMORY_KEYS = KEYS.filter((key) => key !== "floorNode");
const MEMORY_PAIRS = PAIRS.filter(([ours]) => ours !== "floorNode");
const PAIR_NAMES: Record<string, string> = {
  oursNode: "ours÷ws (Node)",
  floorNode: "floor÷ws (Node)",
  oursBun: "ours÷native (Bun)",
};

const log = (message: string) =>
  console.error(`[runtimes ${new Date().toISOString().slice(11, 19)}] ${message}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- processes

type Proc = Child;

function spawn(command: string, args: string[], stdin?: Uint8Array | "piped"): Proc {
  return spawnChild(command, args, { cwd: ROOT, stdin });
}

function rssKiB(pid: number): number {
  const output = new Deno.Command("cat", { args: [`/proc/${pid}/status`] }).outputSync();
  const match = new TextDecoder().decode(output.stdout).match(/VmRSS:\s+(\d+)\s+kB/);
  if (match === null) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]);
}

// ------------------------------------------------------------------ servers

let nodeBundle: Uint8Array | undefined;

async function bundle(entry: string): Promise<Uint8Array> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--quiet", entry],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0) throw new Error(`deno bundle ${entry}: ${new TextDecoder().decode(stderr)}`);
  return stdout;
}

interface Server {
  proc: Proc;
  url: string;
  pid: number;
}

/** Start `key`'s server; `smallYoung` holds Node's young generation to 1 MiB semi-spaces. */
async function startServer(key: Key, smallYoung = false): Promise<Server> {
  const address = ["--host", "127.0.0.1", "--port", "0"];
  const v8 = smallYoung ? ["--max-semi-space-size=1"] : [];
  const proc = key === "oursNode"
    ? spawn("node", [...v8, "--input-type=module", "-", ...address], nodeBundle)
    : key === "ws"
    ? spawn("node", [...v8, "bench/ws_echo_server.mjs", ...address])
    : key === "floorNode"
    ? spawn("node", ["bench/bare_echo_server.mjs", "--per-message", "event", ...address])
    : spawn("bun", [
      key === "oursBun" ? "bench/node_echo_server.ts" : "bench/bun_echo_server.mjs",
      ...address,
    ]);
  const line = await proc.line(30_000).catch(() => null);
  const match = line?.match(/^listening on (ws:\/\/\S+)$/);
  if (match === null || match === undefined) {
    await stop(proc.child);
    throw new Error(`${NAMES[key]} did not start: ${line}\n${proc.stderr()}`);
  }
  return { proc, url: `${match[1]}/`, pid: proc.child.pid };
}

// --------------------------------------------------------------------- echo

async function runLoad(
  server: Server,
  generator: string,
  connections: number,
  size: number,
): Promise<EchoResult> {
  const proc = spawn(Deno.execPath(), [
    "run",
    "--allow-net=127.0.0.1",
    "--allow-run=cat",
    "bench/echo_load.ts",
    "--url",
    server.url,
    "--client",
    "frames",
    ...(generator === "batch" ? ["--writes", "batch"] : []),
    "--connections",
    String(connections),
    "--inflight",
    String(INFLIGHT),
    "--size",
    String(size),
    "--warmup",
    String(WARMUP_MS),
    "--duration",
    String(DURATION_MS),
    "--server-pid",
    String(server.pid),
  ]);
  const limit = WARMUP_MS + DURATION_MS + 30_000;
  const deadline = setTimeout(() => void stop(proc.child), limit);
  let last: string | null = null;
  for (;;) {
    const line = await proc.line(limit).catch(() => null);
    if (line === null) break;
    if (line.startsWith("{")) last = line;
  }
  const status = await proc.child.status;
  clearTimeout(deadline);
  if (!status.success || last === null) {
    throw new Error(`load generator failed on ${server.url}:\n${proc.stderr()}`);
  }
  const result = JSON.parse(last) as EchoResult;
  if (result.errors > 0) throw new Error(`${result.errors} errors on ${server.url}`);
  return result;
}

// ------------------------------------------------------------------- memory

async function idleKiB(key: Key, smallYoung: boolean): Promise<{ kib: number; opened: number }> {
  const server = await startServer(key, smallYoung);
  const open = async (count: number) => {
    const proc = spawn(Deno.execPath(), [
      "run",
      "--allow-net=127.0.0.1",
      "bench/echo_load.ts",
      "--mode",
      "idle",
      "--url",
      server.url,
      "--count",
      String(count),
      "--lifetime",
      "120000",
    ], "piped");
    const line = await proc.line(120_000);
    if (line === null || !line.startsWith("{")) throw new Error(`idle client: ${proc.stderr()}`);
    return { proc, ...JSON.parse(line) as { opened: number; failed: number } };
  };
  const close = async (proc: Proc) => {
    await proc.child.stdin.close().catch(() => {});
    const timer = setTimeout(() => void stop(proc.child), 15_000);
    await proc.child.status;
    clearTimeout(timer);
  };
  try {
    const warm = await open(100);
    await close(warm.proc);
    await sleep(1500);
    const before = rssKiB(server.pid);
    const idle = await open(IDLE);
    await sleep(1500);
    const after = rssKiB(server.pid);
    await close(idle.proc);
    if (idle.failed > 0) throw new Error(`${idle.failed} idle connections failed`);
    return { kib: (after - before) / idle.opened, opened: idle.opened };
  } finally {
    await stop(server.proc.child);
  }
}

// -------------------------------------------------------------------- tables

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
};
const range = (values: number[], digits: number) =>
  `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;
const rate = (n: number) => Math.round(n).toLocaleString("en-US");
const sizeName = (size: number) => size >= 1024 ? `${size / 1024} KiB` : `${size} B`;

function row(cells: string[]): string {
  return `| ${cells.join(" | ")} |`;
}

// Interrupted: stop every child too.
const onSignal = () => {
  void stopChildren().finally(() => Deno.exit(130));
};
Deno.addSignalListener("SIGINT", onSignal);
Deno.addSignalListener("SIGTERM", onSignal);
try {
  if (ONLY.has("echo") || ONLY.has("memory")) {
    await ensureWs(log);
    log("bundling bench/node_echo_server.ts for Node");
    nodeBundle = await bundle("bench/node_echo_server.ts");
  }
  if (ONLY.has("echo")) {
    const servers = {} as Record<Key, Server>;
    for (const key of KEYS) servers[key] = await startServer(key);
    /** Messages/s and server CPU µs per echo, per round, by generator, scenario and server. */
    const runs = new Map<string, { rate: number[]; cpu: number[] }>();
    try {
      for (let round = 1; round <= ROUNDS; round++) {
        for (const generator of GENERATORS) {
          for (const size of SIZES) {
            for (const connections of CONNECTIONS) {
              for (const key of KEYS) {
                log(
                  `round ${round}/${ROUNDS} ${generator}: ${NAMES[key]}, ${connections} × ${
                    sizeName(size)
                  }`,
                );
                const r = await runLoad(servers[key], generator, connections, size);
                const id = `${generator} ${size} ${connections} ${key}`;
                const entry = runs.get(id) ?? { rate: [], cpu: [] };
                entry.rate.push(r.messagesPerSecond);
                entry.cpu.push(((r.serverCpu ?? NaN) / r.messagesPerSecond) * 1e6);
                runs.set(id, entry);
              }
            }
          }
        }
      }
    } finally {
      for (const key of KEYS) await stop(servers[key].proc.child);
    }
    for (const generator of GENERATORS) {
      console.log(
        `\n### Echo, ${ROUNDS} rounds, ${INFLIGHT} in flight, one ${
          generator === "batch" ? "write per batch" : "write per frame"
        } (median msg/s; ratio: median and range over rounds; server CPU µs per echo)\n`,
      );
      console.log(row([
        "conns",
        "size",
        ...KEYS.map((k) => NAMES[k]),
        ...PAIRS.map(([ours]) => PAIR_NAMES[ours]!),
        "CPU µs: " + KEYS.map((k) => NAMES[k]).join(" / "),
      ]));
      console.log(row(Array(3 + KEYS.length + PAIRS.length).fill("---:")));
      for (const size of SIZES) {
        for (const connections of CONNECTIONS) {
          const get = (key: Key) => runs.get(`${generator} ${size} ${connections} ${key}`)!;
          const ratios = PAIRS.map(([ours, peer]) => {
            const values = get(ours).rate.map((v, i) => v / get(peer).rate[i]!);
            return `${median(values).toFixed(2)}× (${range(values, 2)})`;
          });
          console.log(row([
            String(connections),
            sizeName(size),
            ...KEYS.map((k) => rate(median(get(k).rate))),
            ...ratios,
            KEYS.map((k) => median(get(k).cpu).toFixed(1)).join(" / "),
          ]));
        }
      }
    }
  }
  if (ONLY.has("memory")) {
    // Twice on Node: with its default heap, and with the young generation
    // held small, which a burst of connections cannot grow (see bench/e2e.ts):
    // what the connections themselves keep. Bun (JavaScriptCore) has no such setting.
    const node = RUNTIMES.has("node");
    const runs: { key: Key; smallYoung: boolean }[] = [
      ...MEMORY_KEYS.map((key) => ({ key, smallYoung: false })),
      ...(node
        ? [{ key: "oursNode" as Key, smallYoung: true }, { key: "ws" as Key, smallYoung: true }]
        : []),
    ];
    const kib = new Map<string, number[]>();
    for (let round = 1; round <= ROUNDS; round++) {
      for (const { key, smallYoung } of runs) {
        log(
          `memory round ${round}/${ROUNDS}: ${NAMES[key]}${
            smallYoung ? " (1 MiB semi-spaces)" : ""
          }, ${IDLE} idle connections`,
        );
        const { kib: value } = await idleKiB(key, smallYoung);
        const id = `${key} ${smallYoung}`;
        kib.set(id, [...(kib.get(id) ?? []), value]);
      }
    }
    console.log(
      `\n### Server RSS per idle connection, KiB, ${IDLE} connections, ${ROUNDS} rounds ` +
        `(median, range; ratio per round)\n`,
    );
    const cell = (id: string) => `${median(kib.get(id)!).toFixed(1)} (${range(kib.get(id)!, 1)})`;
    const ratio = (ours: string, peer: string) => {
      const values = kib.get(ours)!.map((v, i) => v / kib.get(peer)![i]!);
      return `${median(values).toFixed(2)}× (${range(values, 2)})`;
    };
    console.log(
      row([
        "heap",
        ...MEMORY_KEYS.map((k) => NAMES[k]),
        ...MEMORY_PAIRS.map(([o]) => PAIR_NAMES[o]!),
      ]),
    );
    console.log(row(Array(1 + MEMORY_KEYS.length + MEMORY_PAIRS.length).fill("---:")));
    console.log(row([
      "default",
      ...MEMORY_KEYS.map((k) => cell(`${k} false`)),
      ...MEMORY_PAIRS.map(([ours, peer]) => ratio(`${ours} false`, `${peer} false`)),
    ]));
    if (node) {
      console.log(row([
        "Node: 1 MiB semi-spaces",
        ...MEMORY_KEYS.map((k) => k === "oursNode" || k === "ws" ? cell(`${k} true`) : "–"),
        ...MEMORY_PAIRS.map(([ours, peer]) =>
          ours === "oursNode" ? ratio(`${ours} true`, `${peer} true`) : "–"
        ),
      ]));
    }
  }
} finally {
  await stopChildren();
  Deno.removeSignalListener("SIGINT", onSignal);
  Deno.removeSignalListener("SIGTERM", onSignal);
}
