import assert from "node:assert/strict";
import type { UpgradedTransport } from "../connection/upgraded.ts";
import { encodeFrame } from "../frames/frame_encoder.ts";
import { Opcode } from "../frames/opcode.ts";
import { upgradeWebSocket } from "../transports/upgrade_websocket.ts";
import type { WebSocket } from "../connection/websocket.ts";
import { nextEvent } from "../tests/_servers.ts";
import { deadline } from "../tests/_http_raw.ts";
import { _completeUpgrade, _failUpgrade } from "./_upgrade_handoff.ts";
import type { _UpgradeSlot } from "./_upgrade_slot.ts";
import { serve } from "./serve.ts";

/** A slot waiting for its upgrade, and the transport (or error) the socket would get. */
function waitingSlot(upgradeResponse: Response) {
  let settle!: (outcome: UpgradedTransport | Error) => void;
  const outcome = new Promise<UpgradedTransport | Error>((resolve) => settle = resolve);
  const slot: _UpgradeSlot = {
    duplex: { readable: new ReadableStream(), writable: new WritableStream() },
    leftover: new Uint8Array([1, 2, 3]),
    httpVersion: "HTTP/1.1",
    upgrade: {
      response: upgradeResponse,
      resolve: (transport) => settle(transport),
      reject: (error) => settle(error as Error),
      protocol: "chat",
      extensions: "permessage-deflate",
    },
    connected() {},
    disconnected() {},
  };
  return { slot, outcome };
}

const text = (bytes: Uint8Array[]) => bytes.map((b) => new TextDecoder().decode(b)).join("");

Deno.test("_completeUpgrade: writes the 101 head, then hands the socket its transport", async () => {
  const upgrade = new Response(null, {
    status: 101,
    headers: { upgrade: "websocket", connection: "Upgrade", "sec-websocket-accept": "k" },
  });
  const { slot, outcome } = waitingSlot(upgrade);
  const written: Uint8Array[] = [];
  const ok = await _completeUpgrade(slot, upgrade, (bytes) => {
    written.push(bytes);
    return Promise.resolve();
  });
  assert.equal(ok, true);
  assert.equal(
    text(written),
    "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: k\r\n" +
      "Upgrade: websocket\r\n\r\n",
  );
  const transport = await outcome;
  assert.ok(!(transport instanceof Error));
  assert.equal(transport.duplex, slot.duplex);
  assert.deepEqual(transport.leftover, new Uint8Array([1, 2, 3]));
  assert.equal(transport.protocol, "chat");
  assert.equal(transport.extensions, "permessage-deflate");
  assert.equal(slot.upgrade, undefined, "the slot lets go of the upgrade");
});

Deno.test("_completeUpgrade: a response that is not a 101 fails the socket, and nothing is written", async () => {
  const upgrade = new Response(null, { status: 101 });
  const { slot, outcome } = waitingSlot(upgrade);
  const written: Uint8Array[] = [];
  const write = (bytes: Uint8Array) => {
    written.push(bytes);
    return Promise.resolve();
  };
  assert.equal(await _completeUpgrade(slot, new Response("no", { status: 403 }), write), false);
  const error = await outcome;
  assert.ok(error instanceof Error);
  assert.match(error.message, /did not return the 101 response of upgradeWebSocket/);
  assert.deepEqual(written, []);
  // A request nobody upgraded: not an upgrade, nothing to fail.
  const plain = waitingSlot(upgrade).slot;
  plain.upgrade = undefined;
  assert.equal(await _completeUpgrade(plain, upgrade, write), false);
  assert.deepEqual(written, []);
});

Deno.test("_completeUpgrade: a write that fails fails the socket with that error and rethrows it", async () => {
  const upgrade = new Response(null, { status: 101 });
  const { slot, outcome } = waitingSlot(upgrade);
  const gone = new Deno.errors.BrokenPipe("client gone");
  await assert.rejects(
    _completeUpgrade(slot, upgrade, () => Promise.reject(gone)),
    (e) => e === gone,
  );
  assert.equal(await outcome, gone);
});

Deno.test("_failUpgrade: rejects a waiting upgrade once", async () => {
  const { slot, outcome } = waitingSlot(new Response(null, { status: 101 }));
  const reason = new Error("handler threw");
  _failUpgrade(slot, reason);
  _failUpgrade(slot, new Error("again"));
  assert.equal(await outcome, reason);
  assert.equal(slot.upgrade, undefined);
});

Deno.test("hand-off through serve: bytes sent right behind the request reach the socket", async () => {
  let gotSocket!: (socket: WebSocket) => void;
  const serverSocket = new Promise<WebSocket>((resolve) => gotSocket = resolve);
  const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const { response, socket } = upgradeWebSocket(request);
    gotSocket(socket);
    return response;
  });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  try {
    const request = new TextEncoder().encode(
      "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    const frame = encodeFrame({
      fin: true,
      opcode: Opcode.Text,
      payload: new TextEncoder().encode("early"),
      mask: new Uint8Array([1, 2, 3, 4]),
    });
    const both = new Uint8Array(request.length + frame.length);
    both.set(request);
    both.set(frame, request.length);
    await conn.write(both); // one write: the frame arrives with the head
    const message = await deadline(
      serverSocket.then((socket) => nextEvent<MessageEvent>(socket, "message")),
      10_000,
      "the early message",
    );
    assert.equal(message.data, "early");
  } finally {
    conn.close();
    await server.shutdown();
  }
});

Deno.test("hand-off through serve: a handler that upgrades but answers 403 sends the 403, and the socket closes 1006", async () => {
  let closed: Promise<CloseEvent> | undefined;
  const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const { socket } = upgradeWebSocket(request);
    socket.onerror = () => {};
    closed = nextEvent<CloseEvent>(socket, "close");
    return new Response("go away", { status: 403 });
  });
  try {
    const response = await fetch(`http://127.0.0.1:${server.addr.port}/`, {
      headers: {
        upgrade: "websocket",
        connection: "Upgrade",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        "sec-websocket-version": "13",
      },
    });
    assert.equal(response.status, 403);
    assert.equal(await response.text(), "go away");
    const event = await closed!;
    assert.equal(event.code, 1006);
    assert.equal(event.wasClean, false);
  } finally {
    await server.shutdown();
  }
});
