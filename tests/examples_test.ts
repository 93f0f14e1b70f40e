/**
 * The examples other checks rely on, run as real processes: the echo server,
 * the echo client, and the chat demo in two headless Chromium tabs.
 */
import assert from "node:assert/strict";
import { serve, upgradeWebSocket } from "../mod.ts";
import { launchChromium } from "./_chromium.ts";
import { nextEvent } from "./_servers.ts";
import { startExample } from "./_examples.ts";

const ROOT = new URL("../", import.meta.url);

Deno.test("examples/echo_server.ts echoes text and binary for Deno's native client, and stops on SIGTERM", async () => {
  const server = await startExample(
    ["examples/echo_server.ts", "--host", "127.0.0.1", "--port", "0"],
    /listening on ws:\/\/127\.0\.0\.1:(\d+)/,
  );
  try {
    const socket = new WebSocket(`ws://127.0.0.1:${server.match[1]}/any/path`);
    socket.binaryType = "arraybuffer";
    await nextEvent(socket, "open");
    socket.send("κόσμε");
    assert.equal((await nextEvent<MessageEvent>(socket, "message")).data, "κόσμε");
    socket.send(new Uint8Array([0, 1, 2, 255]));
    const echoed = (await nextEvent<MessageEvent>(socket, "message")).data as ArrayBuffer;
    assert.deepEqual(new Uint8Array(echoed), new Uint8Array([0, 1, 2, 255]));
    socket.close(1000);
    assert.equal((await nextEvent<CloseEvent>(socket, "close")).wasClean, true);
  } finally {
    const status = await server.stop();
    assert.equal(status.success, true, "exits cleanly on SIGTERM");
  }
});

Deno.test("examples/echo_client.ts echoes everything back and exits 0 after a clean close", async () => {
  const received: (string | number)[] = [];
  const server = serve({ hostname: "127.0.0.1", port: 0 }, (request) => {
    const { response, socket } = upgradeWebSocket(request);
    socket.binaryType = "arraybuffer";
    socket.onopen = () => {
      socket.send("one");
      socket.send(new Uint8Array(70_000));
      socket.send("three");
    };
    socket.onmessage = (event) => {
      received.push(typeof event.data === "string" ? event.data : event.data.byteLength);
      if (received.length === 3) socket.close(1000, "done");
    };
    return response;
  });
  try {
    const { code, stdout } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net=127.0.0.1",
        "examples/echo_client.ts",
        `ws://127.0.0.1:${server.addr.port}/`,
      ],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const out = new TextDecoder().decode(stdout);
    assert.equal(code, 0, out);
    assert.deepEqual(received, ["one", 70_000, "three"]);
    assert.equal(
      out,
      `connecting to ws://127.0.0.1:${server.addr.port}/\n` +
        "connected: echoing every message back until the server closes\n" +
        'closed 1000 "done" clean=true after echoing 3 message(s)\n',
    );
  } finally {
    await server.shutdown();
  }
});

Deno.test("examples/echo_client.ts says it is connecting, and gives up when no handshake answer comes", async () => {
  // A server that accepts the TCP connection and never answers.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) accepted.push(conn);
  })();
  const url = `ws://127.0.0.1:${listener.addr.port}/`;
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-net=127.0.0.1", "examples/echo_client.ts", "--timeout", "1", url],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    // A deadline of its own, far past the client's: without the timeout it would wait forever.
    const deadline = setTimeout(() => child.kill("SIGKILL"), 30_000);
    const { code, stdout } = await child.output();
    clearTimeout(deadline);
    assert.equal(code, 1);
    assert.equal(
      new TextDecoder().decode(stdout),
      `connecting to ${url}\n${url}: no answer to the opening handshake within 1 s\n`,
    );
  } finally {
    listener.close();
    await accepting;
    for (const conn of accepted) conn.close();
  }
});

Deno.test("chat demo in headless Chromium: two tabs see each other's messages", async () => {
  const chat = await startExample(
    ["examples/chat/server.ts"],
    /chat on http:\/\/localhost:(\d+)/,
    { PORT: "0" },
  );
  try {
    const origin = `http://127.0.0.1:${chat.match[1]}/`;
    await using browser = await launchChromium();
    await using alice = await browser.newPage(origin);
    await using bob = await browser.newPage(origin);
    await alice.waitFor("window.chat.ready");
    await bob.waitFor("window.chat.ready");
    assert.equal(await alice.evaluate("window.chat.socket.protocol"), "chat");
    // Type into Alice's form and submit it, as a person would.
    await alice.evaluate(`
      document.getElementById("text").value = "hello from alice";
      document.getElementById("form").requestSubmit();
    `);
    await bob.waitFor(
      `window.chat.received.some((m) => m.type === "message" && m.text === "hello from alice")`,
    );
    const shown = await bob.evaluate<string>(`document.getElementById("log").textContent`);
    assert.match(shown, /hello from alice/);
    const aliceName = await alice.evaluate<string>("window.chat.name");
    const bobSaw = await bob.evaluate<{ name: string }[]>(
      `window.chat.received.filter((m) => m.type === "message")`,
    );
    assert.equal(bobSaw[0]?.name, aliceName);
  } finally {
    const status = await chat.stop();
    assert.equal(status.success, true);
  }
});

Deno.test("chat demo in headless Chromium: a page on http://evil.example cannot join", async () => {
  const chat = await startExample(
    ["examples/chat/server.ts"],
    /chat on http:\/\/localhost:(\d+)/,
    { PORT: "0" },
  );
  // The attacker's page: it opens the chat's WebSocket as a visitor's browser would.
  const evil = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
    new Response(
      `<!doctype html><script>
      window.result = "";
      const ws = new WebSocket("ws://127.0.0.1:${chat.match[1]}/ws", "chat");
      ws.onopen = () => { window.result = "joined"; };
      ws.onclose = (event) => { window.result ||= "closed " + event.code; };
      </script>`,
      { headers: { "content-type": "text/html" } },
    ));
  try {
    await using browser = await launchChromium({
      extraArgs: ["--host-resolver-rules=MAP evil.example 127.0.0.1"],
    });
    await using page = await browser.newPage(`http://evil.example:${evil.addr.port}/`);
    assert.equal(await page.evaluate("location.origin"), `http://evil.example:${evil.addr.port}`);
    await page.waitFor("window.result");
    assert.equal(await page.evaluate("window.result"), "closed 1006");
    const stats = await fetch(`http://127.0.0.1:${chat.match[1]}/api/stats`);
    assert.deepEqual(await stats.json(), { members: 0, messages: 0 });
  } finally {
    await evil.shutdown();
    const status = await chat.stop();
    assert.equal(status.success, true);
  }
});
