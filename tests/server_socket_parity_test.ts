/**
 * The server socket `upgradeWebSocket` hands out behaves the same whoever
 * frames: this module (requests from its `serve()`) or Deno (requests from
 * `Deno.serve`, where Deno's own socket is wrapped), and like the socket of
 * `Deno.upgradeWebSocket`.
 */
import assert from "node:assert/strict";
import { openRaw } from "./_raw_client.ts";
import { serve, upgradeWebSocket, type WebSocket } from "../mod.ts";
import { nextEvent } from "./_servers.ts";

const PATHS = ["serve", "Deno.serve"] as const;

/** A server of `path` whose handler hands each upgraded socket to `onSocket`. */
function startServer(path: typeof PATHS[number], onSocket: (socket: WebSocket) => void) {
  const handler = (request: Request) => {
    const { response, socket } = upgradeWebSocket(request);
    onSocket(socket);
    return response;
  };
  if (path === "serve") return serve({ hostname: "127.0.0.1", port: 0 }, handler);
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
}

/** A raw client: the handshake, then `bytes` (masked frames) written as they are. */
async function rawClient(port: number, bytes: Uint8Array): Promise<Deno.Conn> {
  const conn = await openRaw(port);
  await conn.write(bytes);
  return conn;
}

/** One masked frame (key 0): first byte, payload. */
const frame = (first: number, payload: number[]) =>
  new Uint8Array([first, 0x80 | payload.length, 0, 0, 0, 0, ...payload]);

Deno.test("server sockets deliver binary messages as ArrayBuffers by default, as Deno's do", async () => {
  // What Deno's own server socket does.
  let native: string | undefined;
  const reference = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const { response, socket } = Deno.upgradeWebSocket(request);
    native = socket.binaryType;
    return response;
  });
  (await rawClient(reference.addr.port, new Uint8Array(0))).close();
  await reference.shutdown();
  assert.equal(native, "arraybuffer");

  for (const path of PATHS) {
    let socket: WebSocket | undefined;
    const server = startServer(path, (s) => socket = s);
    try {
      const conn = await rawClient(server.addr.port, new Uint8Array(0));
      assert.equal(socket!.binaryType, native, path);
      const message = nextEvent<MessageEvent>(socket!, "message");
      await conn.write(frame(0x82, [1, 2, 3]));
      const { data } = await message;
      assert.ok(data instanceof ArrayBuffer, `${path}: ${Object.prototype.toString.call(data)}`);
      assert.deepEqual([...new Uint8Array(data)], [1, 2, 3]);
      conn.close();
      await nextEvent(socket!, "close");
    } finally {
      await server.shutdown();
    }
  }
});

Deno.test("the server's close event has the same code on both paths when the peer breaks the protocol", async () => {
  const violations: [string, Uint8Array, number][] = [
    ["invalid UTF-8", frame(0x81, [0xff]), 1007],
    ["reserved bits", frame(0xc1, [0x41]), 1002],
    ["a fragmented ping", frame(0x09, []), 1002],
    ["a continuation with no message", frame(0x80, [0x41]), 1002],
    ["close code 999", frame(0x88, [0x03, 0xe7]), 1002],
  ];
  for (const [what, bytes, code] of violations) {
    for (const path of PATHS) {
      let closed: Promise<CloseEvent> | undefined;
      const server = startServer(path, (socket) => closed = nextEvent(socket, "close"));
      try {
        const conn = await rawClient(server.addr.port, bytes);
        const event = await closed!;
        assert.equal(event.code, code, `${what} on ${path}: ${event.code} ${event.reason}`);
        assert.equal(event.wasClean, false, `${what} on ${path}`);
        conn.close();
      } finally {
        await server.shutdown();
      }
    }
  }
});
