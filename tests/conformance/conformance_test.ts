/**
 * CI's conformance gate: the whole suite (Autobahn groups 1-7, 9, 10, 12, 13
 * and the role-specific cases) against this module's echo server and echo
 * client, as subprocesses. Every case must be OK (or INFORMATIONAL where
 * Autobahn makes it so): no FAILED, no NON-STRICT, no UNIMPLEMENTED. Of the
 * informational ones, 7.1.6 must have echoed the messages sent with the
 * close frame before answering it (as `ws` and Deno do).
 * `deno task conformance` runs the same cases against Deno's native
 * WebSocket and `ws` too, and writes the report.
 */
import assert from "node:assert/strict";
import { CASES } from "./cases.ts";
import { runClientTarget, runServerTarget, summaryLine, type TargetResult } from "./suite.ts";
import { stopAll } from "./targets.ts";

function assertConformant(result: TargetResult, expectedCases: number): void {
  const bad = result.results.filter((r) => r.outcome !== "OK" && r.outcome !== "INFORMATIONAL");
  assert.equal(
    bad.length,
    0,
    `${summaryLine(result)}\n` + bad.map((r) => `  ${r.id} ${r.outcome}: ${r.reason}`).join("\n"),
  );
  const closeOrder = result.results.find((r) => r.id === "7.1.6");
  assert.equal(closeOrder?.reason, "Messages were echoed before the close.", "7.1.6");
  assert.equal(result.results.length, expectedCases, "every case ran");
  assert.equal(result.error, undefined);
}

const options = { cases: [...CASES], concurrency: 4, log: (line: string) => console.log(line) };

Deno.test("conformance: our echo server passes every case", async () => {
  try {
    const result = await runServerTarget("ours", options);
    assertConformant(result, CASES.filter((c) => c.peer !== "client").length);
  } finally {
    await stopAll();
  }
});

Deno.test("conformance: our echo client passes every case", async () => {
  try {
    const result = await runClientTarget("ours", options);
    assertConformant(result, CASES.filter((c) => c.peer !== "server").length);
  } finally {
    await stopAll();
  }
});
