/**
 * The npm package as a user gets it: built by `npm/build.ts`, packed by
 * `npm pack`, installed from the tarball into a fresh Node project and a
 * fresh Bun project (no registry needed: it has no dependencies), then a
 * server and a client from it talk over loopback, under the one name
 * `@edgews/websocket`. TypeScript checks a consumer against its `.d.ts`.
 */
import assert from "node:assert/strict";
import { readmeInstall } from "../tests/_readme.ts";

const ROOT = new URL("../", import.meta.url).pathname;

async function run(
  command: string,
  args: string[],
  cwd: string,
): Promise<string> {
  const child = new Deno.Command(command, {
    args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", npm_config_update_notifier: "false" },
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  const { code, stdout, stderr } = await child.output();
  clearTimeout(timer);
  const out = new TextDecoder().decode(stdout);
  assert.equal(code, 0, `${command} ${args.join(" ")}:\n${out}${new TextDecoder().decode(stderr)}`);
  return out;
}

/** Server and client from the package root. */
const APP = `
import { nodeConnector, serve, upgradeWebSocket, WebSocket, WebSocketStream } from "@edgews/websocket";

const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
  const { response, socket } = upgradeWebSocket(request);
  socket.onmessage = (event) => socket.send("echo: " + event.data);
  return response;
});
const { port } = await server.listening;
const wss = new WebSocketStream("ws://127.0.0.1:" + port + "/");
const { readable, writable } = await wss.opened;
await writable.getWriter().write("hello");
const { value: stream } = await readable.getReader().read();
wss.close({ closeCode: 1000 });
await wss.closed;
const ws = new WebSocket("ws://127.0.0.1:" + port + "/");
const event = await new Promise((resolve) => {
  ws.onopen = () => ws.send("again");
  ws.onmessage = (message) => { ws.close(1000); resolve(message); };
});
await new Promise((resolve) => ws.onclose = resolve);
await server.shutdown();
console.log(JSON.stringify({ stream, event: event.data, nodeEntry: typeof nodeConnector }));
`;

/** A subpath alone registers no connector: the error says what to import. */
const BARE = `
import { WebSocketStream } from "@edgews/websocket/connection";
try {
  new WebSocketStream("ws://127.0.0.1:1/");
} catch (error) {
  console.log(error.message);
}
`;
const NO_CONNECTOR = "Cannot open a WebSocketStream: no connector " +
  '(on Node and Bun import "@edgews/websocket" or node.ts, or pass the connector option)\n';

const EXPECTED = {
  stream: "echo: hello",
  event: "echo: again",
  nodeEntry: "function",
};

/** Types from the package: `listening` is only on the Node server, so this checks the condition. */
const CONSUMER = `
import { serve, upgradeWebSocket, WebSocketStream } from "@edgews/websocket";
const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request: Request) => {
  const { response, socket } = upgradeWebSocket(request);
  socket.onmessage = (event) => socket.send(String(event.data));
  return response;
});
const addr = await server.listening;
export const wss: WebSocketStream = new WebSocketStream(\`ws://127.0.0.1:\${addr.port}/\`);
`;

const TSCONFIG = {
  compilerOptions: {
    module: "nodenext",
    moduleResolution: "nodenext",
    target: "es2022",
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    lib: ["es2022", "dom"],
    types: [],
  },
  files: ["consumer.ts"],
};

Deno.test("npm package: packed, installed in Node and Bun projects, serves and connects", async () => {
  const { program } = await readmeInstall();
  const dir = await Deno.makeTempDir();
  try {
    const out = `${dir}/package`;
    await run(Deno.execPath(), ["run", "--allow-all", "npm/build.ts", "--out", out], ROOT);
    const packed = JSON.parse(
      await run("npm", ["pack", "--json", "--pack-destination", dir], out),
    ) as { filename: string; files: { path: string }[] }[];
    const files = packed[0]!.files.map((file) => file.path);
    assert.ok(files.includes("node.js") && files.includes("node.d.ts"));
    assert.ok(files.includes("LICENSE") && files.includes("README.md"));
    assert.ok((await Deno.readTextFile(`${out}/README.md`)).includes(program), "README program");
    assert.deepEqual(files.filter((f) => /_test\.|(?<!\.d)\.ts$/.test(f)), []);
    const tarball = `${dir}/${packed[0]!.filename}`;

    const nodeApp = `${dir}/node-app`;
    await Deno.mkdir(nodeApp);
    await Deno.writeTextFile(`${nodeApp}/package.json`, '{"private":true,"type":"module"}');
    await run("npm", ["install", "--offline", "--no-fund", "--no-audit", tarball], nodeApp);
    await Deno.writeTextFile(`${nodeApp}/app.mjs`, APP);
    assert.deepEqual(JSON.parse(await run("node", ["app.mjs"], nodeApp)), EXPECTED);
    await Deno.writeTextFile(`${nodeApp}/readme.mjs`, program);
    assert.equal(await run("node", ["readme.mjs"], nodeApp), "hello\n");
    await Deno.writeTextFile(`${nodeApp}/bare.mjs`, BARE);
    assert.equal(await run("node", ["bare.mjs"], nodeApp), NO_CONNECTOR);
    await Deno.writeTextFile(`${nodeApp}/consumer.ts`, CONSUMER);
    await Deno.writeTextFile(`${nodeApp}/tsconfig.json`, JSON.stringify(TSCONFIG));
    await run(
      Deno.execPath(),
      ["run", "--allow-all", "npm:typescript@6.0.3/tsc", "-p", "."],
      nodeApp,
    );

    const bunApp = `${dir}/bun-app`;
    await Deno.mkdir(bunApp);
    await Deno.writeTextFile(`${bunApp}/package.json`, '{"private":true,"type":"module"}');
    await run("bun", ["add", tarball], bunApp);
    await Deno.writeTextFile(`${bunApp}/app.ts`, APP);
    assert.deepEqual(JSON.parse(await run("bun", ["app.ts"], bunApp)), EXPECTED);
    await Deno.writeTextFile(`${bunApp}/readme.js`, program);
    assert.equal(await run("bun", ["readme.js"], bunApp), "hello\n");
    await Deno.writeTextFile(`${bunApp}/bare.ts`, BARE);
    assert.equal(await run("bun", ["bare.ts"], bunApp), NO_CONNECTOR);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
