/**
 * The four servers of `bench/e2e.ts`'s echo tables (ours, Deno native, `ws`,
 * Bun native), started as the benchmark starts them, must echo every
 * message intact at the sizes of its rows, up to two 16 MiB messages in
 * flight on one connection (16 MiB is Bun's default payload limit: one byte
 * more and it closes with 1009), or the rows compare servers that are not
 * doing the same work. Checked by the outside generator
 * (`bench/echo_load_outside.mjs`), which compares every echo byte for byte
 * and exits 1 on any difference. Counted runs.
 */
import assert from "node:assert/strict";
import { ensureWs } from "../bench/_node_ws.ts";
import { requireTool, startProcess } from "./_process.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const READY = /listening on (ws:\/\/\S+)/;
const ADDRESS = ["--host", "127.0.0.1", "--port", "0"];

const SERVERS: Record<string, () => Promise<[string, string[]]>> = {
  "examples/echo_server.ts": () =>
    Promise.resolve([Deno.execPath(), [
      "run",
      "--allow-net=127.0.0.1",
      "examples/echo_server.ts",
      ...ADDRESS,
    ]]),
  "bench/native_echo_server.ts": () =>
    Promise.resolve([Deno.execPath(), [
      "run",
      "--allow-net=127.0.0.1",
      "bench/native_echo_server.ts",
      ...ADDRESS,
    ]]),
  "bench/ws_echo_server.mjs": async () => {
    await ensureWs(() => {});
    return [await requireTool("node", "install Node.js 20 or later"), [
      "bench/ws_echo_server.mjs",
      ...ADDRESS,
    ]];
  },
  "bench/bun_echo_server.mjs": async () => [
    await requireTool("bun", "npm install -g bun"),
    ["bench/bun_echo_server.mjs", ...ADDRESS],
  ],
};

/** Runs the outside generator for `count` round trips per connection; returns messages echoed. */
async function echo(
  url: string,
  connections: number,
  inflight: number,
  size: number,
  count: number,
): Promise<number> {
  const { code, stdout, stderr } = await new Deno.Command("node", {
    args: [
      "bench/echo_load_outside.mjs",
      "--url",
      url,
      "--connections",
      String(connections),
      "--inflight",
      String(inflight),
      "--size",
      String(size),
      "--count",
      String(count),
      "--timeout",
      "60000",
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  return JSON.parse(new TextDecoder().decode(stdout)).messages;
}

for (const [name, command] of Object.entries(SERVERS)) {
  Deno.test(`${name} echoes the benchmark's messages intact, up to two 16 MiB in flight`, async () => {
    const [program, args] = await command();
    const started = await startProcess(program, args, READY);
    const url = `${started.match[1]}/`;
    try {
      assert.equal(await echo(url, 8, 16, 64, 40), 8 * 40);
      assert.equal(await echo(url, 2, 16, 16 * 1024, 20), 2 * 20);
      assert.equal(await echo(url, 2, 4, 1024 * 1024, 6), 2 * 6);
      assert.equal(await echo(url, 1, 2, 16 * 1024 * 1024, 4), 4);
    } finally {
      await started.stop();
    }
  });
}
