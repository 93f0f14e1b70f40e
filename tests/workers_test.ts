/**
 * Cloudflare Workers for real: workerd (Cloudflare's open-source Workers
 * runtime, from the npm registry) serves `examples/app.ts`, where
 * `upgradeWebSocket` wraps a `WebSocketPair`, and a Worker that opens an
 * outbound WebSocket with `cloudflareConnector` over the real `connect()` of
 * `cloudflare:sockets`, to this module's server on loopback.
 */
import assert from "node:assert/strict";
import { exerciseApp } from "./_app_client.ts";
import { startEchoServer } from "./_servers.ts";
import { bundleModule, requireTool, runProcess, type Started, startProcess } from "./_process.ts";

/** A Cap'n Proto text string literal (workerd's config format). */
function capnpString(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === '"') out += '\\"';
    else if (ch === "\n") out += "\\n";
    else if (code < 0x20) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out + '"';
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * Start workerd on a free loopback port with `source` as the Worker, its
 * outbound sockets allowed to reach loopback ("local"), and `flags` as the
 * compatibility flags (`nodejs_compat` gives compression its `node:zlib`).
 */
async function startWorkerd(
  entry: string,
  flags: string[] = ["nodejs_compat"],
): Promise<Started & { port: number }> {
  const workerd = await requireTool("workerd", "npm install -g workerd");
  const source = new TextDecoder().decode(await bundleModule(entry));
  const port = freePort();
  const config = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "internet", network = (allow = ["local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = ${capnpString(source)})],
  compatibilityDate = "2025-01-01",
  compatibilityFlags = [${flags.map((flag) => JSON.stringify(flag)).join(", ")}],
  globalOutbound = "internet",
);
`;
  // workerd wants its config in a regular file: a shell writes it to a
  // temporary one (the tests have no write permission), then becomes workerd;
  // `stop` removes the file.
  const script = `config=$(mktemp --suffix=.capnp)
cat > "$config"
echo "config $config"
exec "$0" serve "$config"`;
  const started = await startProcess(
    "bash",
    ["-c", script, workerd],
    port,
    {},
    new TextEncoder().encode(config),
  );
  const stop = async () => {
    const status = await started.stop();
    const path = /^config (\S+\.capnp)$/m.exec(started.output())?.[1];
    if (path !== undefined) await runProcess("rm", ["-f", path]);
    return status;
  };
  return { ...started, stop, port };
}

Deno.test("examples/app.ts on workerd: upgradeWebSocket wraps a WebSocketPair", async () => {
  const worker = await startWorkerd("examples/app_workers.ts");
  try {
    await exerciseApp(worker.port, /Cloudflare-Workers/);
  } finally {
    await worker.stop();
  }
});

Deno.test("examples/app.ts on workerd without nodejs_compat: mod.ts loads with no node: module", async () => {
  const worker = await startWorkerd("examples/app_workers.ts", []);
  try {
    await exerciseApp(worker.port, /Cloudflare-Workers/);
  } finally {
    await worker.stop();
  }
});

Deno.test("cloudflareConnector over workerd's own connect() reaches this module's server", async () => {
  const server = startEchoServer();
  const worker = await startWorkerd("tests/workers/relay_worker.ts");
  try {
    const target = `ws://127.0.0.1:${server.addr.port}/from-a-worker`;
    const response = await fetch(
      `http://127.0.0.1:${worker.port}/relay?target=${encodeURIComponent(target)}&text=κόσμε`,
    );
    const body = await response.json();
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.deepEqual(body, { reply: "κόσμε", closed: { closeCode: 1000, reason: "" } });
  } finally {
    await worker.stop();
    await server.shutdown();
  }
});
