/**
 * An `AbortSignal` for the whole connection lifetime, and the heartbeat
 * (pings every interval, round-trip time, drop after missed pongs), over
 * real loopback sockets with this module's server and client and `npm:ws`
 * as the unresponsive peer. Redirects: `connection/_redirects_test.ts`.
 */
import assert from "node:assert/strict";
import { WebSocket as WsClient, WebSocketServer as WsServer } from "ws";
import {
  serve,
  upgradeWebSocket,
  upgradeWebSocketStream,
  WebSocket,
  WebSocketError,
  WebSocketStream,
} from "../mod.ts";
import { nextEvent } from "./_servers.ts";

Deno.test("signal: aborting an open WebSocketStream closes it with 1000 Aborted, on both sides", async () => {
  const serverClosed: Promise<unknown>[] = [];
  const serverAbort = new AbortController();
  const server = serve({ hostname: "127.0.0.1", port: 0 }, (request) => {
    const { response, socket } = upgradeWebSocketStream(request, {
      signal: new URL(request.url).pathname === "/server-aborts" ? serverAbort.signal : undefined,
    });
    serverClosed.push(socket.closed);
    return response;
  });
  try {
    const base = `ws://127.0.0.1:${server.addr.port}`;
    // The client's signal, after the handshake.
    const controller = new AbortController();
    const wss = new WebSocketStream(`${base}/`, { signal: controller.signal });
    await wss.opened;
    controller.abort();
    assert.deepEqual(await wss.closed, { closeCode: 1000, reason: "" });
    assert.deepEqual(await serverClosed[0], { closeCode: 1000, reason: "Aborted" });

    // The server's signal, from upgradeWebSocketStream's options.
    const client = new WebSocketStream(`${base}/server-aborts`);
    await client.opened;
    serverAbort.abort();
    assert.deepEqual(await client.closed, { closeCode: 1000, reason: "Aborted" });
    assert.equal(((await serverClosed[1]) as { closeCode: number }).closeCode, 1000);

    // Already aborted: the handshake never starts.
    const early = new WebSocketStream(`${base}/`, { signal: AbortSignal.abort() });
    await assert.rejects(early.opened, WebSocketError);
  } finally {
    await server.shutdown();
  }
});

Deno.test("signal: the WHATWG WebSocket closes on abort, before and after opening", async () => {
  const server = serve({ hostname: "127.0.0.1", port: 0 }, (request) => {
    const { response } = upgradeWebSocket(request);
    return response;
  });
  try {
    const url = `ws://127.0.0.1:${server.addr.port}/`;
    const controller = new AbortController();
    const socket = new WebSocket(url, [], { signal: controller.signal });
    await nextEvent(socket, "open");
    const closed = nextEvent<CloseEvent>(socket, "close");
    controller.abort();
    const event = await closed;
    assert.equal(event.code, 1000);
    assert.equal(event.wasClean, true);

    const before = new WebSocket(url, [], { signal: AbortSignal.abort() });
    const failed = await nextEvent<CloseEvent>(before, "close");
    assert.equal(failed.code, 1006);
    assert.equal(failed.wasClean, false);
  } finally {
    await server.shutdown();
  }
});

Deno.test("heartbeat: pings every interval, measures the round trip, keeps a live peer", async () => {
  const server = serve({ hostname: "127.0.0.1", port: 0 }, (request) => {
    const { response, socket } = upgradeWebSocket(request);
    socket.onmessage = (event) => socket.send(event.data);
    return response;
  });
  try {
    const wss = new WebSocketStream(`ws://127.0.0.1:${server.addr.port}/`, {
      heartbeat: { interval: 20, maxMissedPongs: 50 },
    });
    const { readable, writable } = await wss.opened;
    assert.equal(wss.lastRoundTripTime, undefined);
    // Bounded wait for the first pong.
    for (let i = 0; i < 500 && wss.lastRoundTripTime === undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const rtt = wss.lastRoundTripTime;
    assert.equal(typeof rtt, "number");
    assert.ok(rtt! >= 0);
    await writable.getWriter().write("still open");
    assert.equal((await readable.getReader().read()).value, "still open");
    wss.close({ closeCode: 1000 });
    await wss.closed;

    const socket = new WebSocket(`ws://127.0.0.1:${server.addr.port}/`, [], {
      heartbeat: { interval: 20, maxMissedPongs: 50 },
    });
    await nextEvent(socket, "open");
    for (let i = 0; i < 500 && socket.lastRoundTripTime === undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.ok(socket.lastRoundTripTime! >= 0);
    socket.close(1000);
    await nextEvent(socket, "close");
  } finally {
    await server.shutdown();
  }
});

/** An npm:ws server that never answers pings (autoPong off), on a free port. */
async function startDeafServer(): Promise<
  { port: number; pings: () => number; stop(): Promise<void> }
> {
  const wss = new WsServer({ host: "127.0.0.1", port: 0, autoPong: false });
  await new Promise((resolve) => wss.once("listening", resolve));
  let pings = 0;
  wss.on("connection", (socket: WsClient) => socket.on("ping", () => pings++));
  return {
    port: (wss.address() as { port: number }).port,
    pings: () => pings,
    stop: () =>
      new Promise((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}

Deno.test("heartbeat: a peer that stops answering pings is dropped with 1006 after maxMissedPongs", async () => {
  const deaf = await startDeafServer();
  try {
    const wss = new WebSocketStream(`ws://127.0.0.1:${deaf.port}/`, {
      heartbeat: { interval: 20, maxMissedPongs: 3 },
    });
    await wss.opened;
    const error = await wss.closed.then(() => undefined, (error) => error);
    assert.ok(error instanceof WebSocketError);
    assert.equal(error.closeCode, 1006);
    assert.match(error.message, /Heartbeat failed: 3 ping\(s\) in a row unanswered for 20 ms each/);
    assert.ok(deaf.pings() >= 3, `the peer got the pings (${deaf.pings()})`);
    assert.equal(wss.lastRoundTripTime, undefined);

    const socket = new WebSocket(`ws://127.0.0.1:${deaf.port}/`, [], {
      heartbeat: { interval: 20 },
    });
    await nextEvent(socket, "open");
    const errorEvent = nextEvent(socket, "error");
    const close = await nextEvent<CloseEvent>(socket, "close");
    await errorEvent;
    assert.equal(close.code, 1006);
    assert.equal(close.wasClean, false);
  } finally {
    await deaf.stop();
  }
});

Deno.test("heartbeat on a server socket: a client that stops answering is dropped with 1006", async () => {
  let serverSocket: WebSocketStream | undefined;
  const server = serve({ hostname: "127.0.0.1", port: 0 }, (request) => {
    const { response, socket } = upgradeWebSocketStream(request, {
      heartbeat: { interval: 20, maxMissedPongs: 2 },
    });
    serverSocket = socket;
    return response;
  });
  try {
    const peer = new WsClient(`ws://127.0.0.1:${server.addr.port}/`, { autoPong: false });
    const peerClosed = new Promise((resolve) => peer.once("close", resolve));
    await new Promise((resolve, reject) => {
      peer.once("open", resolve);
      peer.once("error", reject);
    });
    await assert.rejects(serverSocket!.closed, (error: WebSocketError) => {
      assert.equal(error.closeCode, 1006);
      assert.match(error.message, /Heartbeat failed/);
      return true;
    });
    await peerClosed;
  } finally {
    await server.shutdown();
  }
});

Deno.test("heartbeat: invalid settings are refused with a RangeError before connecting", () => {
  for (const heartbeat of [{ interval: 0 }, { interval: 10, maxMissedPongs: 0 }]) {
    assert.throws(() => new WebSocketStream("ws://127.0.0.1:9/", { heartbeat }), RangeError);
    assert.throws(() => new WebSocket("ws://127.0.0.1:9/", [], { heartbeat }), RangeError);
  }
});
