/**
 * `_CodecOutbox`, the sends waiting on an asynchronous codec (the
 * CompressionStream backend), through this module's server and clients on
 * loopback. A close made while a message is still being compressed must
 * not make the sends that wait behind a Blob throw (an unhandled
 * rejection, which ends a Deno program).
 */
import assert from "node:assert/strict";
import { serve, upgradeWebSocket, WebSocket } from "../mod.ts";
import { nextEvent } from "../tests/_servers.ts";
import { within } from "../tests/_pubsub.ts";

Deno.test("CompressionStream backend: sends waiting behind a Blob when an abort closes the connection are discarded, not thrown", async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (event: PromiseRejectionEvent) => {
    unhandled.push(event.reason);
    event.preventDefault();
  };
  globalThis.addEventListener("unhandledrejection", onUnhandled);
  const server = serve({ hostname: "127.0.0.1", port: 0 }, (request) => {
    const { response, socket } = upgradeWebSocket(request, { perMessageDeflate: true });
    socket.onmessage = () => {};
    return response;
  });
  try {
    const controller = new AbortController();
    const ws = new WebSocket(`ws://127.0.0.1:${server.addr.port}/`, [], {
      perMessageDeflate: { backend: "compression-streams" },
      signal: controller.signal,
    });
    await nextEvent(ws, "open");
    assert.match(ws.extensions, /^permessage-deflate/);
    await new Promise((resolve) => setTimeout(resolve, 10));
    // Compressed off the read path: the abort's close waits behind it, and
    // the connection still reads as open while the Blob is read.
    ws.send("x".repeat(400_000));
    ws.send(new Blob(["blob"]));
    ws.send("after the blob");
    controller.abort();
    const event = await nextEvent<CloseEvent>(ws, "close");
    assert.equal(event.code, 1000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(unhandled, []);
  } finally {
    globalThis.removeEventListener("unhandledrejection", onUnhandled);
    await within(server.shutdown(), 10_000, "shutdown");
  }
});

Deno.test("_CodecOutbox: sends go out in order, and a close made meanwhile waits for them", async () => {
  const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const { response, socket } = upgradeWebSocket(request, {
      perMessageDeflate: { backend: "compression-streams", threshold: 0 },
    });
    socket.onopen = () => {
      socket.send("x".repeat(300_000)); // still being compressed when the rest is queued
      socket.send(new Uint8Array([1, 2, 3]));
      socket.send("third");
      socket.close(4000, "after the three");
      try {
        socket.send("after close()");
      } catch {
        // Either refused or dropped: never sent.
      }
    };
    return response;
  });
  try {
    const client = new WebSocket(`ws://127.0.0.1:${server.addr.port}/`);
    client.binaryType = "arraybuffer";
    const got: unknown[] = [];
    client.onmessage = (event) =>
      got.push(
        typeof event.data === "string" ? event.data.length : [...new Uint8Array(event.data)],
      );
    const closed = await nextEvent<CloseEvent>(client, "close");
    assert.match(client.extensions, /^permessage-deflate/);
    assert.deepEqual(got, [300_000, [1, 2, 3], 5]);
    assert.equal(closed.code, 4000);
    assert.equal(closed.reason, "after the three");
  } finally {
    // Bounded: a close stuck behind the queue would hold shutdown too.
    await within(server.shutdown(), 10_000, "shutdown");
  }
});
