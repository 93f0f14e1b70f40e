/** Bad input never crashes the server and never holds a connection past its timeout. */
import assert from "node:assert/strict";
import { WebSocketStream } from "../mod.ts";
import { SeededRandom } from "./_random.ts";
import { serve, upgradeWebSocket } from "../mod.ts";

// Long enough that a loaded CI machine gets every head in before it, short
// enough to keep the test quick.
const HANDSHAKE_TIMEOUT = 2000;

/** Read until the server closes the connection; resolve with what it sent, or null if it kept it open. */
async function readUntilClosed(conn: Deno.Conn, deadline: number): Promise<string | null> {
  const chunks: string[] = [];
  const buffer = new Uint8Array(4096);
  const timer = setTimeout(() => conn.close(), deadline);
  try {
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) return chunks.join("");
      chunks.push(String.fromCharCode(...buffer.subarray(0, n))); // bytes as Latin-1
    }
  } catch (error) {
    // Reset by the server counts as closed; our own timer closing it does not.
    if (error instanceof Deno.errors.BadResource) return null;
    return chunks.join("");
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

Deno.test("200 hostile connections: garbage, half handshakes, oversized heads, bad frames", async () => {
  const random = new SeededRandom(2024);
  const server = serve({
    hostname: "127.0.0.1",
    port: 0,
    handshakeTimeout: HANDSHAKE_TIMEOUT,
  }, (request) => {
    const { response, socket } = upgradeWebSocket(request, { closeTimeout: HANDSHAKE_TIMEOUT });
    socket.onmessage = (event) => socket.send(event.data);
    return response;
  });
  const port = server.addr.port;
  const upgradeHead = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n" +
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
    "Sec-WebSocket-Version: 13\r\n\r\n";
  const kinds = [
    "garbage",
    "half-head",
    "oversized-head",
    "too-many-headers",
    "silent",
    "bad-frames",
    "bad-request-line",
  ] as const;
  try {
    const results = await Promise.all(Array.from({ length: 200 }, async (_, i) => {
      const kind = kinds[i % kinds.length]!;
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      const encoder = new TextEncoder();
      try {
        switch (kind) {
          case "garbage":
            await conn.write(random.bytes(1 + random.int(3000)));
            break;
          case "half-head":
            await conn.write(encoder.encode("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgr"));
            break;
          case "oversized-head":
            await conn.write(
              encoder.encode(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`),
            );
            break;
          case "too-many-headers":
            await conn.write(
              encoder.encode(
                `GET / HTTP/1.1\r\nHost: x\r\n${"X-A: 1\r\n".repeat(200)}\r\n`,
              ),
            );
            break;
          case "silent":
            break;
          case "bad-frames":
            await conn.write(encoder.encode(upgradeHead));
            await conn.write(random.bytes(200)); // not masked, not valid
            break;
          case "bad-request-line":
            await conn.write(encoder.encode("HELLO\r\n\r\n"));
            break;
        }
      } catch {
        // The server may already have closed: fine.
      }
      const reply = await readUntilClosed(conn, HANDSHAKE_TIMEOUT + 4000);
      return { kind, reply };
    }));
    for (const { kind, reply } of results) {
      assert.notEqual(reply, null, `a ${kind} connection was still held after the timeout`);
      if (kind === "oversized-head" || kind === "too-many-headers") {
        assert.match(reply!, /^HTTP\/1\.1 431 /, `${kind}: ${reply!.slice(0, 60)}`);
      }
      if (kind === "half-head") assert.match(reply!, /^HTTP\/1\.1 408 /, kind);
      if (kind === "bad-request-line") assert.match(reply!, /^HTTP\/1\.1 400 /, kind);
      if (kind === "bad-frames") {
        assert.match(reply!, /^HTTP\/1\.1 101 /, kind);
        // A close frame (0x88) with 1002 (0x03 0xea) follows the 101.
        const body = reply!.slice(reply!.indexOf("\r\n\r\n") + 4);
        assert.equal(body.charCodeAt(0), 0x88, "close frame");
        assert.equal((body.charCodeAt(2) << 8) | body.charCodeAt(3), 1002);
      }
    }
    // The server still serves a normal client.
    const wss = new WebSocketStream(`ws://127.0.0.1:${port}/`);
    const { readable, writable } = await wss.opened;
    await writable.getWriter().write("still alive");
    assert.equal((await readable.getReader().read()).value, "still alive");
    wss.close();
    await wss.closed;
  } finally {
    await server.shutdown();
  }
});
