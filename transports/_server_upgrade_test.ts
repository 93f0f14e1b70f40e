/**
 * The server side of an upgrade on this module's `serve`: the handshake's
 * negotiation (permessage-deflate only when asked), refusals, one upgrade
 * per request, and the socket's URL. Raw clients on loopback, so the 101
 * is seen as it is on the wire.
 */
import assert from "node:assert/strict";
import type { WebSocket } from "../connection/websocket.ts";
import { serve } from "../server/serve.ts";
import type { WebSocketServer } from "../server/serve_options.ts";
import { rawHandshake } from "../tests/_raw_client.ts";
import { nextEvent } from "../tests/_servers.ts";
import { makeTestCertificates } from "../tests/_tls.ts";
import { WebSocket as ClientWebSocket } from "../connection/websocket.ts";
import "./mod.ts"; // the Deno connector
import { upgradeWebSocket, type UpgradeWebSocketOptions } from "./upgrade_websocket.ts";

/** A server whose handler upgrades with `options` and hands out each socket. */
function upgradingServer(
  options: UpgradeWebSocketOptions = {},
  tls?: { cert: string; key: string },
) {
  const sockets: WebSocket[] = [];
  const closes: Promise<CloseEvent>[] = [];
  let wake: (() => void) | undefined;
  const server: WebSocketServer = serve(
    { hostname: "127.0.0.1", port: 0, onListen() {}, ...tls },
    (request) => {
      const { response, socket } = upgradeWebSocket(request, options);
      socket.onerror = () => {};
      closes.push(nextEvent<CloseEvent>(socket, "close"));
      sockets.push(socket);
      wake?.();
      return response;
    },
  );
  const socket = async (index: number) => {
    while (sockets.length <= index) await new Promise<void>((resolve) => wake = resolve);
    return sockets[index]!;
  };
  return { server, socket, closes };
}

Deno.test("_prepareUpgrade: permessage-deflate only when the option asks for it", async () => {
  const offer = "permessage-deflate; client_max_window_bits";
  const off = upgradingServer();
  const on = upgradingServer({ perMessageDeflate: true });
  const tuned = upgradingServer({ perMessageDeflate: { serverNoContextTakeover: true } });
  try {
    const plain = await rawHandshake(off.server.addr.port, offer);
    assert.match(plain.head, /^HTTP\/1\.1 101 /);
    assert.doesNotMatch(plain.head, /sec-websocket-extensions/i);
    const compressed = await rawHandshake(on.server.addr.port, offer);
    assert.match(compressed.head, /^sec-websocket-extensions: permessage-deflate/im);
    assert.equal((await on.socket(0)).extensions.startsWith("permessage-deflate"), true);
    const noTakeover = await rawHandshake(tuned.server.addr.port, offer);
    assert.match(noTakeover.head, /^sec-websocket-extensions: .*server_no_context_takeover/im);
    for (const { conn } of [plain, compressed, noTakeover]) conn.close();
  } finally {
    await Promise.all([off.server.shutdown(), on.server.shutdown(), tuned.server.shutdown()]);
  }
});

Deno.test("_prepareUpgrade: a refused handshake answers its status, and the socket closes 1006", async () => {
  const { server, closes } = upgradingServer({ protocols: ["chat"] });
  try {
    const response = await fetch(`http://127.0.0.1:${server.addr.port}/`, {
      headers: { upgrade: "websocket", connection: "Upgrade", "sec-websocket-version": "13" },
    });
    assert.equal(response.status, 400);
    assert.match(await response.text(), /Sec-WebSocket-Key/);
    assert.equal((await closes[0]!).code, 1006);
  } finally {
    await server.shutdown();
  }
});

Deno.test("_prepareUpgrade: a second upgradeWebSocket on one request is a TypeError", async () => {
  const errors: unknown[] = [];
  const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const { response, socket } = upgradeWebSocket(request);
    socket.onmessage = (event) => socket.send(event.data);
    try {
      upgradeWebSocket(request);
    } catch (error) {
      errors.push(error);
    }
    return response;
  });
  try {
    const client = new ClientWebSocket(`ws://127.0.0.1:${server.addr.port}/`);
    await nextEvent(client, "open");
    client.send("still works");
    assert.equal((await nextEvent<MessageEvent>(client, "message")).data, "still works");
    client.close();
    await nextEvent(client, "close");
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof TypeError);
    assert.match((errors[0] as Error).message, /already called for this request/);
  } finally {
    await server.shutdown();
  }
});

Deno.test("_prepareUpgrade: the socket's URL is ws: behind http, wss: behind https", async () => {
  const certificates = await makeTestCertificates();
  const plain = upgradingServer();
  const secure = upgradingServer({}, certificates);
  try {
    const a = new ClientWebSocket(`ws://127.0.0.1:${plain.server.addr.port}/room?x=1`);
    const b = new ClientWebSocket(`wss://127.0.0.1:${secure.server.addr.port}/room`, [], {
      caCerts: [certificates.ca],
    });
    await Promise.all([nextEvent(a, "open"), nextEvent(b, "open")]);
    assert.equal((await plain.socket(0)).url, `ws://127.0.0.1:${plain.server.addr.port}/room?x=1`);
    assert.equal((await secure.socket(0)).url, `wss://127.0.0.1:${secure.server.addr.port}/room`);
    a.close();
    b.close();
    await Promise.all([nextEvent(a, "close"), nextEvent(b, "close")]);
  } finally {
    await Promise.all([plain.server.shutdown(), secure.server.shutdown()]);
  }
});
