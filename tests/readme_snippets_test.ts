/**
 * Every code block of README.md, run. `CHECKS` maps each `ts`/`js` block
 * (by the heading above it and its index there) to what it claims, checked
 * against the snippet run as a program in a child process: servers moved to
 * loopback ports, hosts of the examples (`feed.example`, ...) swapped for
 * servers this test runs, real clients talking to them; each child is
 * stopped after its check. A block without an entry, or an entry without a
 * block, fails the first test. `sh` blocks must name tasks and files that
 * exist; the inspector's transcript is compared with what its command
 * prints; the nginx block is run by `tests/production_guide_test.ts`.
 */
import assert from "node:assert/strict";
import { connect, serve, upgradeWebSocket, type WebSocketServer } from "../mod.ts";
import { deadline } from "./_http_raw.ts";
import { openRaw } from "./_raw_client.ts";
import {
  type ReadmeBlock,
  readmeBlocks,
  runSnippet,
  type SnippetProcess,
  snippetProgram,
} from "./_readme.ts";
import { startRedis } from "./_redis.ts";
import { makeTestCertificates, type TestCertificates } from "./_tls.ts";
import { startTinyproxy } from "./_tinyproxy.ts";

const ROOT = new URL("../", import.meta.url);
const TIMEOUT = 20_000;

/** What a check gets: a directory for the child's files, and a way to run the snippet. */
interface Context {
  dir: string;
  block: ReadmeBlock;
  /** Start the snippet after `rewrites`, with `append` after it (harness lines) and `env`. */
  run(
    rewrites?: [string, string][],
    append?: string,
    env?: Record<string, string>,
  ): ReturnType<typeof runSnippet>;
}

type Check =
  | { covered: string }
  | ((context: Context) => Promise<void>);

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Rewrites that move a snippet's `serve({ port: 8080 })` and its `:8080` URLs to loopback `port`. */
function loopback(port: number): [string, string][] {
  return [
    ["{ port: 8080 }", `{ hostname: "127.0.0.1", port: ${port}, onListen() {} }`],
  ];
}

/**
 * Rewrites that move a server-only snippet's `serve({ port: 8080 })` to port
 * 0 on loopback: `serve` then prints "Listening on http://127.0.0.1:PORT/".
 */
const ANY_PORT: [string, string][] = [["{ port: 8080 }", `{ hostname: "127.0.0.1", port: 0 }`]];

/** The port a snippet's server printed that it listens on. */
async function listening(snippet: { waitFor(pattern: RegExp): Promise<RegExpExecArray> }) {
  return Number((await snippet.waitFor(/Listening on http:\/\/127\.0\.0\.1:(\d+)\//))[1]);
}

/** Messages of each native `WebSocket` this test opened, kept from the start. */
const inboxes = new WeakMap<WebSocket, { messages: unknown[]; wake?: () => void }>();

/**
 * The next message of a socket from {@linkcode openNative}, within the
 * deadline. Messages are queued from the moment the socket is made: one that
 * arrives right after the open event (a snippet's server that sends on open)
 * is dispatched before the code awaiting the open gets to listen.
 */
async function nextMessage(socket: WebSocket, what = "a message"): Promise<unknown> {
  const inbox = inboxes.get(socket)!;
  if (inbox.messages.length === 0) {
    await deadline(new Promise<void>((resolve) => inbox.wake = resolve), TIMEOUT, what);
  }
  return inbox.messages.shift();
}

async function openNative(url: string, protocols?: string[]): Promise<WebSocket> {
  const socket = new WebSocket(url, protocols);
  const inbox: { messages: unknown[]; wake?: () => void } = { messages: [] };
  inboxes.set(socket, inbox);
  socket.addEventListener("message", (event) => {
    inbox.messages.push(event.data);
    inbox.wake?.();
  });
  await deadline(
    new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = () => reject(new Error(`cannot connect to ${url}`));
    }),
    TIMEOUT,
    "open",
  );
  return socket;
}

let certificates: Promise<TestCertificates> | undefined;

/** A TLS server on 127.0.0.1 with the test CA's certificate, and the env that makes a child trust it. */
async function tlsServer(
  handler: (request: Request) => Response | Promise<Response>,
  dir: string,
): Promise<{ server: WebSocketServer; port: number; env: Record<string, string> }> {
  certificates ??= makeTestCertificates();
  const { ca, cert, key } = await certificates;
  await Deno.writeTextFile(`${dir}/ca.pem`, ca);
  const server = serve({ hostname: "127.0.0.1", port: 0, cert, key, onListen() {} }, handler);
  return { server, port: server.addr.port, env: { DENO_CERT: `${dir}/ca.pem` } };
}

/** An echo socket for the servers this test runs in place of the README's hosts. */
function echo(request: Request, options: Parameters<typeof upgradeWebSocket>[1] = {}) {
  const { response, socket } = upgradeWebSocket(request, options);
  socket.onmessage = (event) => socket.send(event.data);
  return { response, socket };
}

const CHECKS: Record<string, Check> = {
  "Install #1": { covered: "tests/readme_install_test.ts" },

  "Quick start #1": async ({ run }) => {
    const port = freePort();
    const snippet = await run([...loopback(port), [":8080/", `:${port}/`]]);
    try {
      // The snippet's client got its echo; a client of our own gets the subprotocol and one too.
      await snippet.waitFor(/^hello$/m);
      const socket = await openNative(`ws://127.0.0.1:${port}/`, ["chat"]);
      assert.equal(socket.protocol, "chat");
      socket.send("again");
      assert.equal(await nextMessage(socket), "again");
      socket.close();
    } finally {
      await snippet.stop();
    }
  },

  "The protocol core on its own #1": async ({ run }) => {
    const snippet = await run();
    assert.equal((await snippet.status).code, 0, snippet.output());
    assert.equal(snippet.output(), '{ type: "text", data: "Hello" }\n');
  },

  "The protocol core on its own #2": async ({ run }) => {
    // Feed `messagesOf` a masked message in two fragments, as a client sends it.
    const snippet = await run(
      [],
      `
import { FrameEncoder as E } from "./frames/mod.ts";
import { MessageEncoder as M } from "./messages/mod.ts";
const encoder = new E({ role: "client" });
const chunks = [...new M({ fragmentSize: 3 }).encode({ type: "text", data: "Hello" })]
  .flatMap((frame) => [...encoder.encode(frame)].map((bytes) => bytes.slice()));
for await (const message of messagesOf({ readable: ReadableStream.from(chunks) })) {
  console.log(JSON.stringify(message));
}
`,
    );
    assert.equal((await snippet.status).code, 0, snippet.output());
    assert.equal(snippet.output(), '{"type":"text","data":"Hello"}\n');
  },

  "Compression #1": async ({ run }) => {
    const port = freePort();
    const snippet = await run([...loopback(port), [":8080/", `:${port}/`]]);
    try {
      await snippet.waitFor(
        /^permessage-deflate; server_no_context_takeover; client_max_window_bits=12$/m,
      );
      await snippet.waitFor(/^""$/m);
      // The server compresses for a client that offers it, and echoes through it.
      const ws = await connect(`ws://127.0.0.1:${port}/`);
      assert.match(ws.extensions, /^permessage-deflate; server_no_context_takeover/);
      await ws.writable.getWriter().write("x".repeat(1000));
      assert.equal((await ws.readable.getReader().read()).value, "x".repeat(1000));
      ws.close();
      await ws.closed;
    } finally {
      await snippet.stop();
    }
  },

  "Clients behind an HTTP proxy #1": async ({ run, dir }) => {
    let upgrades = 0;
    const feed = await tlsServer((request) => {
      upgrades++;
      return echo(request).response;
    }, dir);
    const proxy = await startTinyproxy({
      auth: { user: "user", password: "pass" },
      connectPorts: [feed.port],
    });
    try {
      const proxyUrl = `http://user:pass@127.0.0.1:${proxy.port}`;
      const snippet = await run(
        [
          ["wss://feed.example/", `wss://127.0.0.1:${feed.port}/`],
          ["http://user:pass@proxy.corp:3128", proxyUrl],
        ],
        `
console.log("connect:", ws.protocol === "" && viaEnv.protocol === "");
socket.onopen = () => console.log("WebSocket: open");
`,
        { ...feed.env, HTTPS_PROXY: proxyUrl },
      );
      try {
        await snippet.waitFor(/^connect: true$/m);
        await snippet.waitFor(/^WebSocket: open$/m);
        // All three went through the proxy's CONNECT, with the credentials it requires.
        const tunnels = proxy.log().match(new RegExp(`CONNECT.*127\\.0\\.0\\.1:${feed.port}`, "g"));
        assert.equal(tunnels?.length, 3, proxy.log());
        assert.equal(upgrades, 3);
      } finally {
        await snippet.stop();
      }
    } finally {
      await proxy.stop();
      await feed.server.shutdown();
    }
  },

  "Server-side `WebSocketStream` #1": async ({ run }) => {
    const snippet = await run(ANY_PORT);
    try {
      const port = await listening(snippet);
      const socket = await openNative(`ws://127.0.0.1:${port}/`);
      socket.send("echo me");
      assert.equal(await nextMessage(socket), "echo me");
      socket.close(4000, "bye");
      await snippet.waitFor(/^closed 4000 bye$/m);
    } finally {
      await snippet.stop();
    }
  },

  "Per-message streams (`streamMessages`) #1": async ({ run, dir }) => {
    const upload = new Uint8Array(3 * 65536).map((_, i) => (i * 7919) >> 3);
    await Deno.writeFile(`${dir}/big.bin`, upload);
    // Echo the two messages, then close: the snippet's `for await` ends.
    const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
      const { response, socket } = upgradeWebSocket(request);
      let count = 0;
      socket.onmessage = (event) => {
        socket.send(event.data);
        if (++count === 2) socket.close(1000);
      };
      return response;
    });
    try {
      const snippet = await run([[":8080/", `:${server.addr.port}/`]]);
      const status = await deadline(snippet.status, TIMEOUT, "the snippet's exit");
      assert.equal(status.code, 0, snippet.output());
      assert.equal(snippet.output().replaceAll("\n", ""), "Hello, world");
      assert.deepEqual(await Deno.readFile(`${dir}/download.bin`), upload);
    } finally {
      await server.shutdown();
    }
  },

  "Headers both ways #1": async ({ run, dir }) => {
    const seen: string[] = [];
    const api = await tlsServer((request) => {
      seen.push(
        `${request.headers.get("authorization") ?? ""}|${request.headers.get("cookie") ?? ""}`,
      );
      return echo(request, { headers: { "set-cookie": "id=7" } }).response;
    }, dir);
    try {
      const snippet = await run(
        [["wss://api.example/feed", `wss://127.0.0.1:${api.port}/feed`]],
        `socket.onopen = () => console.log("open");\n`,
        api.env,
      );
      try {
        await snippet.waitFor(/^\[ "id=7" \]$/m);
        await snippet.waitFor(/^open$/m);
        assert.deepEqual(seen.sort(), ["Bearer t0k3n|", "|session=1"]);
      } finally {
        await snippet.stop();
      }
    } finally {
      await api.server.shutdown();
    }
  },

  "Headers both ways #2": async ({ run }) => {
    const snippet = await run(ANY_PORT);
    try {
      const port = await listening(snippet);
      const ws = await connect(`ws://127.0.0.1:${port}/`);
      assert.deepEqual(ws.headers?.getSetCookie(), [
        "session=abc; HttpOnly; Secure",
        "theme=dark",
      ]);
      await ws.writable.getWriter().write("hi");
      assert.equal((await ws.readable.getReader().read()).value, "hi");
      ws.close();
      await ws.closed;
    } finally {
      await snippet.stop();
    }
  },

  "Redirects #1": async ({ run, dir }) => {
    // One server under two names: 127.0.0.1 redirects to localhost, which upgrades.
    let port = 0;
    const site = await tlsServer((request) => {
      const url = new URL(request.url);
      if (url.hostname === "127.0.0.1") {
        return Response.redirect(`wss://localhost:${port}${url.pathname}`, 301);
      }
      return echo(request).response;
    }, dir);
    port = site.port;
    try {
      const snippet = await run(
        [["wss://old.example/socket", `wss://127.0.0.1:${port}/socket`]],
        "",
        site.env,
      );
      try {
        await snippet.waitFor(new RegExp(`^wss://localhost:${port}/socket$`, "m"));
      } finally {
        await snippet.stop();
      }
    } finally {
      await site.server.shutdown();
    }
  },

  "`signal`: abort for the whole lifetime #1": async ({ run, dir }) => {
    const closed = Promise.withResolvers<string>();
    const feed = await tlsServer((request) => {
      const { response, socket } = upgradeWebSocket(request);
      socket.onclose = (event) => closed.resolve(`${event.code} ${event.reason}`);
      return response;
    }, dir);
    try {
      const snippet = await run(
        // Long enough for the TLS and WebSocket handshakes on a loaded machine: the
        // signal would abort the opening handshake instead (as documented).
        [["wss://feed.example/", `wss://127.0.0.1:${feed.port}/`], ["60_000", "3_000"]],
        "",
        feed.env,
      );
      try {
        assert.equal(await deadline(closed.promise, TIMEOUT, "the close"), "1000 Aborted");
      } finally {
        await snippet.stop();
      }
    } finally {
      await feed.server.shutdown();
    }
  },

  "Heartbeat #1": async ({ run, dir }) => {
    const feed = await tlsServer((request) => echo(request, { heartbeat: false }).response, dir);
    try {
      const snippet = await run(
        [
          ["wss://feed.example/", `wss://127.0.0.1:${feed.port}/`],
          // Paced for a test: pings every 250 ms (dropped after 3 unanswered), rtt read at 500.
          ["interval: 15_000", "interval: 250"],
          ["60_000", "500"],
          ["interval: 30_000", "interval: 100"],
        ],
        `serve({ hostname: "127.0.0.1", port: 0, onListen: ({ port }) => console.log("handle", port) }, handle);\n` +
          `import { serve } from "./mod.ts";\n`,
        feed.env,
      );
      try {
        // The client measured a round trip to its pings.
        await snippet.waitFor(/^rtt \d+(\.\d+)? ms$/m);
        // A server socket of `handle` pings a client that sends nothing.
        const port = Number((await snippet.waitFor(/^handle (\d+)$/m))[1]);
        const conn = await openRaw(port);
        try {
          const first = new Uint8Array(2);
          assert.notEqual(await deadline(conn.read(first), TIMEOUT, "a ping"), null);
          assert.equal(first[0], 0x89, "a ping frame, FIN set");
        } finally {
          conn.close();
        }
      } finally {
        await snippet.stop();
      }
    } finally {
      await feed.server.shutdown();
    }
  },

  "Broadcast without unbounded queues #1": async ({ run }) => {
    const snippet = await run(ANY_PORT);
    try {
      const port = await listening(snippet);
      const url = `ws://127.0.0.1:${port}/`;
      // Each member hears its own message once subscribed, then a publish reaches both.
      const first = await openNative(url);
      first.send("first");
      assert.equal(await nextMessage(first), "first");
      const second = await openNative(url);
      second.send("second");
      assert.deepEqual(await Promise.all([nextMessage(first), nextMessage(second)]), [
        "second",
        "second",
      ]);
      const both = Promise.all([nextMessage(first), nextMessage(second)]);
      first.send("to all");
      assert.deepEqual(await both, ["to all", "to all"]);
      first.close();
      second.close();
    } finally {
      await snippet.stop();
    }
  },

  "Topics and scale-out (`pubsub/`) #1": async ({ run }) => {
    const redis = await startRedis();
    try {
      const snippet = await run([...ANY_PORT, ["port: 6379", `port: ${redis.port}`]]);
      try {
        const port = await listening(snippet);
        const url = `ws://127.0.0.1:${port}/`;
        // A client from a lost history is told to resync (and is then a member).
        const first = await openNative(`${url}?offset=1&epoch=gone`);
        assert.ok("resync" in JSON.parse(String(await nextMessage(first, "the resync notice"))));
        // Published through Redis and numbered: offsets 1 and 2 of one epoch.
        first.send("one");
        const one = JSON.parse(String(await nextMessage(first, "message 1")));
        assert.deepEqual({ offset: one.offset, data: one.data }, { offset: 1, data: "one" });
        first.send("two");
        assert.equal(JSON.parse(String(await nextMessage(first, "message 2"))).offset, 2);
        // A client that saw offset 1 resumes and gets what it missed.
        const resumed = await openNative(`${url}?offset=1&epoch=${one.epoch}`);
        assert.deepEqual(JSON.parse(String(await nextMessage(resumed, "the missed message"))), {
          offset: 2,
          epoch: one.epoch,
          data: "two",
        });
        for (const socket of [first, resumed]) socket.close();
      } finally {
        await snippet.stop();
      }
    } finally {
      await redis.kill();
    }
  },

  "Production guide #1": { covered: "tests/production_guide_test.ts" },
};

/** The commands and files an `sh` block names: tasks of deno.json, files of this repository. */
async function checkShell(block: ReadmeBlock): Promise<void> {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  for (const line of block.code.split("\n")) {
    const command = line.replace(/#.*$/, "");
    for (const [, task] of command.matchAll(/deno task ([\w:-]+)/g)) {
      assert.ok(task! in config.tasks, `README ${block.name}: no task "${task}" in deno.json`);
    }
    for (const [path] of command.matchAll(/\b(?:examples|bench|tests|cli)\/[\w./-]+\.ts\b/g)) {
      await Deno.stat(new URL(path, ROOT)).catch(() => {
        throw new Error(`README ${block.name}: no file ${path}`);
      });
    }
    for (const [, name] of command.matchAll(/(?:jsr:|npm install )(@[\w/-]+)/g)) {
      assert.equal(name, config.name, `README ${block.name}: the package is ${config.name}`);
    }
  }
}

Deno.test("README: every code block has a check", async () => {
  const blocks = await readmeBlocks();
  const run = blocks.filter((block) => block.lang === "ts" || block.lang === "js");
  assert.deepEqual(
    run.map((block) => block.name).sort(),
    Object.keys(CHECKS).sort(),
    "a ts/js block of README.md without an entry in CHECKS, or an entry without its block",
  );
  for (const block of blocks) {
    if (block.lang === "ts" || block.lang === "js") continue;
    if (block.lang === "sh") await checkShell(block);
    else if (block.lang === "nginx") {
      const test = await Deno.readTextFile(new URL("tests/production_guide_test.ts", ROOT));
      assert.ok(test.includes("```nginx"), "the production guide test runs the nginx block");
    } else {
      // Plain blocks are output shown as text: only the inspector's transcript, run below.
      assert.equal(block.name, "Frame inspector #1", `README.md:${block.line}: a new block kind`);
    }
  }
});

Deno.test("README Frame inspector #1: the transcript is what the command prints", async () => {
  const block = (await readmeBlocks()).find((block) =>
    block.name === "Frame inspector #1" && block.lang === ""
  );
  assert.ok(block !== undefined, "README.md's inspector transcript");
  const [command, ...expected] = block.code.split("\n");
  assert.equal(command, "$ deno task inspect -- capture.hex");
  const dir = await Deno.makeTempDir();
  try {
    // RFC 6455 §5.7's examples (masked "Hello", "Hel" + "lo", a ping) and a frame with RSV2, as xxd prints them.
    await Deno.writeTextFile(
      `${dir}/capture.hex`,
      "00000000: 8185 37fa 213d 7f9f 4d51 5801 0348 656c  ..7.!=..MQX..Hel\n" +
        "00000010: 8002 6c6f 8905 4865 6c6c 6fa2 00         ..lo..Hello..\n",
    );
    const { code, stdout } = await new Deno.Command(Deno.execPath(), {
      args: ["task", "--quiet", `--config=${new URL("deno.json", ROOT).pathname}`, "inspect"]
        .concat(command!.split(" ").slice(4)),
      cwd: dir,
      stdout: "piped",
      stderr: "null",
      // INIT_CWD: deno task keeps one set by an outer `deno task` (as `deno task test`).
      env: { NO_COLOR: "1", INIT_CWD: dir },
    }).output();
    assert.equal(code, 1, "exit status 1 after a protocol error");
    assert.equal(new TextDecoder().decode(stdout), expected.join("\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("README: every ts snippet type checks", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const files: string[] = [];
    for (const block of await readmeBlocks()) {
      if (block.lang !== "ts" || !block.ignore || "covered" in (CHECKS[block.name] ?? {})) {
        continue;
      }
      const file = `${dir}/snippet_${block.line}.ts`;
      await Deno.writeTextFile(file, snippetProgram(block));
      files.push(file);
    }
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--quiet", `--config=${new URL("deno.json", ROOT).pathname}`, ...files],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

for (const [name, check] of Object.entries(CHECKS)) {
  Deno.test(`README ${name}`, async () => {
    const block = (await readmeBlocks()).find((block) =>
      block.name === name && (block.lang === "ts" || block.lang === "js")
    );
    assert.ok(block !== undefined, `README.md has no block "${name}"`);
    if (typeof check !== "function") {
      // Run by another test: it reads this block from README.md.
      const test = await Deno.readTextFile(new URL(check.covered, ROOT));
      assert.ok(/readme/i.test(test), `${check.covered} reads README.md`);
      return;
    }
    const dir = await Deno.makeTempDir();
    let snippet: SnippetProcess | undefined;
    try {
      await check({
        dir,
        block,
        run: async (rewrites, append, env) =>
          snippet = await runSnippet(snippetProgram(block, rewrites, append), dir, env),
      });
    } catch (error) {
      // What the snippet printed says why a client waited in vain.
      if (snippet !== undefined && error instanceof Error) {
        error.message += `\n--- the snippet printed:\n${snippet.output()}`;
      }
      throw error;
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
