/**
 * The lingering close over real sockets: a server that fails a client for
 * sending too much has that client's bytes unread; closing then would make
 * the kernel answer with a reset that can destroy the close frame (1009)
 * before the client reads it (see `connection/_byte_channel.ts`, `_linger`).
 */
import assert from "node:assert/strict";
import { serve, upgradeWebSocket } from "../mod.ts";

Deno.test("a client that sent too much still reads the server's 1009, not a reset", async () => {
  const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const { response, socket } = upgradeWebSocket(request, { maxMessageSize: 1000 });
    socket.onmessage = () => assert.fail("no message fits");
    return response;
  });
  try {
    // Deno's own client: before the lingering close, it reported code 0 here.
    for (const size of [2_000, 100_000, 1_000_000]) {
      const ws = new WebSocket(`ws://127.0.0.1:${server.addr.port}/`);
      await new Promise((resolve) => ws.onopen = resolve);
      const closed = new Promise<CloseEvent>((resolve) => ws.onclose = resolve);
      ws.send(new Uint8Array(size));
      const event = await closed;
      assert.equal(event.code, 1009, `${size} bytes`);
      assert.match(event.reason, /^Frame too big/);
    }
  } finally {
    await server.shutdown();
  }
});
