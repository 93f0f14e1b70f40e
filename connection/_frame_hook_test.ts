/**
 * `_frameHook`, the way `pubsub/` puts one pre-encoded frame on many
 * server sockets: which sockets take frames and with what compression,
 * and what a written frame does. Real server sockets from this module's
 * `serve` and clients on loopback.
 */
import assert from "node:assert/strict";
import { encodeFrame } from "../frames/frame_encoder.ts";
import { Opcode } from "../frames/opcode.ts";
import { serve } from "../server/serve.ts";
import { nextEvent } from "../tests/_servers.ts";
import "../transports/mod.ts"; // the Deno connector
import { upgradeWebSocket, type UpgradeWebSocketOptions } from "../transports/upgrade_websocket.ts";
import { _frameHook } from "./_frame_hook.ts";
import { WebSocket } from "./websocket.ts";

const textFrame = (text: string) =>
  encodeFrame({ fin: true, opcode: Opcode.Text, payload: new TextEncoder().encode(text) });

/** One server socket and its client, both open. */
async function openPair(options: UpgradeWebSocketOptions = {}, clientDeflate = false) {
  let accepted!: (socket: WebSocket) => void;
  const serverSocket = new Promise<WebSocket>((resolve) => accepted = resolve);
  const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const { response, socket } = upgradeWebSocket(request, options);
    accepted(socket);
    return response;
  });
  const client = new WebSocket(`ws://127.0.0.1:${server.addr.port}/`, [], {
    perMessageDeflate: clientDeflate,
  });
  await nextEvent(client, "open");
  const socket = await serverSocket;
  if (socket.readyState !== WebSocket.OPEN) await nextEvent(socket, "open");
  return { socket, client, stop: () => server.shutdown() };
}

Deno.test("_frameHook: an open server socket takes whole frames, behind what it sent before", async () => {
  const { socket, client, stop } = await openPair();
  try {
    assert.equal(_frameHook.compression(socket), null, "no permessage-deflate");
    const got: string[] = [];
    client.onmessage = (event) => got.push(event.data);
    socket.send("first");
    assert.equal(_frameHook.write(socket, textFrame("pre-encoded")), true);
    socket.send("last");
    while (got.length < 3) await nextEvent(client, "message");
    assert.deepEqual(got, ["first", "pre-encoded", "last"]);
  } finally {
    client.close();
    await stop();
  }
});

Deno.test("_frameHook: with permessage-deflate, the agreed parameters", async () => {
  const { socket, client, stop } = await openPair(
    { perMessageDeflate: { serverNoContextTakeover: true } },
    true,
  );
  try {
    const params = _frameHook.compression(socket);
    assert.ok(params !== null && params !== undefined);
    assert.equal(params.serverNoContextTakeover, true);
  } finally {
    client.close();
    await stop();
  }
});

Deno.test("_frameHook: clients, fragmenting sockets, closed sockets and other objects take no frames", async () => {
  const { socket, client, stop } = await openPair();
  const fragmenting = await openPair({ fragmentSize: 1024 });
  try {
    assert.equal(_frameHook.compression(client), undefined, "a client masks its frames");
    assert.equal(_frameHook.compression(fragmenting.socket), undefined, "fragmentSize set");
    assert.equal(_frameHook.compression({}), undefined);
    assert.equal(_frameHook.write({}, textFrame("x")), false);
    // An unmasked shared frame on a client would break §5.3; a fragmenting server would send it whole.
    assert.equal(_frameHook.write(client, textFrame("unmasked")), false, "a client");
    assert.equal(
      _frameHook.write(fragmenting.socket, textFrame("whole")),
      false,
      "fragmentSize set",
    );
    socket.close(1000);
    assert.equal(_frameHook.compression(socket), undefined, "closing");
    assert.equal(_frameHook.write(socket, textFrame("too late")), false);
    await nextEvent(client, "close");
  } finally {
    fragmenting.client.close();
    await Promise.all([stop(), fragmenting.stop()]);
  }
});
