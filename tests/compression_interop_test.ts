/**
 * permessage-deflate against other implementations over loopback: `npm:ws`
 * as client and as server, with and without context takeover, and headless
 * Chromium (the chat demo, and an echo page with large messages).
 */
import assert from "node:assert/strict";
import { WebSocket as WsClient, WebSocketServer as WsServer } from "ws";
import { connect, serve, upgradeWebSocket } from "../mod.ts";
import { launchChromium } from "./_chromium.ts";
import { countingRelay } from "./_compression.ts";
import { patternBytes } from "./_servers.ts";
import { startExample } from "./_examples.ts";

/** About 1 KiB of JSON, different for each `id`. */
function jsonMessage(id: number): string {
  const words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"];
  const text = Array.from({ length: 120 }, (_, i) => words[(id + i * 5) % 8]).join(" ");
  return JSON.stringify({ id, type: "message", room: "general", user: `user-${id % 7}`, text })
    .slice(0, 1024);
}

const MESSAGES: (string | Uint8Array)[] = [
  ...Array.from({ length: 60 }, (_, i) => jsonMessage(i)),
  "",
  "κόσμε ".repeat(30_000),
  patternBytes(70_000),
  new Uint8Array(300_000),
];
/** What MESSAGES weigh uncompressed. */
const RAW_BYTES = MESSAGES.reduce(
  (sum, m) => sum + (typeof m === "string" ? new TextEncoder().encode(m).length : m.length),
  0,
);

const contexts = [
  { name: "with context takeover", ws: {}, ours: {} },
  {
    name: "without context takeover",
    ws: { serverNoContextTakeover: true, clientNoContextTakeover: true },
    ours: { serverNoContextTakeover: true, clientNoContextTakeover: true },
  },
];

for (const context of contexts) {
  Deno.test(`npm:ws client (perMessageDeflate) <-> our server, ${context.name}`, async () => {
    let agreed = "";
    const server = serve({ hostname: "127.0.0.1", port: 0 }, (request) => {
      const { response, socket } = upgradeWebSocket(request, {
        perMessageDeflate: { threshold: 0 },
      });
      socket.onopen = () => agreed = socket.extensions;
      socket.binaryType = "arraybuffer";
      socket.onmessage = (event) => socket.send(event.data);
      return response;
    });
    const relay = countingRelay(server.addr.port);
    const client = new WsClient(`ws://127.0.0.1:${relay.port}/`, {
      perMessageDeflate: { threshold: 0, ...context.ws },
    });
    try {
      await new Promise((resolve, reject) => {
        client.once("open", resolve);
        client.once("error", reject);
      });
      // ws names the extensions it uses; our side has the parameters.
      assert.equal(client.extensions, "permessage-deflate");
      const received: (string | Uint8Array)[] = [];
      const all = new Promise<void>((resolve) => {
        client.on("message", (data: Uint8Array, isBinary: boolean) => {
          received.push(isBinary ? new Uint8Array(data) : new TextDecoder().decode(data));
          if (received.length === MESSAGES.length) resolve();
        });
      });
      for (const message of MESSAGES) client.send(message);
      await all;
      assert.deepEqual(received, MESSAGES);
      assert.equal(
        agreed,
        context.ws === contexts[0]!.ws
          ? "permessage-deflate"
          : "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
      );
      const closed = new Promise<number>((resolve) => client.once("close", resolve));
      client.close(1000);
      assert.equal(await closed, 1000);
      assert.ok(relay.counts.up < RAW_BYTES / 3, `ws sent ${relay.counts.up} of ${RAW_BYTES}`);
      assert.ok(relay.counts.down < RAW_BYTES / 3, `we sent ${relay.counts.down} of ${RAW_BYTES}`);
    } finally {
      client.terminate();
      await relay.close();
      await server.shutdown();
    }
  });

  Deno.test(`our client <-> npm:ws server (perMessageDeflate), ${context.name}`, async () => {
    const wsServer = new WsServer({
      host: "127.0.0.1",
      port: 0,
      perMessageDeflate: { threshold: 0, ...context.ws },
    });
    await new Promise((resolve) => wsServer.once("listening", resolve));
    wsServer.on("connection", (peer: WsClient) => {
      peer.on("message", (data: Uint8Array, isBinary: boolean) => {
        peer.send(data, { binary: isBinary });
      });
    });
    const port = (wsServer.address() as { port: number }).port;
    const relay = countingRelay(port);
    try {
      const ws = await connect(`ws://127.0.0.1:${relay.port}/`, {
        perMessageDeflate: { threshold: 0, ...context.ours },
      });
      const expected = context.ours === contexts[0]!.ours
        ? "permessage-deflate"
        : "permessage-deflate; server_no_context_takeover; client_no_context_takeover";
      assert.equal(ws.extensions, expected);
      const writer = ws.writable.getWriter();
      for (const message of MESSAGES) void writer.write(message);
      const reader = ws.readable.getReader();
      for (const message of MESSAGES) assert.deepEqual((await reader.read()).value, message);
      ws.close({ closeCode: 1000 });
      assert.deepEqual(await ws.closed, { closeCode: 1000, reason: "" });
      assert.ok(relay.counts.up < RAW_BYTES / 3, `we sent ${relay.counts.up} of ${RAW_BYTES}`);
      assert.ok(relay.counts.down < RAW_BYTES / 3, `ws sent ${relay.counts.down} of ${RAW_BYTES}`);
    } finally {
      await relay.close();
      await new Promise((resolve) => wsServer.close(resolve));
    }
  });
}

Deno.test("chat demo in headless Chromium negotiates permessage-deflate and messages arrive both ways", async () => {
  const chat = await startExample(["examples/chat/server.ts"], /chat on http:\/\/localhost:(\d+)/, {
    PORT: "0",
  });
  try {
    const origin = `http://127.0.0.1:${chat.match[1]}/`;
    await using browser = await launchChromium();
    await using alice = await browser.newPage(origin);
    await using bob = await browser.newPage(origin);
    await alice.waitFor("window.chat.ready");
    await bob.waitFor("window.chat.ready");
    for (const page of [alice, bob]) {
      assert.match(
        await page.evaluate<string>("window.chat.socket.extensions"),
        /^permessage-deflate/,
      );
    }
    const long = "compressible ".repeat(300);
    for (const text of ["hello from alice", long, "hello again"]) {
      await alice.evaluate(`
        document.getElementById("text").value = ${JSON.stringify(text)};
        document.getElementById("form").requestSubmit();
      `);
    }
    await bob.waitFor(
      `window.chat.received.filter((m) => m.type === "message").length === 3`,
    );
    const texts = await bob.evaluate<string[]>(
      `window.chat.received.filter((m) => m.type === "message").map((m) => m.text)`,
    );
    // (maxlength limits typing, not a value set by script: the long text goes whole.)
    assert.deepEqual(texts, ["hello from alice", long, "hello again"]);
  } finally {
    const status = await chat.stop();
    assert.equal(status.success, true);
  }
});

const ECHO_PAGE = `<!doctype html>
<meta charset="utf-8">
<script>
  globalThis.result = null;
  const socket = new WebSocket(location.href.replace(/^http/, "ws") + "echo");
  socket.binaryType = "arraybuffer";
  const sent = [
    JSON.stringify({ hello: "world", list: Array.from({ length: 500 }, (_, i) => i) }),
    "κόσμε ".repeat(50000),
    new Uint8Array(200000).map((_, i) => i % 7),
    "",
  ];
  const got = [];
  socket.onopen = () => { for (const m of sent) socket.send(m); };
  socket.onmessage = (event) => {
    got.push(event.data);
    if (got.length < sent.length) return;
    const same = sent.every((m, i) => typeof m === "string"
      ? got[i] === m
      : new Uint8Array(got[i]).every((b, j) => b === m[j]) && got[i].byteLength === m.length);
    globalThis.result = { same, extensions: socket.extensions };
    socket.close(1000);
  };
  socket.onerror = () => { globalThis.result = { error: true }; };
</script>`;

Deno.test("Chromium <-> our server: large compressed text and binary echo with context takeover", async () => {
  const inflated: number[] = [];
  const server = serve({ hostname: "127.0.0.1", port: 0 }, (request) => {
    if (request.headers.get("upgrade") === null) {
      return new Response(ECHO_PAGE, { headers: { "content-type": "text/html; charset=utf-8" } });
    }
    const { response, socket } = upgradeWebSocket(request, { perMessageDeflate: { threshold: 0 } });
    socket.binaryType = "arraybuffer";
    socket.onmessage = (event) => {
      inflated.push(typeof event.data === "string" ? event.data.length : event.data.byteLength);
      socket.send(event.data);
    };
    return response;
  });
  const relay = countingRelay(server.addr.port);
  try {
    await using browser = await launchChromium();
    await using page = await browser.newPage(`http://127.0.0.1:${relay.port}/`);
    await page.waitFor("globalThis.result !== null");
    const result = await page.evaluate<{ same: boolean; extensions: string }>("globalThis.result");
    assert.equal(result.same, true);
    assert.match(result.extensions, /^permessage-deflate/);
    assert.equal(inflated.length, 4);
    // 300 KB of text and 200 KB of binary each way, and both ends compressed.
    assert.ok(relay.counts.up < 100_000, `Chromium sent ${relay.counts.up} bytes`);
    assert.ok(relay.counts.down < 100_000, `we sent ${relay.counts.down} bytes`);
  } finally {
    await relay.close();
    await server.shutdown();
  }
});
