/**
 * Client redirects (`followRedirects`, `maxRedirects`) over real loopback
 * sockets with this module's server and client: every redirect status,
 * relative and absolute locations, the bound, no TLS downgrade, and
 * credentials kept on their origin.
 */
import assert from "node:assert/strict";
import {
  HandshakeStatusError,
  serve,
  upgradeWebSocket,
  WebSocket,
  type WebSocketError,
  type WebSocketServer,
  WebSocketStream,
} from "../mod.ts";
import { nextEvent } from "../tests/_servers.ts";
import { makeTestCertificates } from "../tests/_tls.ts";

interface Seen {
  path: string;
  authorization: string | null;
}

/**
 * A server that answers `/redirect/<status>/<location>` with that redirect
 * and upgrades anything else, recording every request.
 */
function startRedirectingServer(tls?: { cert: string; key: string }): {
  server: WebSocketServer;
  seen: Seen[];
} {
  const seen: Seen[] = [];
  const server = serve({ hostname: "127.0.0.1", port: 0, ...tls }, (request) => {
    const url = new URL(request.url);
    seen.push({
      path: url.pathname + url.search,
      authorization: request.headers.get("authorization"),
    });
    const match = /^\/redirect\/(\d{3})\/(.*)$/.exec(url.pathname);
    if (match !== null) {
      return new Response(null, {
        status: Number(match[1]),
        headers: { location: decodeURIComponent(match[2]!) },
      });
    }
    const { response, socket } = upgradeWebSocket(request);
    socket.onmessage = (event) => socket.send(`${url.pathname}: ${event.data}`);
    return response;
  });
  return { server, seen };
}

Deno.test("redirects: followed with followRedirects (every status, relative and absolute), refused without", async () => {
  const { server, seen } = startRedirectingServer();
  const base = `ws://127.0.0.1:${server.addr.port}`;
  try {
    for (const status of [301, 302, 303, 307, 308]) {
      const wss = new WebSocketStream(
        `${base}/redirect/${status}/${encodeURIComponent("/final")}`,
        {
          followRedirects: true,
        },
      );
      const { readable, writable } = await wss.opened;
      assert.equal(wss.url, `${base}/final`);
      await writable.getWriter().write("hi");
      assert.equal((await readable.getReader().read()).value, "/final: hi");
      wss.close({ closeCode: 1000 });
      await wss.closed;
    }
    // An absolute http: Location maps to ws:, and the chain is followed hop by hop.
    const absolute = encodeURIComponent(`http://127.0.0.1:${server.addr.port}/final2`);
    const chained = new WebSocketStream(
      `${base}/redirect/302/${encodeURIComponent(`/redirect/307/${absolute}`)}`,
      { followRedirects: true },
    );
    await chained.opened;
    assert.equal(chained.url, `${base}/final2`);
    chained.close({ closeCode: 1000 });
    await chained.closed;

    // Off by default: the redirect is an error that says where it pointed.
    const refused = new WebSocketStream(`${base}/redirect/302/${encodeURIComponent("/final")}`);
    const error = await refused.opened.then(() => undefined, (error) => error);
    assert.ok(error instanceof HandshakeStatusError);
    assert.equal(error.status, 302);
    assert.equal(error.closeCode, 1002);
    assert.equal(error.headers.get("location"), "/final");
    assert.match(error.message, /set followRedirects/);

    // The WHATWG WebSocket follows too, and reports the final URL.
    const socket = new WebSocket(`${base}/redirect/301/${encodeURIComponent("/final3")}`, [], {
      followRedirects: true,
    });
    await nextEvent(socket, "open");
    assert.equal(socket.url, `${base}/final3`);
    socket.send("x");
    assert.equal((await nextEvent<MessageEvent>(socket, "message")).data, "/final3: x");
    socket.close(1000);
    await nextEvent(socket, "close");
    assert.ok(seen.length >= 10);
  } finally {
    await server.shutdown();
  }
});

Deno.test("redirects: maxRedirects bounds a loop; a redirect without Location fails", async () => {
  let requests = 0;
  const looping = serve({ hostname: "127.0.0.1", port: 0 }, () => {
    requests++;
    return new Response(null, { status: 307, headers: { location: "/again" } });
  });
  const noLocation = serve(
    { hostname: "127.0.0.1", port: 0 },
    () => new Response(null, { status: 302 }),
  );
  try {
    const url = `ws://127.0.0.1:${looping.addr.port}/start`;
    const limited = new WebSocketStream(url, { followRedirects: true, maxRedirects: 3 });
    await assert.rejects(limited.opened, (error: WebSocketError) => {
      assert.equal(error.closeCode, 1002);
      assert.match(error.message, /too many redirects \(more than maxRedirects = 3\)/);
      return true;
    });
    assert.equal(requests, 4, "the first request and three redirects");
    requests = 0;
    const byDefault = new WebSocketStream(url, { followRedirects: true });
    await assert.rejects(byDefault.opened, /too many redirects \(more than maxRedirects = 10\)/);
    assert.equal(requests, 11);
    const missing = new WebSocketStream(`ws://127.0.0.1:${noLocation.addr.port}/`, {
      followRedirects: true,
    });
    await assert.rejects(missing.opened, /without a Location header/);
  } finally {
    await Promise.all([looping.shutdown(), noLocation.shutdown()]);
  }
});

Deno.test("redirects: never from wss: to ws:; wss: to wss: is followed; credentials stay on their origin", async () => {
  const certificates = await makeTestCertificates();
  const secure = startRedirectingServer(certificates);
  const plain = startRedirectingServer();
  const other = startRedirectingServer();
  try {
    const downgrade = new WebSocketStream(
      `wss://127.0.0.1:${secure.server.addr.port}/redirect/302/${
        encodeURIComponent(`ws://127.0.0.1:${plain.server.addr.port}/final`)
      }`,
      { followRedirects: true, caCerts: [certificates.ca] },
    );
    await assert.rejects(downgrade.opened, (error: WebSocketError) => {
      assert.equal(error.closeCode, 1002);
      assert.match(error.message, /would drop TLS \(wss: to ws:\)/);
      return true;
    });
    assert.equal(plain.seen.length, 0, "the plain server was never contacted");

    const upgradeToTls = new WebSocketStream(
      `ws://127.0.0.1:${plain.server.addr.port}/redirect/308/${
        encodeURIComponent(`wss://127.0.0.1:${secure.server.addr.port}/secure`)
      }`,
      { followRedirects: true, caCerts: [certificates.ca] },
    );
    await upgradeToTls.opened;
    assert.equal(upgradeToTls.url, `wss://127.0.0.1:${secure.server.addr.port}/secure`);
    upgradeToTls.close({ closeCode: 1000 });
    await upgradeToTls.closed;

    // Same origin keeps Authorization; another origin (another port) does not get it.
    const headers = { authorization: "Bearer secret" };
    const same = new WebSocketStream(
      `ws://127.0.0.1:${plain.server.addr.port}/redirect/302/${encodeURIComponent("/same")}`,
      { followRedirects: true, headers },
    );
    await same.opened;
    same.close({ closeCode: 1000 });
    await same.closed;
    assert.equal(plain.seen.at(-1)?.path, "/same");
    assert.equal(plain.seen.at(-1)?.authorization, "Bearer secret");
    const cross = new WebSocketStream(
      `ws://127.0.0.1:${plain.server.addr.port}/redirect/302/${
        encodeURIComponent(`ws://127.0.0.1:${other.server.addr.port}/cross`)
      }`,
      { followRedirects: true, headers },
    );
    await cross.opened;
    cross.close({ closeCode: 1000 });
    await cross.closed;
    assert.equal(plain.seen.at(-1)?.authorization, "Bearer secret");
    assert.deepEqual(other.seen, [{ path: "/cross", authorization: null }]);
  } finally {
    await Promise.all([secure.server.shutdown(), plain.server.shutdown(), other.server.shutdown()]);
  }
});
