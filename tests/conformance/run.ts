/**
 * The conformance suite (an Autobahn-TestSuite equivalent) against this
 * module, Deno's native WebSocket and `ws` on Node, each as a server and as a
 * client, in one run. Writes `conformance/report.json` and
 * `conformance/report.html` and prints one line per implementation and side:
 * `NAME side: N OK, N NON-STRICT, N FAILED`.
 *
 * Run: `deno task conformance` (all), or with flags:
 *   --only ours,native,ws   implementations (default: all three)
 *   --side server,client    sides (default: both)
 *   --cases '5.*,6.4.*'     case ids (globs)
 *   --concurrency N         cases at once, except serial ones (default 4)
 *
 * Exits 1 when this module has a FAILED or NON-STRICT case.
 *
 * @module
 */

import { parseFlags } from "../../examples/_args.ts";
import { selectCases } from "./cases.ts";
import { reportHtml, reportJson, type SuiteReport } from "./report.ts";
import { runClientTarget, runServerTarget, summaryLine, type TargetResult } from "./suite.ts";
import { ensureWs, IMPL_NAMES, type ImplKey, IMPLS, ROOT, stopAll } from "./targets.ts";

const { flags } = parseFlags(Deno.args);
const impls = (flags.get("only")?.split(",") ?? [...IMPLS]) as ImplKey[];
for (const impl of impls) {
  if (!IMPLS.includes(impl)) throw new Error(`unknown implementation ${impl}: use ${IMPLS}`);
}
const sides = (flags.get("side")?.split(",") ?? ["server", "client"]) as ("server" | "client")[];
const cases = selectCases(flags.get("cases")?.split(",").filter(Boolean));
const concurrency = Number(flags.get("concurrency") ?? 4);
const log = (line: string) => console.log(line);

if (cases.length === 0) throw new Error("no case matches --cases");

Deno.addSignalListener("SIGINT", () => {
  void stopAll().then(() => Deno.exit(130));
});

const started = performance.now();
const startedAt = new Date().toISOString();
const targets: TargetResult[] = [];
try {
  if (impls.includes("ws")) await ensureWs(log);
  for (const side of sides) {
    for (const impl of impls) {
      log(`${IMPL_NAMES[impl]} as ${side}: ${cases.length} cases…`);
      const run = side === "server" ? runServerTarget : runClientTarget;
      const result = await run(impl, { cases, concurrency, log });
      targets.push(result);
      log(`  ${summaryLine(result)} in ${(result.durationMs / 1000).toFixed(1)} s`);
    }
  }
} finally {
  await stopAll();
}

let node: string | undefined;
try {
  const out = await new Deno.Command("node", { args: ["--version"], stdout: "piped" }).output();
  node = new TextDecoder().decode(out.stdout).trim().replace(/^v/, "");
} catch {
  node = undefined;
}
const report: SuiteReport = {
  startedAt,
  durationMs: Math.round(performance.now() - started),
  deno: Deno.version.deno,
  node,
  targets,
};
await Deno.mkdir(`${ROOT}conformance`, { recursive: true });
await Deno.writeTextFile(`${ROOT}conformance/report.json`, reportJson(report, cases));
await Deno.writeTextFile(`${ROOT}conformance/report.html`, reportHtml(report, cases));

console.log("");
for (const target of targets) console.log(summaryLine(target));
console.log(
  `\n${cases.length} cases in ${(report.durationMs / 1000).toFixed(1)} s; ` +
    "report: conformance/report.html, conformance/report.json",
);
const oursBad = targets.filter((t) =>
  t.impl === "ours" && (t.counts.FAILED > 0 || t.counts["NON-STRICT"] > 0)
);
for (const t of oursBad) {
  console.log(`\n${t.name} ${t.side}, not OK:`);
  for (const r of t.results) {
    if (r.outcome === "FAILED" || r.outcome === "NON-STRICT") {
      console.log(`  ${r.id} ${r.outcome}: ${r.reason}`);
    }
  }
}
Deno.exit(oursBad.length > 0 ? 1 : 0);
