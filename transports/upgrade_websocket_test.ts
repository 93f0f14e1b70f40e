/** `upgradeWebSocket` on this module's `serve`: what it returns, and options reaching the socket. */
import assert from "node:assert/strict";
import { WebSocket } from "../connection/websocket.ts";
import { serve } from "../server/serve.ts";
import { deadline } from "../tests/_http_raw.ts";
import { nextEvent } from "../tests/_servers.ts";
import "./mod.ts"; // the Deno connector
import { upgradeWebSocket, type WebSocketUpgrade } from "./upgrade_websocket.ts";

Deno.test("upgradeWebSocket: a 101 response and this module's WebSocket, open once the 101 is sent", async () => {
  let upgrade: WebSocketUpgrade | undefined;
  let stateInHandler = -1;
  const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    upgrade = upgradeWebSocket(request, { protocols: ["b"], headers: { "x-served-by": "test" } });
    stateInHandler = upgrade.socket.readyState;
    return upgrade.response;
  });
  try {
    const client = new WebSocket(`ws://127.0.0.1:${server.addr.port}/`, ["a", "b"]);
    await nextEvent(client, "open");
    const { response, socket } = upgrade!;
    assert.equal(response.status, 101);
    assert.equal(response.headers.get("upgrade"), "websocket");
    assert.equal(response.headers.get("x-served-by"), "test");
    assert.ok(socket instanceof WebSocket);
    assert.equal(stateInHandler, WebSocket.CONNECTING);
    if (socket.readyState !== WebSocket.OPEN) await nextEvent(socket, "open");
    assert.equal(socket.protocol, "b");
    assert.equal(socket.binaryType, "arraybuffer", "as Deno's server sockets");
    socket.send(new Uint8Array([1, 2]));
    client.binaryType = "arraybuffer";
    const message = await nextEvent<MessageEvent>(client, "message");
    assert.deepEqual(new Uint8Array(message.data), new Uint8Array([1, 2]));
    client.send("up");
    assert.equal((await nextEvent<MessageEvent>(socket, "message")).data, "up");
    client.close(1000);
    assert.equal((await nextEvent<CloseEvent>(socket, "close")).code, 1000);
  } finally {
    await server.shutdown();
  }
});

Deno.test("upgradeWebSocket: connection options reach the socket (maxMessageSize closes with 1009)", async () => {
  let serverClose: Promise<CloseEvent> | undefined;
  const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const { response, socket } = upgradeWebSocket(request, { maxMessageSize: 10 });
    serverClose = nextEvent<CloseEvent>(socket, "close");
    socket.onerror = () => {};
    return response;
  });
  try {
    const client = new WebSocket(`ws://127.0.0.1:${server.addr.port}/`);
    await nextEvent(client, "open");
    client.send("0123456789"); // at the limit
    client.send("0123456789!"); // over it
    const closed = await nextEvent<CloseEvent>(client, "close");
    assert.equal(closed.code, 1009);
    assert.equal((await serverClose!).code, 1009);
  } finally {
    await server.shutdown();
  }
});

Deno.test("upgradeWebSocket: a request that is not an upgrade gets a 400 from the response", async () => {
  let status = 0;
  const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const { response, socket } = upgradeWebSocket(request);
    socket.onerror = () => {};
    status = response.status;
    return response;
  });
  try {
    const response = await fetch(`http://127.0.0.1:${server.addr.port}/`);
    assert.equal(response.status, 400);
    await response.body?.cancel();
    assert.equal(status, 400);
  } finally {
    await server.shutdown();
  }
});

Deno.test("upgradeWebSocket: called after the handler answered, the socket closes with 1006 without opening", async () => {
  let late: Request | undefined;
  const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    late = request;
    return upgradeWebSocket(request).response;
  });
  try {
    const client = new WebSocket(`ws://127.0.0.1:${server.addr.port}/`);
    await nextEvent(client, "open");
    // The request's connection is taken: a second upgrade cannot have it.
    const { response, socket } = upgradeWebSocket(late!);
    assert.equal(response.status, 101);
    socket.onerror = () => {};
    const closed = await deadline(nextEvent<CloseEvent>(socket, "close"), 5000, "the late close");
    assert.equal(closed.code, 1006);
    assert.equal(closed.wasClean, false);
    // The first socket is untouched.
    client.close(1000);
    assert.equal((await nextEvent<CloseEvent>(client, "close")).code, 1000);
  } finally {
    await server.shutdown();
  }
});
