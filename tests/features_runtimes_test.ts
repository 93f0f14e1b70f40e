/**
 * Issue 8's features (server-side WebSocketStream with per-message streams,
 * headers both ways, redirects, signal, heartbeat) on Deno, Node 20 and Bun:
 * the same cases (`_feature_cases.ts`), each runtime's own sockets.
 */
import assert from "node:assert/strict";
import * as api from "../mod.ts";
import { runCases } from "./portable/cases.ts";
import { featureCases } from "./_feature_cases.ts";
import { bundleModule, NODE_STDIN_MODULE, requireTool, runProcess } from "./_process.ts";

const none = { ca: "", cert: "", key: "" };

for (const testCase of featureCases) {
  Deno.test(`features on Deno: ${testCase.name}`, () => testCase.run(api, none));
}

function assertAllPassed(code: number, output: string): void {
  const lines = output.split("\n");
  for (const { name } of featureCases) {
    assert.ok(lines.includes(`ok - ${name}`), `${name} did not pass:\n${output}`);
  }
  assert.ok(lines.includes(`${featureCases.length} passed, 0 failed`), output);
  assert.equal(code, 0, output);
}

Deno.test("features under Node 20 (bundled by deno bundle)", async () => {
  const node = await requireTool("node", "install Node.js 20 or later");
  const bundle = await bundleModule("tests/_feature_cases_node.ts");
  const { code, output } = await runProcess(node, NODE_STDIN_MODULE, {}, bundle);
  assertAllPassed(code, output);
});

Deno.test("features under Bun (TypeScript as it is)", async () => {
  const bun = await requireTool("bun", "npm install -g bun");
  const { code, output } = await runProcess(bun, ["tests/_feature_cases_node.ts"]);
  assertAllPassed(code, output);
});

Deno.test("a failing feature case is reported and counted", async () => {
  const lines: string[] = [];
  const broken = { ...api, connect: () => Promise.reject(new Error("no network")) } as typeof api;
  const failed = await runCases(broken, none, (line) => lines.push(line), featureCases);
  assert.ok(failed > 0);
  assert.ok(lines.some((line) => line.includes("no network")));
});
