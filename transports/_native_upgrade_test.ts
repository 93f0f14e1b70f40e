/**
 * `upgradeWebSocket` on requests from `Deno.serve`: Deno frames (through
 * `Deno.upgradeWebSocket`) and the handler gets this module's `WebSocket`
 * all the same. Real loopback connections, with this module's client and
 * Deno's native one.
 */
import assert from "node:assert/strict";
import { readResponseHead } from "../http/mod.ts";
import {
  connect,
  upgradeWebSocket,
  type UpgradeWebSocketOptions,
  WebSocket,
  WebSocketError,
} from "../mod.ts";
import { nextEvent, patternBytes } from "../tests/_servers.ts";
import { _socketUrl } from "./_native_upgrade.ts";

type Handler = (socket: WebSocket, request: Request) => void;

function serveNative(options: UpgradeWebSocketOptions, onSocket: Handler) {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const { response, socket } = upgradeWebSocket(request, options);
    onSocket(socket, request);
    return response;
  });
}

Deno.test("Deno.serve: this module's WebSocket, subprotocol, text and binary both ways", async () => {
  let serverSocket: WebSocket | undefined;
  let serverOpen: Promise<Event> | undefined;
  const server = serveNative({ protocols: ["b", "a"] }, (socket) => {
    serverSocket = socket;
    serverOpen = nextEvent(socket, "open");
    socket.binaryType = "arraybuffer";
    socket.onmessage = (event) => socket.send(event.data);
  });
  try {
    const ws = await connect(`ws://127.0.0.1:${server.addr.port}/`, { protocols: ["a", "b"] });
    assert.ok(serverSocket instanceof WebSocket, "the handler gets this module's class");
    assert.equal(ws.protocol, "b");
    await serverOpen;
    assert.equal(serverSocket.protocol, "b");
    assert.equal(serverSocket.extensions, "");
    const reader = ws.readable.getReader();
    const writer = ws.writable.getWriter();
    await writer.write("κόσμε");
    assert.equal((await reader.read()).value, "κόσμε");
    const big = patternBytes(2_000_000, 5);
    await writer.write(big);
    assert.deepEqual((await reader.read()).value, big);
    ws.close({ closeCode: 1000 });
    await ws.closed;
  } finally {
    await server.shutdown();
  }
});

Deno.test("Deno.serve: close codes and reasons cross the wrapper both ways", async () => {
  const serverCloses: CloseEvent[] = [];
  const server = serveNative({}, (socket) => {
    socket.onmessage = (event) => {
      if (event.data === "close please") socket.close(4002, "server says bye");
    };
    socket.onclose = (event) => serverCloses.push(event);
  });
  try {
    // The server closes: the client sees its code and reason.
    const first = await connect(`ws://127.0.0.1:${server.addr.port}/`);
    await first.writable.getWriter().write("close please");
    assert.deepEqual(await first.closed, { closeCode: 4002, reason: "server says bye" });

    // The client closes: the server's socket sees the client's code and reason, cleanly.
    const native = new globalThis.WebSocket(`ws://127.0.0.1:${server.addr.port}/`);
    await nextEvent(native, "open");
    native.close(3003, "client says bye");
    await nextEvent(native, "close");
    for (let i = 0; i < 100 && serverCloses.length < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(serverCloses.length, 2);
    assert.equal(serverCloses[1]!.code, 3003);
    assert.equal(serverCloses[1]!.reason, "client says bye");
    assert.equal(serverCloses[1]!.wasClean, true);
  } finally {
    await server.shutdown();
  }
});

Deno.test("Deno.serve: a client that vanishes is an unclean close (1006) on the server", async () => {
  let closed: Promise<CloseEvent> | undefined;
  const server = serveNative({}, (socket) => {
    closed = nextEvent<CloseEvent>(socket, "close");
  });
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
    await conn.write(new TextEncoder().encode(
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    ));
    const head = await readResponseHead(conn.readable);
    assert.equal(head.status, 101);
    conn.close();
    const event = await closed!;
    assert.equal(event.code, 1006);
    assert.equal(event.wasClean, false);
  } finally {
    await server.shutdown();
  }
});

Deno.test("Deno.serve: this module's limits apply (1009 for a message over maxMessageSize)", async () => {
  const server = serveNative({ maxMessageSize: 1000 }, (socket) => {
    socket.onmessage = (event) => socket.send(event.data);
  });
  try {
    const native = new globalThis.WebSocket(`ws://127.0.0.1:${server.addr.port}/`);
    await nextEvent(native, "open");
    native.send("x".repeat(1000));
    assert.equal((await nextEvent<MessageEvent>(native, "message")).data, "x".repeat(1000));
    native.send("x".repeat(1001));
    const event = await nextEvent<CloseEvent>(native, "close");
    assert.equal(event.code, 1009);
  } finally {
    await server.shutdown();
  }
});

Deno.test("Deno.serve: refusals are this module's (403 origin, 400 not an upgrade) and headers reach the 101", async () => {
  const server = serveNative({
    origin: ["https://app.example"],
    headers: { "set-cookie": "session=1; HttpOnly" },
  }, () => {});
  try {
    await assert.rejects(
      connect(`ws://127.0.0.1:${server.addr.port}/`, {
        headers: { origin: "https://evil.example" },
      }),
      (error) => {
        assert.ok(error instanceof WebSocketError);
        assert.match(error.message, /server answered 403/);
        return true;
      },
    );
    const plain = await fetch(`http://127.0.0.1:${server.addr.port}/`);
    assert.equal(plain.status, 400);
    assert.match(await plain.text(), /missing Upgrade header/);

    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
    await conn.write(new TextEncoder().encode(
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Origin: https://app.example\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    ));
    const head = await readResponseHead(conn.readable);
    conn.close();
    assert.equal(head.status, 101);
    assert.equal(head.headers.get("sec-websocket-accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assert.equal(head.headers.get("set-cookie"), "session=1; HttpOnly");
  } finally {
    await server.shutdown();
  }
});

Deno.test("Deno.serve: bufferedAmount and backpressure come from the runtime's socket", async () => {
  let sent: Promise<void> | undefined;
  const server = serveNative({}, (socket) => {
    socket.onopen = () => {
      // 8 MiB to a client that does not read yet: the engine waits on Deno's buffer.
      for (let i = 0; i < 8; i++) socket.send(new Uint8Array(1 << 20));
      const high = socket.bufferedAmount;
      sent = (async () => {
        assert.ok(high > 0, "queued bytes are counted");
        for (let i = 0; i < 500 && socket.bufferedAmount > 0; i++) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        assert.equal(socket.bufferedAmount, 0, "drains once the client reads");
      })();
    };
  });
  try {
    const ws = await connect(`ws://127.0.0.1:${server.addr.port}/`);
    const reader = ws.readable.getReader();
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (let i = 0; i < 8; i++) {
      assert.equal(((await reader.read()).value as Uint8Array).length, 1 << 20);
    }
    await sent;
    ws.close();
    await ws.closed;
  } finally {
    await server.shutdown();
  }
});

Deno.test("_socketUrl: the request's URL with a WebSocket scheme and no fragment", () => {
  const cases: [string, string][] = [
    ["http://x/chat?a=1", "ws://x/chat?a=1"],
    ["https://x:8443/", "wss://x:8443/"],
    // Node's HTTP parser lets a fragment through in the request target.
    ["http://x/chat#frag", "ws://x/chat"],
    ["https://x/#", "wss://x/"],
    ["ws://x/", "ws://x/"],
  ];
  for (const [href, expected] of cases) assert.equal(_socketUrl(href), expected, href);
});
