/**
 * The all-cores recipe (examples/cluster/) with 1 and 2 workers, side by
 * side: keep-alive hello-world requests/s through the serial load
 * generator (`http_load_serial.mjs`), rounds interleaved. On a 2-core
 * machine the generator takes a core's share too, so 2 workers cannot
 * double the rate; the ratio says how much a second worker buys.
 *
 * Run: `deno task bench:cluster` (`--rounds N`, `--duration MS`, `--connections N`)
 *
 * @module
 */
import { parseFlags } from "../examples/_args.ts";

const { flags } = parseFlags(Deno.args);
const ROUNDS = Number(flags.get("rounds") ?? 3);
const DURATION = Number(flags.get("duration") ?? 1500);
const CONNECTIONS = Number(flags.get("connections") ?? 64);
const ROOT = new URL("../", import.meta.url);

async function startCluster(workers: number): Promise<{ port: number; stop(): Promise<void> }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--unstable-net",
      "--allow-net=127.0.0.1",
      "--allow-read=.",
      "examples/cluster/main.ts",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--workers",
      String(workers),
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  let match: RegExpExecArray | null = null;
  while (match === null) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`the cluster exited: ${out}`);
    out += value;
    match = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
  }
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  return {
    port: Number(match[1]),
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

async function requestsPerSecond(port: number): Promise<number> {
  const { code, stdout, stderr } = await new Deno.Command("node", {
    args: [
      "bench/http_load_serial.mjs",
      "--port",
      String(port),
      "--path",
      "/",
      "--length",
      "9", // "worker N\n"
      "--connections",
      String(CONNECTIONS),
      "--warmup",
      "300",
      "--duration",
      String(DURATION),
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0) throw new Error(new TextDecoder().decode(stderr));
  return (JSON.parse(new TextDecoder().decode(stdout)) as { requestsPerSecond: number })
    .requestsPerSecond;
}

const results: Record<number, number[]> = { 1: [], 2: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const workers of round % 2 === 0 ? [1, 2] : [2, 1]) {
    const cluster = await startCluster(workers);
    try {
      results[workers]!.push(await requestsPerSecond(cluster.port));
    } finally {
      await cluster.stop();
    }
  }
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
const ratios = results[2]!.map((value, i) => value / results[1]![i]!);
console.log(`| workers | req/s (median, range) |`);
console.log(`| ---: | ---: |`);
for (const workers of [1, 2]) {
  const values = results[workers]!;
  console.log(
    `| ${workers} | ${Math.round(median(values)).toLocaleString("en")} (${
      Math.round(Math.min(...values)).toLocaleString("en")
    }–${Math.round(Math.max(...values)).toLocaleString("en")}) |`,
  );
}
console.log(
  `\n2 workers ÷ 1: ${median(ratios).toFixed(2)}× (${Math.min(...ratios).toFixed(2)}–${
    Math.max(...ratios).toFixed(2)
  }), ${CONNECTIONS} connections, ${ROUNDS} interleaved rounds`,
);
