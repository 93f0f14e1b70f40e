/**
 * `bench/results.json`, shared by the benchmarks that record their figures:
 * each merges its own keys and keeps the others'.
 *
 * @module
 */

const RESULTS = new URL("./results.json", import.meta.url);

/** Write `update`'s keys into `bench/results.json`, keeping every other key. */
export async function mergeResults(update: Record<string, unknown>): Promise<void> {
  let existing: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(await Deno.readTextFile(RESULTS));
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) existing = parsed;
  } catch {
    // No file yet, or unreadable: start afresh.
  }
  await Deno.writeTextFile(RESULTS, JSON.stringify({ ...existing, ...update }, null, 2) + "\n");
}
