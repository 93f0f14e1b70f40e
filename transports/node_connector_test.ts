/**
 * `nodeConnector` (the shared socket connector on `node:net`/`node:tls`),
 * here on Deno's Node compatibility against this module's server on
 * loopback. wss: needs `tls.rootCertificates`, which Deno grants only with
 * --allow-sys (the suite does not): Node and Bun run it, with a private
 * CA, in tests/portable_test.ts.
 */
import assert from "node:assert/strict";
import { WebSocketStream } from "../connection/websocket_stream.ts";
import { serve } from "../server/serve.ts";
import { _nodeDriver } from "./_node_socket.ts";
import { _driverOf } from "./_socket_connector.ts";
import { nodeConnector } from "./node_connector.ts";
import { upgradeWebSocketStream } from "./upgrade_websocket_stream.ts";

function echoServer() {
  return serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const { response, socket } = upgradeWebSocketStream(request);
    socket.opened.then(({ readable, writable }) => readable.pipeTo(writable)).catch(() => {});
    return response;
  });
}

async function roundTrip(url: string): Promise<unknown> {
  const wss = new WebSocketStream(url, { connector: nodeConnector });
  const { readable, writable } = await wss.opened;
  await writable.getWriter().write("over node:net");
  const { value } = await readable.getReader().read();
  wss.close({ closeCode: 1000 });
  await wss.closed;
  return value;
}

Deno.test("nodeConnector: the shared connector on the Node driver", () => {
  assert.equal(_driverOf(nodeConnector), _nodeDriver);
});

Deno.test("nodeConnector: ws: to this module's server", async () => {
  const server = echoServer();
  try {
    assert.equal(await roundTrip(`ws://127.0.0.1:${server.addr.port}/`), "over node:net");
  } finally {
    await server.shutdown();
  }
});
