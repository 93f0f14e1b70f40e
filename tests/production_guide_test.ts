/**
 * The README's Production guide, run as it is written: its program is
 * examples/production.ts (the README shows that file's text, checked
 * here), started as a process; its nginx config, taken from the README,
 * in front of it; and TLS with a chain a CA issued (root, intermediate,
 * server certificate).
 */
import assert from "node:assert/strict";
import { connect, HandshakeStatusError } from "../mod.ts";
import { deadline } from "./_http_raw.ts";
import { requireTool, type Started, startProcess } from "./_process.ts";
import { makeTestChain } from "./_tls.ts";

const ROOT = new URL("../", import.meta.url);
const TOKEN = "t0ken";
const READY = /listening on https?:\/\/127\.0\.0\.1:(\d+)\//;

async function readme(): Promise<string> {
  return await Deno.readTextFile(new URL("README.md", ROOT));
}

/** The production program in a process of its own, on a free loopback port. */
function startProduction(env: Record<string, string> = {}): Promise<Started> {
  return startProcess(
    Deno.execPath(),
    [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-env",
      "--allow-read",
      "examples/production.ts",
    ],
    READY,
    { HOST: "127.0.0.1", PORT: "0", TOKENS: TOKEN, ...env },
  );
}

/** Two clients in one room: what one sends, the other receives. */
async function roomExchange(base: string, caCerts?: string[]): Promise<void> {
  const url = `${base}/?token=${TOKEN}&room=ops`;
  const options = caCerts === undefined ? {} : { caCerts };
  const first = await connect(url, options);
  const second = await connect(url, options);
  try {
    // Both are members once their open handlers ran: publish until the second sees it.
    const reader = second.readable.getReader();
    const writer = first.writable.getWriter();
    await writer.write("deploy done");
    const { value } = await deadline(reader.read(), 10_000, "the room's message");
    assert.equal(value, "deploy done");
    reader.releaseLock();
    writer.releaseLock();
  } finally {
    first.close();
    second.close();
  }
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

Deno.test("production guide: the README shows examples/production.ts as it is", async () => {
  const program = await Deno.readTextFile(new URL("examples/production.ts", ROOT));
  const section = /\n## Production guide\n([\s\S]*?)\n## /.exec(await readme())?.[1] ?? "";
  const block = /```ts ignore\n([\s\S]*?)```/.exec(section)?.[1];
  assert.equal(block, program.slice(program.indexOf("import {")));
});

Deno.test("production guide: health, 401 before the upgrade, rooms", async () => {
  const server = await startProduction();
  try {
    const base = `127.0.0.1:${server.match[1]}`;
    const health = await fetch(`http://${base}/health`);
    assert.deepEqual(await health.json(), { ok: true });
    await assert.rejects(
      connect(`ws://${base}/?token=wrong`),
      (error: unknown) => error instanceof HandshakeStatusError && error.status === 401,
    );
    await assert.rejects(
      connect(`ws://${base}/`),
      (error: unknown) => error instanceof HandshakeStatusError && error.status === 401,
    );
    await roomExchange(`ws://${base}`);
  } finally {
    await server.stop();
  }
});

Deno.test("production guide: behind nginx with the README's config", async () => {
  const nginx = await requireTool("nginx", "apt-get install nginx");
  const server = await startProduction();
  const dir = await Deno.makeTempDir();
  let proxy: Started | undefined;
  try {
    const config = /```nginx\n([\s\S]*?)```/.exec(await readme())?.[1];
    assert.ok(config !== undefined, "the README's nginx config");
    const port = freePort();
    const site = config
      .replace("server 127.0.0.1:8080;", `server 127.0.0.1:${server.match[1]};`)
      .replace("listen 80;", `listen 127.0.0.1:${port};`);
    await Deno.writeTextFile(
      `${dir}/nginx.conf`,
      `daemon off;\nworker_processes 1;\nerror_log ${dir}/error.log;\npid ${dir}/nginx.pid;\n` +
        `events {}\nhttp {\n  access_log off;\n` +
        `  client_body_temp_path ${dir}/body;\n  proxy_temp_path ${dir}/proxy;\n` +
        `  fastcgi_temp_path ${dir}/fastcgi;\n  uwsgi_temp_path ${dir}/uwsgi;\n` +
        `  scgi_temp_path ${dir}/scgi;\n${site}}\n`,
    );
    await Deno.chmod(dir, 0o777);
    proxy = await startProcess(nginx, ["-p", dir, "-c", `${dir}/nginx.conf`], port);
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    assert.deepEqual(await health.json(), { ok: true });
    const refused = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(refused.status, 401);
    await refused.body?.cancel();
    await roomExchange(`ws://127.0.0.1:${port}`);
  } finally {
    await proxy?.stop();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("production guide: TLS with a CA-issued chain; without the intermediate clients refuse", async () => {
  await requireTool("openssl", "apt-get install openssl");
  const chain = await makeTestChain();
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/fullchain.pem`, chain.leaf + chain.intermediate);
    await Deno.writeTextFile(`${dir}/leaf.pem`, chain.leaf);
    await Deno.writeTextFile(`${dir}/key.pem`, chain.key);
    const full = await startProduction({
      TLS_CERT: `${dir}/fullchain.pem`,
      TLS_KEY: `${dir}/key.pem`,
    });
    try {
      await roomExchange(`wss://127.0.0.1:${full.match[1]}`, [chain.root]);
    } finally {
      await full.stop();
    }
    const leafOnly = await startProduction({
      TLS_CERT: `${dir}/leaf.pem`,
      TLS_KEY: `${dir}/key.pem`,
    });
    try {
      await assert.rejects(
        connect(`wss://127.0.0.1:${leafOnly.match[1]}/?token=${TOKEN}`, { caCerts: [chain.root] }),
      );
    } finally {
      await leafOnly.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
