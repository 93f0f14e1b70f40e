/**
 * Runs a fuzz target for a number of cases from one seed. Each case gets its
 * own seed (`caseSeed(seed, iteration)`), so a failure is reproduced with
 * `deno task fuzz -- --target NAME --case SEED` whatever the run around it.
 */

import { caseSeed, SeededRandom } from "./_generators.ts";
import { type CaseKind, FuzzFailure, type FuzzTarget } from "./_targets.ts";

/** A broken invariant, with what it takes to replay the case. */
export interface FuzzFinding {
  target: string;
  seed: number;
  iteration: number;
  caseSeed: number;
  message: string;
  detail: string;
}

/** What a run did. */
export interface FuzzReport {
  target: string;
  iterations: number;
  kinds: Partial<Record<CaseKind, number>>;
  findings: FuzzFinding[];
  milliseconds: number;
}

/** Options for {@linkcode runFuzz}. */
export interface RunOptions {
  seed: number;
  iterations: number;
  /** Stop after this many findings. @default {1} */
  maxFindings?: number;
  /** Called about every second with the iterations done. */
  onProgress?: (done: number) => void;
}

/** Replay one case by its case seed. Throws a {@linkcode FuzzFailure} when it fails. */
export async function runCase(target: FuzzTarget, seed: number): Promise<CaseKind> {
  return await target.run(new SeededRandom(seed));
}

/** Run `iterations` cases of `target`, collecting findings instead of stopping at the first. */
export async function runFuzz(target: FuzzTarget, options: RunOptions): Promise<FuzzReport> {
  const start = performance.now();
  const kinds: Partial<Record<CaseKind, number>> = {};
  const findings: FuzzFinding[] = [];
  const maxFindings = options.maxFindings ?? 1;
  let lastProgress = start;
  let iteration = 0;
  for (; iteration < options.iterations && findings.length < maxFindings; iteration++) {
    const seed = caseSeed(options.seed, iteration);
    try {
      const kind = await runCase(target, seed);
      kinds[kind] = (kinds[kind] ?? 0) + 1;
    } catch (error) {
      findings.push({
        target: target.name,
        seed: options.seed,
        iteration,
        caseSeed: seed,
        message: error instanceof FuzzFailure
          ? error.message
          : `harness error: ${(error as Error)?.stack ?? error}`,
        detail: error instanceof FuzzFailure ? error.detail : "",
      });
    }
    if (options.onProgress !== undefined && (iteration & 1023) === 0) {
      const now = performance.now();
      if (now - lastProgress > 1000) {
        lastProgress = now;
        options.onProgress(iteration);
      }
    }
  }
  return {
    target: target.name,
    iterations: iteration,
    kinds,
    findings,
    milliseconds: performance.now() - start,
  };
}

/** A finding as text: what broke and how to replay it. */
export function formatFinding(finding: FuzzFinding): string {
  return `[${finding.target}] seed ${finding.seed} iteration ${finding.iteration}: ${finding.message}\n` +
    `replay: deno task fuzz -- --target ${finding.target} --case ${finding.caseSeed}\n${finding.detail}`;
}
