import assert from "node:assert/strict";
import { HandshakeStatusError } from "../errors/handshake_status_error.ts";
import { WebSocketStream } from "../connection/websocket_stream.ts";
import { denoConnector } from "./deno_connector.ts";
import { nodeConnector } from "./node_connector.ts";

/**
 * A loopback server that answers every request head with `answer` and keeps
 * the connection open until stopped: the body's framing must end the read.
 */
function refusingServer(answer: string) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const serving = (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      void (async () => {
        let head = "";
        const buffer = new Uint8Array(4096);
        while (!head.includes("\r\n\r\n")) {
          const n = await conn.read(buffer).catch(() => null);
          if (n === null) return;
          head += new TextDecoder().decode(buffer.subarray(0, n));
        }
        await conn.write(new TextEncoder().encode(answer)).catch(() => {});
      })();
    }
  })();
  return {
    url: `ws://127.0.0.1:${listener.addr.port}/`,
    async stop() {
      listener.close();
      await serving;
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // Closed by the client.
        }
      }
    },
  };
}

for (const [name, connector] of [["Deno", denoConnector], ["Node", nodeConnector]] as const) {
  Deno.test(`${name} connector: a refused handshake's error carries the body's start`, async () => {
    const answers = [
      "HTTP/1.1 401 Unauthorized\r\nContent-Length: 13\r\n\r\ninvalid token",
      "HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n" +
      "7\r\ninvalid\r\n6\r\n token\r\n0\r\n\r\n",
    ];
    for (const answer of answers) {
      const server = refusingServer(answer);
      try {
        const wss = new WebSocketStream(server.url, { connector });
        const error = await wss.opened.then(() => undefined, (error) => error);
        await wss.closed.catch(() => {});
        assert.ok(error instanceof HandshakeStatusError, String(error));
        assert.equal(error.body, "invalid token");
        assert.match(
          error.message,
          /^Handshake failed: server answered 40[13] instead of 101 Switching Protocols: "invalid token"$/,
        );
      } finally {
        await server.stop();
      }
    }
  });
}
