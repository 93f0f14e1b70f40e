/** `node.ts` (the transports' Node entry): importing it registers the Node connector. */
import assert from "node:assert/strict";
import { defaultConnector } from "../connection/upgraded.ts";
import { WebSocket } from "../connection/websocket.ts";
import { serve } from "../server/serve.ts";
import { nextEvent } from "../tests/_servers.ts";
import * as node from "./node.ts";
import { nodeConnector } from "./node_connector.ts";
import { nodeUpgradeListener, serve as nodeServe } from "./node_serve.ts";
import { upgradeWebSocket } from "./upgrade_websocket.ts";

Deno.test("node.ts: the Node connector becomes the default, and the Node server is exported", async () => {
  assert.equal(defaultConnector(), nodeConnector);
  assert.equal(node.nodeConnector, nodeConnector);
  assert.equal(node.serve, nodeServe);
  assert.equal(node.nodeUpgradeListener, nodeUpgradeListener);
  // A client made with no connector option now connects over node:net.
  const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const { response, socket } = upgradeWebSocket(request);
    socket.onmessage = (event) => socket.send(event.data);
    return response;
  });
  try {
    const client = new WebSocket(`ws://127.0.0.1:${server.addr.port}/`);
    await nextEvent(client, "open");
    client.send("default");
    assert.equal((await nextEvent<MessageEvent>(client, "message")).data, "default");
    client.close();
    await nextEvent(client, "close");
  } finally {
    await server.shutdown();
  }
});
