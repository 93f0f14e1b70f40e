/**
 * The portable subset of the suite (`tests/portable/cases.ts`) on Deno,
 * Node and Bun: the same cases, the same public API, each runtime's own
 * sockets underneath (`Deno.listen`/`Deno.connect` here, `node:http` and
 * `node:net`/`node:tls` there).
 */
import assert from "node:assert/strict";
import * as api from "../mod.ts";
import { cases, runCases } from "./portable/cases.ts";
import { nodeCases } from "./portable/node_cases.ts";
import { bundleModule, NODE_STDIN_MODULE, requireTool, runProcess } from "./_process.ts";
import { makeTestCertificates } from "./_tls.ts";

const certificates = await makeTestCertificates();
const env = {
  EDGEWS_CA: certificates.ca,
  EDGEWS_CERT: certificates.cert,
  EDGEWS_KEY: certificates.key,
};

for (const testCase of cases) {
  Deno.test(`portable on Deno: ${testCase.name}`, () => testCase.run(api, certificates));
}

/** Every case reported `ok` by the other runtime, and nothing failed. */
function assertAllPassed(code: number, output: string): void {
  const lines = output.split("\n");
  const names = [...cases, ...nodeCases].map((testCase) => testCase.name);
  for (const name of names) {
    assert.ok(lines.includes(`ok - ${name}`), `${name} did not pass:\n${output}`);
  }
  assert.ok(lines.includes(`${names.length} passed, 0 failed`), output);
  assert.equal(code, 0, output);
}

Deno.test("portable cases under Node 20 (bundled by deno bundle)", async () => {
  const node = await requireTool("node", "install Node.js 20 or later");
  const bundle = await bundleModule("tests/portable/main_node.ts");
  const { code, output } = await runProcess(node, NODE_STDIN_MODULE, env, bundle);
  assertAllPassed(code, output);
});

Deno.test("portable cases under Bun (TypeScript as it is)", async () => {
  const bun = await requireTool("bun", "npm install -g bun");
  const { code, output } = await runProcess(bun, ["tests/portable/main_node.ts"], env);
  assertAllPassed(code, output);
});

Deno.test("runCases reports a failing case and counts it", async () => {
  const lines: string[] = [];
  const broken = { ...api, connect: () => Promise.reject(new Error("no network")) } as typeof api;
  const failed = await runCases(broken, certificates, (line) => lines.push(line));
  assert.ok(failed > 0);
  assert.ok(lines.some((line) => line.startsWith("not ok - ") && line.includes("no network")));
  assert.equal(lines.at(-1), `${cases.length - failed} passed, ${failed} failed`);
});
