/**
 * Long fuzz runs:
 *
 *   deno task fuzz -- --seed N --iterations 1000000 --target frames|protocol|http|handshake|inspector|all
 *   deno task fuzz -- --target frames --case SEED     (replay one case)
 *   deno task fuzz -- --target frames --case SEED --input   (and print its whole input as hex)
 *
 * Prints iterations, time and findings per target; exits 1 when anything
 * was found.
 */

import { parseArgs } from "node:util";
import { formatFinding, runCase, runFuzz } from "./_runner.ts";
import { TARGETS } from "./_targets.ts";

const { values } = parseArgs({
  args: Deno.args.filter((arg) => arg !== "--"),
  options: {
    seed: { type: "string", default: String(Date.now() % 0x100000000) },
    iterations: { type: "string", default: "100000" },
    target: { type: "string", default: "all" },
    case: { type: "string" },
    "max-findings": { type: "string", default: "5" },
    input: { type: "boolean", default: false },
  },
});

const names = values.target === "all" ? Object.keys(TARGETS) : values.target.split(",");
for (const name of names) {
  if (TARGETS[name] === undefined) {
    console.error(`Unknown target ${name}: use ${Object.keys(TARGETS).join(", ")} or all`);
    Deno.exit(2);
  }
}

/** A progress line on a terminal, rewritten in place. */
function progress(text: string): void {
  if (Deno.stderr.isTerminal()) Deno.stderr.writeSync(new TextEncoder().encode(`\r\x1b[K${text}`));
}

if (values.case !== undefined) {
  for (const name of names) {
    try {
      const kind = await runCase(TARGETS[name]!, Number(values.case));
      console.log(`${name}: case ${values.case} (${kind}) passed`);
    } catch (error) {
      console.log(`${name}: case ${values.case} failed: ${(error as Error).message}`);
      console.log((error as { detail?: string }).detail ?? "");
      const input = (error as { input?: Uint8Array }).input;
      if (values.input && input !== undefined) {
        // The whole input as hex, for `deno task inspect -- --hex -`.
        console.log(
          `whole input:\n${Array.from(input, (b) => b.toString(16).padStart(2, "0")).join("")}`,
        );
      }
      Deno.exitCode = 1;
    }
  }
} else {
  const seed = Number(values.seed);
  const iterations = Number(values.iterations);
  let found = 0;
  for (const name of names) {
    const report = await runFuzz(TARGETS[name]!, {
      seed,
      iterations,
      maxFindings: Number(values["max-findings"]),
      onProgress: (done) => progress(`${name}: ${done}`),
    });
    progress("");
    const rate = Math.round(report.iterations / (report.milliseconds / 1000));
    console.log(
      `${name}: seed ${seed}, ${report.iterations} iterations in ${
        (report.milliseconds / 1000).toFixed(1)
      } s (${rate}/s), cases ${JSON.stringify(report.kinds)}, ${report.findings.length} finding(s)`,
    );
    for (const finding of report.findings) console.log(formatFinding(finding));
    found += report.findings.length;
  }
  if (found > 0) Deno.exitCode = 1;
}
