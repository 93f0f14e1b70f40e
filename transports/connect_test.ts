/** `connect()`: the opened stream in one await, its close, and its refusals, on loopback. */
import assert from "node:assert/strict";
import { HandshakeStatusError } from "../errors/handshake_status_error.ts";
import { serve } from "../server/serve.ts";
import { nextEvent } from "../tests/_servers.ts";
import { connect } from "./connect.ts";
import "./mod.ts"; // the Deno connector
import { upgradeWebSocket } from "./upgrade_websocket.ts";

Deno.test("connect: protocol, extensions, streams and the socket once open; close with a code and reason", async () => {
  let serverClosed: Promise<CloseEvent> | undefined;
  const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const { response, socket } = upgradeWebSocket(request, {
      protocols: ["v2", "v1"],
      perMessageDeflate: true,
    });
    serverClosed = nextEvent<CloseEvent>(socket, "close");
    socket.onmessage = (event) => socket.send(`echo ${event.data}`);
    return response;
  });
  try {
    const ws = await connect(`ws://127.0.0.1:${server.addr.port}/`, { protocols: ["v1", "v2"] });
    assert.equal(ws.protocol, "v2");
    assert.match(ws.extensions, /^permessage-deflate/);
    assert.equal(ws.socket.url, `ws://127.0.0.1:${server.addr.port}/`);
    const writer = ws.writable.getWriter();
    const reader = ws.readable.getReader();
    await writer.write("hi");
    assert.equal((await reader.read()).value, "echo hi");
    ws.close({ closeCode: 4000, reason: "bye" });
    // What the server's close frame says: its echo of the code.
    assert.equal((await ws.closed).closeCode, 4000);
    assert.equal(ws.closed, ws.socket.closed);
    const event = await serverClosed!;
    assert.equal(event.code, 4000);
    assert.equal(event.reason, "bye");
  } finally {
    await server.shutdown();
  }
});

Deno.test("connect: a refused handshake rejects with the status, headers and body", async () => {
  const server = serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("sign in first", { status: 401, headers: { "www-authenticate": "Bearer" } }),
  );
  try {
    await assert.rejects(connect(`ws://127.0.0.1:${server.addr.port}/`), (error: unknown) => {
      assert.ok(error instanceof HandshakeStatusError);
      assert.equal(error.status, 401);
      assert.equal(error.headers.get("www-authenticate"), "Bearer");
      assert.match(error.message, /401/);
      return true;
    });
  } finally {
    await server.shutdown();
  }
});

Deno.test("connect: nothing listening rejects; a proxy option goes through the proxy", async () => {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  await assert.rejects(connect(`ws://127.0.0.1:${port}/`));
  // The proxy is asked for a tunnel: a proxy that refuses shows it was used.
  const proxy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const answered = (async () => {
    const conn = await proxy.accept();
    const buffer = new Uint8Array(1024);
    const n = await conn.read(buffer);
    const head = new TextDecoder().decode(buffer.subarray(0, n ?? 0));
    await conn.write(new TextEncoder().encode("HTTP/1.1 403 Forbidden\r\n\r\n"));
    conn.close();
    return head;
  })();
  try {
    await assert.rejects(
      connect(`ws://127.0.0.1:${port}/`, { proxy: `http://127.0.0.1:${proxy.addr.port}` }),
      /403/,
    );
    assert.match(await answered, new RegExp(`^CONNECT 127\\.0\\.0\\.1:${port} HTTP/1\\.1`));
  } finally {
    proxy.close();
  }
});
