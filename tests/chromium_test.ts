/**
 * Browser tests: a real headless Chromium (Debian's `chromium`, installed by
 * `deno task test`) loads pages from a loopback `Deno.serve`, driven
 * through `tests/_chromium.ts` over the Chrome DevTools Protocol.
 */
import assert from "node:assert/strict";
import { launchChromium } from "./_chromium.ts";

const HELLO_PAGE = `<!doctype html>
<html>
  <head><meta charset="utf-8"><title>loading</title></head>
  <body style="background: #2a6">
    <h1>hello</h1>
    <script>
      const squares = [1, 2, 3, 4].map((n) => n * n);
      globalThis.result = { squares, sum: squares.reduce((a, b) => a + b, 0) };
      document.title = "ready";
    </script>
  </body>
</html>`;

const ECHO_PAGE = `<!doctype html>
<html>
  <head><meta charset="utf-8"><title>echo</title></head>
  <body>
    <script>
      globalThis.received = [];
      const socket = new WebSocket(new URL("/echo", location.href.replace(/^http/, "ws")));
      socket.onopen = () => socket.send("ping");
      socket.onmessage = (event) => globalThis.received.push(event.data);
      socket.onerror = () => { globalThis.socketError = true; };
    </script>
  </body>
</html>`;

/** Starts a loopback server with `/` (HELLO_PAGE), `/echo.html` and a WebSocket echo at `/echo`. */
function startServer(): { origin: string; echoed: string[]; server: Deno.HttpServer } {
  const echoed: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const { pathname } = new URL(request.url);
    if (pathname === "/echo" && request.headers.get("upgrade")?.toLowerCase() === "websocket") {
      const { socket, response } = Deno.upgradeWebSocket(request);
      socket.onmessage = (event) => {
        echoed.push(String(event.data));
        socket.send(event.data);
      };
      return response;
    }
    const html = pathname === "/" ? HELLO_PAGE : pathname === "/echo.html" ? ECHO_PAGE : null;
    if (html === null) return new Response("not found", { status: 404 });
    return new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } });
  });
  return { origin: `http://127.0.0.1:${server.addr.port}`, echoed, server };
}

/** True if process `pid` still exists (`kill -0`). */
async function processExists(pid: number): Promise<boolean> {
  const { success } = await new Deno.Command("kill", {
    args: ["-0", String(pid)],
    stdout: "null",
    stderr: "null",
  }).output();
  return success;
}

Deno.test("chromium runs a page's script and the driver reads the result", async () => {
  const { origin, server } = startServer();
  try {
    await using browser = await launchChromium();
    assert.match(browser.version, /Chrome\/\d+/);
    await using page = await browser.newPage(`${origin}/`);
    await page.waitFor("document.title === 'ready'");
    assert.deepEqual(await page.evaluate("globalThis.result"), { squares: [1, 4, 9, 16], sum: 30 });
    assert.equal(await page.evaluate<string>("document.querySelector('h1').textContent"), "hello");
    assert.equal(await page.evaluate("Promise.resolve(6 * 7)"), 42);
    assert.equal(await page.evaluate("undefined"), undefined);
    await assert.rejects(page.evaluate("missingFunction()"), /ReferenceError: missingFunction/);

    const png = await page.screenshot();
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.ok(png.length > 100, `screenshot too small: ${png.length} bytes`);
  } finally {
    await server.shutdown();
  }
});

Deno.test("a page's WebSocket gets its echo from Deno.upgradeWebSocket", async () => {
  const { origin, echoed, server } = startServer();
  try {
    await using browser = await launchChromium();
    await using page = await browser.newPage(`${origin}/echo.html`);
    await page.waitFor("globalThis.received.length > 0 || globalThis.socketError");
    assert.deepEqual(await page.evaluate("globalThis.received"), ["ping"]);
    assert.deepEqual(echoed, ["ping"]);
    assert.deepEqual(page.console, []);
  } finally {
    await server.shutdown();
  }
});

Deno.test("the driver reports failures and cleans up after itself", async () => {
  const { origin, server } = startServer();
  const browser = await launchChromium();
  try {
    assert.ok(await processExists(browser.pid));
    assert.ok((await Deno.stat(browser.tempDir)).isDirectory);

    const page = await browser.newPage(`${origin}/`);
    await assert.rejects(
      page.waitFor("false", 200),
      /timed out after 200 ms \(last value: false\)/,
    );
    await page.evaluate("console.log('from the page', 1)");
    assert.deepEqual(page.console, ["log: from the page 1"]);
    await page.close();
    await assert.rejects(page.evaluate("1"), /the page is closed/);

    await server.shutdown();
    await assert.rejects(browser.newPage(`${origin}/`), /ERR_CONNECTION_REFUSED/);
  } finally {
    await browser.close();
    await server.shutdown();
  }
  await browser.close(); // Idempotent.
  assert.equal(await processExists(browser.pid), false);
  await assert.rejects(Deno.stat(browser.tempDir), Deno.errors.NotFound);
  await assert.rejects(browser.newPage("about:blank"), /the browser is closed/);
});
