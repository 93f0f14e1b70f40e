/**
 * The same application file (`examples/app.ts`) on every runtime: Deno with
 * this module's `serve`, `Deno.serve` (Deno frames, as on Deploy), Node 20
 * (on a `deno bundle` of the launcher) and Bun (running the TypeScript
 * launcher itself). Each is a real process on loopback, and real clients
 * (this module's, and Deno's native `WebSocket`) talk to it.
 */
import assert from "node:assert/strict";
import { connect } from "../mod.ts";
import { nextEvent, patternBytes } from "./_servers.ts";
import {
  bundleForNode,
  NODE_STDIN_MODULE,
  requireTool,
  type Started,
  startProcess,
} from "./_process.ts";

const READY = /listening on ws:\/\/127\.0\.0\.1:(\d+)/;

/** Talk to the app at `port` the way a person's client would, and check every answer. */
async function exerciseApp(port: number, runtime: RegExp): Promise<void> {
  const url = `ws://127.0.0.1:${port}/app`;
  // This module's client: streams, subprotocol, text, a large binary message, the app's close.
  const ws = await connect(url, { protocols: ["echo"] });
  assert.equal(ws.protocol, "echo");
  const reader = ws.readable.getReader();
  const writer = ws.writable.getWriter();
  const welcome = (await reader.read()).value;
  assert.equal(typeof welcome, "string");
  assert.match(welcome as string, new RegExp(`^welcome from ${runtime.source}`));
  await writer.write("κόσμε");
  assert.equal((await reader.read()).value, "κόσμε");
  const big = patternBytes(300_000, 7);
  await writer.write(big);
  assert.deepEqual((await reader.read()).value, big);
  await writer.write("bye");
  assert.deepEqual(await ws.closed, { closeCode: 4000, reason: "bye" });

  // Deno's native client: events, arraybuffers, a clean close it starts.
  const native = new WebSocket(url, "echo");
  native.binaryType = "arraybuffer";
  const first = await nextEvent<MessageEvent>(native, "message");
  assert.match(first.data, new RegExp(`^welcome from ${runtime.source}`));
  native.send(new Uint8Array([0, 1, 2, 255]));
  const echoed = await nextEvent<MessageEvent>(native, "message");
  assert.deepEqual(new Uint8Array(echoed.data), new Uint8Array([0, 1, 2, 255]));
  native.close(3001, "done");
  const closed = await nextEvent<CloseEvent>(native, "close");
  assert.equal(closed.wasClean, true);
  assert.equal(closed.code, 3001);

  // A plain request gets the page.
  const page = await fetch(`http://127.0.0.1:${port}/`);
  assert.match(await page.text(), new RegExp(`^edgews example app on ${runtime.source}`));
}

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
  const bundle = await bundleForNode("examples/app_node.ts");
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
