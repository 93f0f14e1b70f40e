/**
 * The servers of `bench/runtimes.ts` besides `ws`: this module's on Node
 * (bundled) and on Bun, and Bun's native one.
 * Each must open every connection of the benchmark's idle client, answer
 * one 64-byte round trip on each, and let the client close them all, or the
 * benchmark compares servers that are not doing the same work.
 */
import assert from "node:assert/strict";
import {
  assertServesIdleClient,
  bundleModule,
  NODE_STDIN_MODULE,
  requireTool,
  type Started,
  startProcess,
} from "./_process.ts";

const READY = /listening on (ws:\/\/\S+)/;
const ADDRESS = ["--host", "127.0.0.1", "--port", "0"];
const COUNT = 30;

async function serves(start: () => Promise<Started>): Promise<void> {
  const started = await start();
  try {
    await assertServesIdleClient(`${started.match[1]}/`, COUNT);
  } finally {
    const status = await started.stop();
    assert.equal(status.code, 0, `the server exits cleanly on SIGTERM:\n${started.output()}`);
  }
}

Deno.test(`bench/node_echo_server.ts on Node serves ${COUNT} idle connections, one echo each`, async () => {
  const node = await requireTool("node", "install Node.js 20 or later");
  const bundle = await bundleModule("bench/node_echo_server.ts");
  await serves(() => startProcess(node, [...NODE_STDIN_MODULE, ...ADDRESS], READY, {}, bundle));
});

Deno.test(`bench/node_echo_server.ts on Bun serves ${COUNT} idle connections, one echo each`, async () => {
  const bun = await requireTool("bun", "npm install -g bun");
  await serves(() => startProcess(bun, ["bench/node_echo_server.ts", ...ADDRESS], READY));
});

Deno.test(`bench/bun_echo_server.mjs serves ${COUNT} idle connections, one echo each`, async () => {
  const bun = await requireTool("bun", "npm install -g bun");
  await serves(() => startProcess(bun, ["bench/bun_echo_server.mjs", ...ADDRESS], READY));
});
