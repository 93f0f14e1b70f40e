/**
 * The CompressionStream backend decompresses off the read path, through a
 * queue that reading waits on. A chunk with nothing to decompress (a small
 * uncompressed message, a close frame) used to leave that queue's settled
 * promise behind, and reading waited on it one microtask at a time forever:
 * the event loop spun at 100% CPU, timers never fired and close() never
 * finished. The client runs in its own process, so a spin fails the test by
 * its deadline instead of hanging the suite. And a close made while a message
 * is still being compressed must not make the sends that wait behind a Blob
 * throw (an unhandled rejection, which ends a Deno program).
 */
import assert from "node:assert/strict";
import { runProcess } from "./_process.ts";

const CLIENT = `
import { serve, upgradeWebSocket, WebSocket } from "./mod.ts";
const server = serve({ hostname: "127.0.0.1", port: 0 }, (request) => {
  const { response, socket } = upgradeWebSocket(request, { perMessageDeflate: true });
  socket.onopen = () => socket.send("hi");
  return response;
});
const ws = new WebSocket("ws://127.0.0.1:" + server.addr.port + "/", [], {
  perMessageDeflate: { backend: "compression-streams" },
});
ws.onmessage = (event) => console.log("message", event.data, ws.extensions.split(";")[0]);
await new Promise((resolve) => ws.onopen = resolve);
await new Promise((resolve) => setTimeout(resolve, 200));
console.log("timer fired");
ws.close();
const event = await new Promise((resolve) => ws.onclose = resolve);
console.log("close", event.code);
await server.shutdown();
`;

Deno.test("CompressionStream backend: uncompressed frames alone do not stall reading", async () => {
  const { code, output } = await runProcess(
    Deno.execPath(),
    ["eval", "--ext=ts", CLIENT],
    {},
    undefined,
    20_000,
  );
  assert.equal(code, 0, output);
  assert.match(output, /message hi permessage-deflate\ntimer fired\nclose 1005\n/);
});

Deno.test("CompressionStream backend: sends waiting behind a Blob when an abort closes the connection are discarded, not thrown", async () => {
  const { serve, upgradeWebSocket, WebSocket } = await import("../mod.ts");
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
    await new Promise((resolve) => ws.onopen = resolve);
    assert.match(ws.extensions, /^permessage-deflate/);
    await new Promise((resolve) => setTimeout(resolve, 10));
    // Compressed off the read path: the abort's close waits behind it, and
    // the connection still reads as open while the Blob is read.
    ws.send("x".repeat(400_000));
    ws.send(new Blob(["blob"]));
    ws.send("after the blob");
    controller.abort();
    const event = await new Promise<CloseEvent>((resolve) => ws.onclose = resolve);
    assert.equal(event.code, 1000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(unhandled, []);
  } finally {
    globalThis.removeEventListener("unhandledrejection", onUnhandled);
    await server.shutdown();
  }
});
