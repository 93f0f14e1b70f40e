/**
 * The shared socket connector on the Deno driver, against this module's
 * server and scripted proxies on loopback: IPv6 hosts, aborting, the
 * CONNECT tunnel and each way a proxy can refuse it.
 */
import assert from "node:assert/strict";
import type { ConnectRequest } from "../connection/upgraded.ts";
import { ProxyError } from "../errors/proxy_error.ts";
import { serve } from "../server/serve.ts";
import { within } from "../tests/_pubsub.ts";
import { startEchoServer } from "../tests/_servers.ts";
import { _denoDriver } from "./_deno_socket_driver.ts";
import { _bareHost, _connectWith, _driverOf, _socketConnector } from "./_socket_connector.ts";

const request: ConnectRequest = { protocols: [] };

/** Read an HTTP head (up to the blank line) from `conn`. */
async function readHead(conn: Deno.Conn): Promise<string> {
  let head = "";
  const one = new Uint8Array(1);
  while (!head.endsWith("\r\n\r\n")) {
    if (await conn.read(one) !== 1) throw new Error(`closed in the head: ${head}`);
    head += String.fromCharCode(one[0]!);
  }
  return head;
}

/**
 * A proxy that reads one CONNECT head and answers with `answer`; when it
 * is a 200, the connection is then piped to the target.
 */
function scriptedProxy(answer: string, pipe = true) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const heads: string[] = [];
  let connected!: () => void;
  const connectSeen = new Promise<void>((resolve) => connected = resolve);
  let spoke!: () => void;
  const clientSpoke = new Promise<void>((resolve) => spoke = resolve);
  let accepted: Deno.Conn | undefined;
  const done = (async () => {
    const conn = accepted = await listener.accept();
    try {
      const head = await readHead(conn);
      heads.push(head);
      connected();
      await conn.write(new TextEncoder().encode(answer));
      if (!pipe) {
        // Silent after answering: wait for the client to go.
        while (await conn.read(new Uint8Array(1024)) !== null) spoke();
        return;
      }
      if (!answer.startsWith("HTTP/1.1 200") || !answer.endsWith("\r\n\r\n")) return;
      const [, host, port] = /^CONNECT (.+):(\d+) /.exec(head)!;
      const target = await Deno.connect({ hostname: host!, port: Number(port) });
      await Promise.allSettled([
        conn.readable.pipeTo(target.writable),
        target.readable.pipeTo(conn.writable),
      ]);
    } catch {
      // The client went away.
    } finally {
      try {
        conn.close();
      } catch {
        // Closed by a pipe.
      }
    }
  })();
  return {
    url: new URL(`http://127.0.0.1:${listener.addr.port}`),
    heads,
    connectSeen,
    /** Bytes came after the answer (a TLS ClientHello in the tunnel). */
    clientSpoke,
    /** Close the proxy's end of the connection. */
    hangUp() {
      try {
        accepted?.close();
      } catch {
        // Already closed.
      }
    },
    async stop() {
      await done;
      listener.close();
    },
  };
}

Deno.test("_bareHost and _driverOf", () => {
  assert.equal(_bareHost("[::1]"), "::1");
  assert.equal(_bareHost("example.test"), "example.test");
  const connector = _socketConnector(_denoDriver);
  assert.equal(_driverOf(connector), _denoDriver);
  assert.equal(_driverOf(() => Promise.reject(new Error("no"))), undefined);
});

Deno.test("_socketConnector: opens and upgrades, over IPv4 and IPv6 loopback", async () => {
  const connector = _socketConnector(_denoDriver);
  for (const hostname of ["127.0.0.1", "::1"]) {
    const server = serve({ hostname, port: 0, onListen() {} }, () => new Response("not here"));
    const echo = startEchoServer();
    try {
      const host = hostname === "::1" ? "[::1]" : hostname;
      // A refused upgrade is the server's answer, so the socket reached it.
      await assert.rejects(
        connector(new URL(`ws://${host}:${server.addr.port}/`), request),
        /200/,
      );
      const transport = await connector(new URL(`ws://127.0.0.1:${echo.addr.port}/`), request);
      assert.equal(transport.protocol, "");
      transport.duplex.close?.();
    } finally {
      await Promise.all([server.shutdown(), echo.shutdown()]);
    }
  }
});

Deno.test("_connectWith: an aborted signal opens nothing; an abort while waiting closes the socket", async () => {
  let opened = 0;
  const counting = {
    ..._denoDriver,
    open: (...args: Parameters<typeof _denoDriver.open>) => {
      opened++;
      return _denoDriver.open(...args);
    },
  };
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const url = new URL(`ws://127.0.0.1:${listener.addr.port}/`);
  try {
    const aborted = new AbortController();
    aborted.abort(new Error("not now"));
    await assert.rejects(
      _connectWith(counting, url, { ...request, signal: aborted.signal }, undefined),
      /not now/,
    );
    assert.equal(opened, 0);

    // A server that takes the request and never answers.
    const controller = new AbortController();
    const connecting = _connectWith(
      counting,
      url,
      { ...request, signal: controller.signal },
      undefined,
    );
    const conn = await listener.accept();
    await readHead(conn);
    controller.abort(new Error("gave up"));
    await assert.rejects(connecting);
    assert.equal(await within(conn.read(new Uint8Array(1)), 10_000, "EOF"), null, "socket closed");
    conn.close();
  } finally {
    listener.close();
  }
});

Deno.test("_connectWith through a proxy: CONNECT with the target and Basic credentials, then the upgrade", async () => {
  const echo = startEchoServer();
  const proxy = scriptedProxy("HTTP/1.1 200 Connection established\r\n\r\n");
  try {
    const proxyUrl = new URL(proxy.url);
    proxyUrl.username = "us%3Aer";
    proxyUrl.password = "p%40ss";
    const target = new URL(`ws://127.0.0.1:${echo.addr.port}/`);
    const transport = await _connectWith(_denoDriver, target, request, proxyUrl);
    const authority = `127.0.0.1:${echo.addr.port}`;
    assert.equal(
      proxy.heads[0],
      `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n` +
        `Proxy-Authorization: Basic ${btoa("us:er:p@ss")}\r\n\r\n`,
    );
    transport.duplex.close?.();
  } finally {
    await proxy.stop();
    await echo.shutdown();
  }
});

Deno.test("_connectWith through a proxy: each refusal is a ProxyError a person can act on", async () => {
  const target = new URL("ws://127.0.0.1:9/");
  const cases: [string, number, RegExp, string?][] = [
    [
      "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=x\r\n\r\n",
      407,
      /answered 407 .*\(Basic realm=x\); put them in the proxy URL/,
    ],
    ["HTTP/1.1 401 Unauthorized\r\n\r\n", 401, /check the user and password/, "u:p@"],
    ["HTTP/1.1 403 Forbidden\r\n\r\n", 403, /Proxy tunnel refused: .* answered 403 Forbidden/],
    ["HTTP/1.1 200 OK\r\n\r\nEXTRA", 200, /sent 5 bytes after its 200 answer/],
    ["SSH-2.0-OpenSSH\r\n\r\n", 0, /did not answer CONNECT 127\.0\.0\.1:9 with an HTTP response/],
  ];
  for (const [answer, status, message, credentials] of cases) {
    const proxy = scriptedProxy(answer);
    try {
      const proxyUrl = new URL(proxy.url.href.replace("//", `//${credentials ?? ""}`));
      await assert.rejects(
        _connectWith(_denoDriver, target, request, proxyUrl),
        (error: unknown) => {
          assert.ok(error instanceof ProxyError, String(error));
          assert.equal(error.status, status);
          assert.match(error.message, message);
          return true;
        },
      );
    } finally {
      await proxy.stop();
    }
  }
});

Deno.test("_connectWith through a proxy: an abort during TLS in the tunnel rejects at once", async () => {
  // The tunnel opens, then nobody speaks TLS: startTls would wait for ever.
  const proxy = scriptedProxy("HTTP/1.1 200 Connection established\r\n\r\n", false);
  try {
    const controller = new AbortController();
    const connecting = _connectWith(
      _denoDriver,
      new URL("wss://127.0.0.1:9/"),
      { ...request, signal: controller.signal },
      proxy.url,
    );
    await within(proxy.clientSpoke, 10_000, "the ClientHello in the tunnel");
    controller.abort(new Error("gave up"));
    await within(assert.rejects(connecting), 10_000, "the abort ends the TLS handshake");
  } finally {
    // Not the client: on Deno the TCP connection under a pending startTls stays
    // open after the abort (noted in the report), so the proxy hangs up.
    proxy.hangUp();
    await within(proxy.stop(), 10_000, "the proxy stops");
  }
});
