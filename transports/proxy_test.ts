/**
 * Clients behind an HTTP proxy, through a real one: Debian's tinyproxy on
 * loopback. `ws:` and `wss:` (TLS end to end inside the CONNECT tunnel), Basic
 * credentials and the 407 without them, a proxy that refuses the port, the
 * proxy from HTTP_PROXY/HTTPS_PROXY/NO_PROXY, and the same client on Node
 * and Bun. tinyproxy's log shows that each tunnel really went through it.
 */
import assert from "node:assert/strict";
import { connect, proxyConnector, ProxyError, WebSocket } from "../mod.ts";
import { resolveProxy } from "./mod.ts";
import { nextEvent, startEchoServer } from "../tests/_servers.ts";
import { makeTestCertificates } from "../tests/_tls.ts";
import { startTinyproxy } from "../tests/_tinyproxy.ts";
import { bundleModule, NODE_STDIN_MODULE, requireTool, runProcess } from "../tests/_process.ts";
import { serve, upgradeWebSocket } from "../mod.ts";

const certificates = await makeTestCertificates();
// tinyproxy takes only [A-Za-z0-9._-] in BasicAuth values.
const AUTH = { user: "alice", password: "s3cret-pw.1" };
const CREDENTIALS = `${AUTH.user}:${AUTH.password}`;

function tlsEchoServer() {
  return serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: certificates.cert,
    key: certificates.key,
  }, (request) => {
    const { response, socket } = upgradeWebSocket(request);
    socket.onmessage = (event) => socket.send(event.data);
    return response;
  });
}

async function echoOnce(url: string, options: Parameters<typeof connect>[1]): Promise<unknown> {
  const ws = await connect(url, options);
  await ws.writable.getWriter().write("through the proxy");
  const { value } = await ws.readable.getReader().read();
  ws.close();
  await ws.closed;
  return value;
}

/** tinyproxy logs every request line; a CONNECT to `port` proves the tunnel went through it. */
function assertTunnelled(log: string, port: number): void {
  assert.match(log, new RegExp(`CONNECT 127\\.0\\.0\\.1:${port} HTTP/1\\.1`), log);
}

Deno.test("ws: and wss: through tinyproxy with connect(url, { proxy })", async () => {
  const proxy = await startTinyproxy();
  const plain = startEchoServer();
  const secure = tlsEchoServer();
  try {
    const through = `http://127.0.0.1:${proxy.port}`;
    assert.equal(
      await echoOnce(`ws://127.0.0.1:${plain.addr.port}/`, { proxy: through }),
      "through the proxy",
    );
    assertTunnelled(proxy.log(), plain.addr.port);
    assert.equal(
      await echoOnce(`wss://127.0.0.1:${secure.addr.port}/`, {
        proxy: through,
        caCerts: [certificates.ca],
      }),
      "through the proxy",
    );
    assertTunnelled(proxy.log(), secure.addr.port);
  } finally {
    await plain.shutdown();
    await secure.shutdown();
    await proxy.stop();
  }
});

Deno.test("a proxy that wants credentials: a ProxyError without them (407) or with wrong ones (401)", async () => {
  const proxy = await startTinyproxy({ auth: AUTH });
  const server = startEchoServer();
  const secure = tlsEchoServer();
  try {
    const url = `ws://127.0.0.1:${server.addr.port}/`;
    await assert.rejects(connect(url, { proxy: `http://127.0.0.1:${proxy.port}` }), (error) => {
      assert.ok(error instanceof ProxyError);
      assert.equal(error.status, 407);
      assert.equal(error.closeCode, 1006);
      assert.match(error.message, /407 Proxy Authentication Required/);
      assert.match(error.message, /http:\/\/user:password@host:port/);
      return true;
    });
    await assert.rejects(
      connect(url, { proxy: `http://alice:wrong@127.0.0.1:${proxy.port}` }),
      (error) => {
        assert.ok(error instanceof ProxyError);
        assert.equal(error.status, 401, "tinyproxy answers wrong credentials with 401");
        assert.match(error.message, /Proxy authentication failed/);
        assert.match(error.message, /check the user and password/);
        assert.doesNotMatch(error.message, /wrong/, "the password is not repeated in messages");
        return true;
      },
    );
    const through = `http://${CREDENTIALS}@127.0.0.1:${proxy.port}`;
    assert.equal(await echoOnce(url, { proxy: through }), "through the proxy");
    assert.equal(
      await echoOnce(`wss://127.0.0.1:${secure.addr.port}/`, {
        proxy: through,
        caCerts: [certificates.ca],
      }),
      "through the proxy",
    );
    assertTunnelled(proxy.log(), secure.addr.port);
  } finally {
    await server.shutdown();
    await secure.shutdown();
    await proxy.stop();
  }
});

Deno.test("a proxy that refuses the port: ProxyError with its status", async () => {
  const proxy = await startTinyproxy({ connectPorts: [443] });
  const server = startEchoServer();
  try {
    await assert.rejects(
      connect(`ws://127.0.0.1:${server.addr.port}/`, { proxy: `http://127.0.0.1:${proxy.port}` }),
      (error) => {
        assert.ok(error instanceof ProxyError);
        assert.equal(error.status, 403);
        assert.match(error.message, new RegExp(`CONNECT 127\\.0\\.0\\.1:${server.addr.port}`));
        return true;
      },
    );
  } finally {
    await server.shutdown();
    await proxy.stop();
  }
});

Deno.test("proxyConnector gives the WHATWG WebSocket class the same tunnel", async () => {
  const proxy = await startTinyproxy();
  const server = startEchoServer();
  try {
    const socket = new WebSocket(`ws://127.0.0.1:${server.addr.port}/`, [], {
      connector: proxyConnector(`http://127.0.0.1:${proxy.port}`),
    });
    await nextEvent(socket, "open");
    socket.send("hi");
    assert.equal((await nextEvent<MessageEvent>(socket, "message")).data, "hi");
    socket.close(1000);
    assert.equal((await nextEvent<CloseEvent>(socket, "close")).wasClean, true);
    assertTunnelled(proxy.log(), server.addr.port);
  } finally {
    await server.shutdown();
    await proxy.stop();
  }
});

Deno.test("resolveProxy: explicit URLs, and refusals a person can act on", () => {
  const url = new URL("wss://example.com/");
  assert.equal(resolveProxy(url, "http://127.0.0.1:3128")?.port, "3128");
  assert.throws(() => resolveProxy(url, "https://127.0.0.1:3128"), /only http:\/\/ proxies/);
  assert.throws(() => resolveProxy(url, "not a url"), /Invalid proxy URL/);
  assert.throws(() => proxyConnector("socks5://127.0.0.1:1080"), /only http:\/\/ proxies/);
});

/** Run proxy_client.ts on Deno with `env`, so the environment cases do not touch this process. */
async function denoClient(url: string, proxy: string, env: Record<string, string>) {
  const { code, output } = await runProcess(Deno.execPath(), [
    "run",
    "--allow-net=127.0.0.1",
    "--allow-env",
    "tests/portable/proxy_client.ts",
    url,
    proxy,
  ], { EDGEWS_CA: certificates.ca, ...env });
  assert.equal(code, 0, output);
  return output.trim();
}

Deno.test('proxy "env": HTTP_PROXY for ws:, HTTPS_PROXY for wss:, NO_PROXY to go direct', async () => {
  const proxy = await startTinyproxy();
  const plain = startEchoServer();
  const secure = tlsEchoServer();
  try {
    const through = `127.0.0.1:${proxy.port}`; // no scheme: http:// is assumed
    const ws = `ws://127.0.0.1:${plain.addr.port}/`;
    const wss = `wss://127.0.0.1:${secure.addr.port}/`;
    assert.equal(await denoClient(ws, "env", { HTTP_PROXY: through }), "ok through the proxy");
    assertTunnelled(proxy.log(), plain.addr.port);
    assert.equal(
      await denoClient(wss, "env", { https_proxy: `http://${through}`, HTTP_PROXY: "" }),
      "ok through the proxy",
    );
    assertTunnelled(proxy.log(), secure.addr.port);
    // NO_PROXY exempts the host: the connection works and tinyproxy never sees it.
    const before = proxy.log();
    assert.equal(
      await denoClient(ws, "env", { HTTP_PROXY: through, NO_PROXY: "example.com, 127.0.0.1" }),
      "ok through the proxy",
    );
    assert.equal(proxy.log().slice(before.length).includes("CONNECT 127.0.0.1"), false);
    // The wrong variable for the scheme is not used: HTTPS_PROXY does not apply to ws:.
    assert.equal(
      await denoClient(ws, "env", { HTTPS_PROXY: "http://127.0.0.1:1" }),
      "ok through the proxy",
    );
  } finally {
    await plain.shutdown();
    await secure.shutdown();
    await proxy.stop();
  }
});

Deno.test("the same proxy client on Node 20 and Bun: ws:, wss:, and the 407", async () => {
  const node = await requireTool("node", "install Node.js 20 or later");
  const bun = await requireTool("bun", "npm install -g bun");
  const bundle = await bundleModule("tests/portable/proxy_client.ts");
  const proxy = await startTinyproxy({ auth: AUTH });
  const plain = startEchoServer();
  const secure = tlsEchoServer();
  try {
    const through = `http://${CREDENTIALS}@127.0.0.1:${proxy.port}`;
    const runs: [string, (url: string, proxy: string) => Promise<string>][] = [
      ["node", async (url, proxy) => {
        const { code, output } = await runProcess(
          node,
          [...NODE_STDIN_MODULE, url, proxy],
          { EDGEWS_CA: certificates.ca },
          bundle,
        );
        assert.equal(code, 0, output);
        return output.trim();
      }],
      ["bun", async (url, proxy) => {
        const { code, output } = await runProcess(bun, [
          "tests/portable/proxy_client.ts",
          url,
          proxy,
        ], { EDGEWS_CA: certificates.ca });
        assert.equal(code, 0, output);
        return output.trim();
      }],
    ];
    for (const [runtime, run] of runs) {
      const ws = `ws://127.0.0.1:${plain.addr.port}/${runtime}`;
      const wss = `wss://127.0.0.1:${secure.addr.port}/${runtime}`;
      assert.equal(await run(ws, through), "ok through the proxy", runtime);
      assert.equal(await run(wss, through), "ok through the proxy", runtime);
      assert.match(
        await run(ws, `http://127.0.0.1:${proxy.port}`),
        /^error ProxyError 407 Proxy authentication failed/,
        runtime,
      );
    }
    assertTunnelled(proxy.log(), plain.addr.port);
    assertTunnelled(proxy.log(), secure.addr.port);
  } finally {
    await plain.shutdown();
    await secure.shutdown();
    await proxy.stop();
  }
});
