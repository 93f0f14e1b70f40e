import assert from "node:assert/strict";
import { _serverSocket } from "./_server_socket.ts";
import type { Connector } from "./upgraded.ts";
import { WebSocket } from "./websocket.ts";
import { WebSocketStream } from "./websocket_stream.ts";
import { WebSocketError } from "../errors/websocket_error.ts";

const never: Connector = () => Promise.reject(new Error("not connecting"));

Deno.test("_serverSocket: a server WebSocket; the next public constructor makes a client again", async () => {
  const server = _serverSocket(WebSocket, new URL("ws://example.test/"), {}, {
    transport: Promise.reject(new Error("handler returned 403")),
  });
  const serverClosed = new Promise<CloseEvent>((resolve) => server.onclose = resolve);
  assert.equal(server.binaryType, "arraybuffer");
  const client = new WebSocket("ws://example.test/", [], { connector: never });
  const clientClosed = new Promise<CloseEvent>((resolve) => client.onclose = resolve);
  client.onerror = () => {};
  assert.equal(client.binaryType, "blob");
  client.close();
  assert.equal((await serverClosed).code, 1006);
  assert.equal((await clientClosed).code, 1006);
});

Deno.test("_serverSocket: a server WebSocketStream fails with 1006 when the upgrade never happens", async () => {
  const socket = _serverSocket<WebSocketStream>(WebSocketStream, new URL("ws://x/"), {}, {
    transport: Promise.reject(new Error("handler returned 403")),
  });
  await assert.rejects(socket.opened, (error) => {
    assert.ok(error instanceof WebSocketError);
    assert.equal(error.closeCode, 1006);
    assert.match(error.message, /handler returned 403/);
    return true;
  });
});

Deno.test("_serverSocket: a class that registered no factory is refused", () => {
  class Other {}
  assert.throws(
    () => _serverSocket(Other, new URL("ws://x/"), {}, { transport: new Promise(() => {}) }),
    TypeError,
  );
});
