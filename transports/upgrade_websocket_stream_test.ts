/**
 * Server-side `WebSocketStream` (`upgradeWebSocketStream`) on every server
 * this module runs on in a Deno process (its own `serve` and `Deno.serve`;
 * Node and Bun run the same features in `tests/features_runtimes_test.ts`), and
 * handshake headers both ways: the
 * client's request headers, and extra headers on the server's 101. Real
 * loopback connections with this module's client and `npm:ws`.
 */
import assert from "node:assert/strict";
import { WebSocket as WsClient } from "ws";
import {
  connect,
  serve,
  upgradeWebSocket,
  upgradeWebSocketStream,
  type UpgradeWebSocketStreamOptions,
  WebSocket,
  WebSocketError,
  WebSocketStream,
} from "../mod.ts";
import { nextEvent } from "../tests/_servers.ts";

type Handler = (request: Request) => Response | Promise<Response>;

interface Running {
  port: number;
  stop(): Promise<void>;
}

/** The servers of a Deno process, each with the same handler. */
const servers: { name: string; start(handler: Handler): Promise<Running> }[] = [
  {
    name: "our serve",
    start(handler) {
      const server = serve({ hostname: "127.0.0.1", port: 0 }, handler);
      return Promise.resolve({ port: server.addr.port, stop: () => server.shutdown() });
    },
  },
  {
    name: "Deno.serve",
    start(handler) {
      const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
      return Promise.resolve({ port: server.addr.port, stop: () => server.shutdown() });
    },
  },
];

for (const { name, start } of servers) {
  Deno.test(`upgradeWebSocketStream on ${name}: opened, echo, close from the server`, async () => {
    const serverSockets: WebSocketStream[] = [];
    const options: UpgradeWebSocketStreamOptions = { protocols: ["chat"] };
    const server = await start((request) => {
      const { response, socket } = upgradeWebSocketStream(request, options);
      serverSockets.push(socket);
      void (async () => {
        const { readable, writable, protocol } = await socket.opened;
        const writer = writable.getWriter();
        await writer.write(`protocol=${protocol}`);
        for await (const message of readable) {
          if (message === "bye") {
            socket.close({ closeCode: 4000, reason: "server says bye" });
            break;
          }
          await writer.write(message);
        }
      })().catch(() => {});
      return response;
    });
    try {
      const client = new WebSocketStream(`ws://127.0.0.1:${server.port}/path`, {
        protocols: ["chat"],
      });
      const { readable, writable, protocol } = await client.opened;
      assert.equal(protocol, "chat");
      const socket = serverSockets[0]!;
      assert.ok(socket instanceof WebSocketStream);
      assert.equal(new URL(socket.url).pathname, "/path");
      const reader = readable.getReader();
      const writer = writable.getWriter();
      assert.equal((await reader.read()).value, "protocol=chat");
      await writer.write("κόσμε");
      assert.equal((await reader.read()).value, "κόσμε");
      await writer.write(new Uint8Array([1, 2, 3]));
      assert.deepEqual((await reader.read()).value, new Uint8Array([1, 2, 3]));
      await writer.write("bye");
      assert.deepEqual(await client.closed, { closeCode: 4000, reason: "server says bye" });
      // The closing side reports the peer's echo: the code, without a reason (§7.1.5).
      assert.equal((await socket.closed).closeCode, 4000);
    } finally {
      await server.stop();
    }
  });

  Deno.test(`upgradeWebSocketStream on ${name}: a refused handshake rejects opened and closed`, async () => {
    const serverSockets: WebSocketStream[] = [];
    const server = await start((request) => {
      const { response, socket } = upgradeWebSocketStream(request, {
        origin: ["https://allowed.example"],
      });
      serverSockets.push(socket);
      return response;
    });
    try {
      const client = new WebSocketStream(`ws://127.0.0.1:${server.port}/`, {
        headers: { origin: "https://evil.example" },
      });
      await assert.rejects(client.opened, /403/);
      await assert.rejects(serverSockets[0]!.opened, /403/);
      await assert.rejects(serverSockets[0]!.closed, WebSocketError);
    } finally {
      await server.stop();
    }
  });

  Deno.test(`${name}: Set-Cookie on the 101 from options.headers and from response.headers`, async () => {
    let seen: Headers | undefined;
    const server = await start((request) => {
      seen = request.headers;
      const { response, socket } = upgradeWebSocket(request, {
        headers: { "set-cookie": "from=options; HttpOnly", "x-served-by": "edgews" },
      });
      response.headers.append("set-cookie", "from=response; Path=/");
      socket.onmessage = (event) => socket.send(event.data);
      return response;
    });
    try {
      // Our client: custom request headers out, the 101's headers back.
      const ws = await connect(`ws://127.0.0.1:${server.port}/`, {
        headers: { authorization: "Bearer token-1", cookie: "session=abc", "x-trace": "t1" },
      });
      assert.equal(seen?.get("authorization"), "Bearer token-1");
      assert.equal(seen?.get("cookie"), "session=abc");
      assert.equal(seen?.get("x-trace"), "t1");
      assert.deepEqual(ws.headers?.getSetCookie(), [
        "from=options; HttpOnly",
        "from=response; Path=/",
      ]);
      assert.equal(ws.headers?.get("x-served-by"), "edgews");
      ws.close();
      await ws.closed;

      // npm:ws sees the same 101 (its "upgrade" event has the raw response).
      const peer = new WsClient(`ws://127.0.0.1:${server.port}/`, {
        headers: { "x-trace": "t2" },
      });
      const opened = new Promise((resolve) => peer.once("open", resolve));
      const upgrade = await new Promise<{ headers: Record<string, string | string[]> }>(
        (resolve, reject) => {
          peer.once("upgrade", (response: unknown) => resolve(response as never));
          peer.once("error", reject);
        },
      );
      await opened;
      assert.deepEqual(upgrade.headers["set-cookie"], [
        "from=options; HttpOnly",
        "from=response; Path=/",
      ]);
      assert.equal(seen?.get("x-trace"), "t2");
      peer.close(1000);
      await new Promise((resolve) => peer.once("close", resolve));
    } finally {
      await server.stop();
    }
  });
}

Deno.test("our serve: a new 101 Response from the handler adds its headers to the handshake's", async () => {
  const server = serve({ hostname: "127.0.0.1", port: 0 }, (request) => {
    const { socket } = upgradeWebSocket(request, { protocols: ["chat"] });
    socket.onmessage = (event) => socket.send(event.data);
    // A handler may build its own 101; the handshake's own headers cannot be replaced this way.
    return new Response(null, {
      status: 101,
      headers: {
        "set-cookie": "built=yes",
        "sec-websocket-accept": "not-the-real-one",
        "sec-websocket-protocol": "other",
      },
    });
  });
  try {
    const ws = await connect(`ws://127.0.0.1:${server.addr.port}/`, { protocols: ["chat"] });
    assert.equal(ws.protocol, "chat");
    assert.deepEqual(ws.headers?.getSetCookie(), ["built=yes"]);
    const writer = ws.writable.getWriter();
    await writer.write("still echoes");
    assert.equal((await ws.readable.getReader().read()).value, "still echoes");
    ws.close();
    await ws.closed;
  } finally {
    await server.shutdown();
  }
});

Deno.test("client request headers: WebSocket and WebSocketStream send them, handshake headers are refused", async () => {
  const seen: Headers[] = [];
  const server = serve({ hostname: "127.0.0.1", port: 0 }, (request) => {
    seen.push(request.headers);
    const { response } = upgradeWebSocket(request);
    return response;
  });
  try {
    const url = `ws://127.0.0.1:${server.addr.port}/`;
    const socket = new WebSocket(url, [], { headers: { "x-client": "whatwg" } });
    await nextEvent(socket, "open");
    socket.close(1000);
    await nextEvent(socket, "close");
    const stream = new WebSocketStream(url, { headers: new Headers({ "x-client": "stream" }) });
    await stream.opened;
    stream.close({ closeCode: 1000 });
    await stream.closed;
    assert.deepEqual(seen.map((headers) => headers.get("x-client")), ["whatwg", "stream"]);
    const refused = new WebSocketStream(url, { headers: { "sec-websocket-key": "mine" } });
    await assert.rejects(refused.opened, /sec-websocket-key is set by the handshake/);
  } finally {
    await server.shutdown();
  }
});
