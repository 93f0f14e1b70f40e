/**
 * The same application file (`examples/app.ts`) on every runtime: Deno with
 * this module's `serve`, `Deno.serve` (Deno frames, as on Deploy), Node 20
 * (on a `deno bundle` of the launcher) and Bun (running the TypeScript
 * launcher itself). Each is a real process on loopback, and real clients
 * (this module's, and Deno's native `WebSocket`) talk to it.
 */
import assert from "node:assert/strict";
import { exerciseApp } from "./_app_client.ts";
import {
  bundleModule,
  NODE_STDIN_MODULE,
  requireTool,
  type Started,
  startProcess,
} from "./_process.ts";

const READY = /listening on ws:\/\/127\.0\.0\.1:(\d+)/;

async function runApp(start: () => Promise<Started>, runtime: RegExp): Promise<void> {
  const server = await start();
  try {
    await exerciseApp(Number(server.match[1]), runtime);
  } finally {
    const status = await server.stop();
    assert.equal(status.code, 0, `the server exits cleanly on SIGTERM:\n${server.output()}`);
  }
}

Deno.test("examples/app.ts under deno run with this module's serve", async () => {
  await runApp(
    () =>
      startProcess(Deno.execPath(), [
        "run",
        "--allow-net=127.0.0.1",
        "examples/app_deno.ts",
        "--port",
        "0",
      ], READY),
    /Deno\/\d/,
  );
});

Deno.test("examples/app.ts under Deno.serve, where Deno.upgradeWebSocket does the framing", async () => {
  await runApp(
    () =>
      startProcess(Deno.execPath(), [
        "run",
        "--allow-net=127.0.0.1",
        "examples/app_deno_serve.ts",
        "--port",
        "0",
      ], READY),
    /Deno\/\d/,
  );
});

Deno.test("examples/app.ts under Node 20, bundled by deno bundle", async () => {
  const node = await requireTool("node", "install Node.js 20 or later");
  const bundle = await bundleModule("examples/app_node.ts");
  await runApp(
    () => startProcess(node, [...NODE_STDIN_MODULE, "--port", "0"], READY, {}, bundle),
    /Node\.js\/v\d+/,
  );
});

Deno.test("examples/app.ts under Bun, which runs the TypeScript launcher as it is", async () => {
  const bun = await requireTool("bun", "npm install -g bun");
  await runApp(
    () => startProcess(bun, ["examples/app_node.ts", "--port", "0"], READY),
    /Bun\/\d/,
  );
});
