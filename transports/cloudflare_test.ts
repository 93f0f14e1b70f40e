/**
 * The Cloudflare Workers connector, over a stand-in for `connect()` from
 * `cloudflare:sockets` (Workers cannot run here): it returns real loopback
 * TCP streams from `Deno.connect`, `Deno.connectTls` and `Deno.startTls`,
 * with the Workers rules the connector must follow (`startTls()` only on a
 * socket opened with `secureTransport: "starttls"`, `readable`/`writable`
 * available at once, `opened` settling later).
 */
import assert from "node:assert/strict";
import { connect, proxyConnector, WebSocketError } from "../mod.ts";
import {
  type CloudflareConnect,
  cloudflareConnector,
  type CloudflareSocket,
  type CloudflareSocketOptions,
} from "./mod.ts";
import { serve, upgradeWebSocket } from "../mod.ts";
import { startEchoServer } from "../tests/_servers.ts";
import { makeTestCertificates } from "../tests/_tls.ts";
import { startTinyproxy } from "../tests/_tinyproxy.ts";

const certificates = await makeTestCertificates();

/** What the connector asked the stand-in for. */
interface Call {
  hostname: string;
  port: number;
  options: CloudflareSocketOptions | undefined;
  startTls?: string | undefined;
}

/** A `connect()` like Workers' over Deno's loopback sockets; trusts the test CA like Workers trust public CAs. */
function standInConnect(calls: Call[]): CloudflareConnect {
  return (address, options) => {
    const call: Call = { hostname: address.hostname, port: address.port, options };
    calls.push(call);
    const mode = options?.secureTransport ?? "off";
    const conn: Promise<Deno.Conn> = mode === "on"
      ? Deno.connectTls({ ...address, caCerts: [certificates.ca] })
      : Deno.connect(address);
    return socketOver(conn, mode, call);
  };
}

function socketOver(conn: Promise<Deno.Conn>, mode: string, call: Call): CloudflareSocket {
  conn.catch(() => {});
  let upgraded = false;
  const readable = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const buffer = new Uint8Array(16 * 1024);
      const n = await (await conn).read(buffer);
      if (n === null) controller.close();
      else controller.enqueue(buffer.subarray(0, n));
    },
  }, { highWaterMark: 0 });
  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      const c = await conn;
      let offset = 0;
      while (offset < chunk.length) offset += await c.write(chunk.subarray(offset));
    },
  });
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => resolveClosed = resolve);
  return {
    readable,
    writable,
    opened: conn.then(() => ({})),
    closed,
    async close() {
      if (!upgraded) {
        try {
          (await conn).close();
        } catch {
          // Already closed.
        }
      }
      resolveClosed();
    },
    startTls(options) {
      if (mode !== "starttls") {
        throw new TypeError('startTls() needs secureTransport: "starttls" (as on Workers)');
      }
      upgraded = true;
      call.startTls = options?.expectedServerHostname;
      const secure = conn.then((c) =>
        Deno.startTls(c as Deno.TcpConn, {
          hostname: options?.expectedServerHostname ?? call.hostname,
          caCerts: [certificates.ca],
        })
      );
      return socketOver(secure, "on", call);
    },
  };
}

Deno.test("cloudflareConnector: ws: over a plain connect() socket", async () => {
  const server = startEchoServer();
  const calls: Call[] = [];
  try {
    const ws = await connect(`ws://127.0.0.1:${server.addr.port}/`, {
      connector: cloudflareConnector(standInConnect(calls)),
    });
    const writer = ws.writable.getWriter();
    const reader = ws.readable.getReader();
    await writer.write("from a worker");
    assert.equal((await reader.read()).value, "from a worker");
    await writer.write(new Uint8Array(200_000).fill(7));
    assert.deepEqual((await reader.read()).value, new Uint8Array(200_000).fill(7));
    ws.close();
    await ws.closed;
    assert.deepEqual(calls, [{
      hostname: "127.0.0.1",
      port: server.addr.port,
      options: { secureTransport: "off", allowHalfOpen: false },
    }]);
  } finally {
    await server.shutdown();
  }
});

Deno.test('cloudflareConnector: wss: with secureTransport "on", and caCerts refused', async () => {
  const server = serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: certificates.cert,
    key: certificates.key,
  }, (request) => {
    const { response, socket } = upgradeWebSocket(request);
    socket.onmessage = (event) => socket.send(event.data);
    return response;
  });
  const calls: Call[] = [];
  try {
    const connector = cloudflareConnector(standInConnect(calls));
    const ws = await connect(`wss://127.0.0.1:${server.addr.port}/`, { connector });
    await ws.writable.getWriter().write("encrypted");
    assert.equal((await ws.readable.getReader().read()).value, "encrypted");
    ws.close();
    await ws.closed;
    assert.equal(calls[0]?.options?.secureTransport, "on");
    await assert.rejects(
      connect(`wss://127.0.0.1:${server.addr.port}/`, { connector, caCerts: [certificates.ca] }),
      (error) => {
        assert.ok(error instanceof WebSocketError);
        assert.match(error.message, /caCerts with cloudflare:sockets/);
        return true;
      },
    );
  } finally {
    await server.shutdown();
  }
});

Deno.test('cloudflareConnector through tinyproxy: "starttls", CONNECT, then startTls()', async () => {
  const proxy = await startTinyproxy();
  const server = serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: certificates.cert,
    key: certificates.key,
  }, (request) => {
    const { response, socket } = upgradeWebSocket(request);
    socket.onmessage = (event) => socket.send(event.data);
    return response;
  });
  const calls: Call[] = [];
  try {
    const ws = await connect(`wss://127.0.0.1:${server.addr.port}/`, {
      connector: proxyConnector(
        `http://127.0.0.1:${proxy.port}`,
        cloudflareConnector(standInConnect(calls)),
      ),
    });
    await ws.writable.getWriter().write("tunnelled");
    assert.equal((await ws.readable.getReader().read()).value, "tunnelled");
    ws.close();
    await ws.closed;
    assert.deepEqual(calls, [{
      hostname: "127.0.0.1",
      port: proxy.port,
      options: { secureTransport: "starttls", allowHalfOpen: false },
      startTls: "127.0.0.1",
    }]);
    assert.match(proxy.log(), new RegExp(`CONNECT 127\\.0\\.0\\.1:${server.addr.port} `));
  } finally {
    await server.shutdown();
    await proxy.stop();
  }
});

Deno.test("cloudflareConnector: a refused connection rejects with a WebSocketError", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  await assert.rejects(
    connect(`ws://127.0.0.1:${port}/`, { connector: cloudflareConnector(standInConnect([])) }),
    (error) => {
      assert.ok(error instanceof WebSocketError);
      assert.equal(error.closeCode, 1006);
      assert.match(error.message, /Opening handshake failed/);
      return true;
    },
  );
});
