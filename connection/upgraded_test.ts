import assert from "node:assert/strict";
import { type Connector, defaultConnector, setDefaultConnector } from "./upgraded.ts";
import { WebSocket } from "./websocket.ts";
import { WebSocketStream } from "./websocket_stream.ts";

Deno.test("setDefaultConnector: the connector WebSocket and WebSocketStream use without one of their own", async () => {
  assert.equal(defaultConnector(), undefined, "nothing in this file registered one");
  const urls: string[] = [];
  const refusing: Connector = (url) => {
    urls.push(url.href);
    return Promise.reject(new Error("not today"));
  };
  setDefaultConnector(refusing);
  assert.equal(defaultConnector(), refusing);
  const socket = new WebSocket("ws://default.test/a");
  socket.onerror = () => {};
  await new Promise((resolve) => socket.onclose = resolve);
  const stream = new WebSocketStream("ws://default.test/b");
  await assert.rejects(stream.opened, /not today/);
  // An explicit connector wins over the default.
  const own = new WebSocketStream("ws://default.test/c", {
    connector: () => Promise.reject(new Error("my own")),
  });
  await assert.rejects(own.opened, /my own/);
  assert.deepEqual(urls, ["ws://default.test/a", "ws://default.test/b"]);
});
