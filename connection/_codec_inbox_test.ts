/**
 * `_CodecInbox`, the received events waiting on an asynchronous codec
 * (the CompressionStream backend), through this module's server and
 * clients on loopback.
 *
 * A chunk with nothing to decompress (a small uncompressed message, a
 * close frame) used to leave the queue's settled promise behind, and
 * reading waited on it one microtask at a time forever: the event loop
 * spun at 100% CPU, timers never fired and close() never finished. That
 * client runs in its own process, so a spin fails the test by its deadline
 * instead of hanging the suite.
 */
import assert from "node:assert/strict";
import { serve, upgradeWebSocket } from "../mod.ts";
import { MessageDeflater } from "../compression/deflate_codec.ts";
import { encodeFrame } from "../frames/frame_encoder.ts";
import { Opcode } from "../frames/opcode.ts";
import { openRaw } from "../tests/_raw_client.ts";
import { within } from "../tests/_pubsub.ts";
import { runProcess } from "../tests/_process.ts";

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

Deno.test("_CodecInbox: compressed and plain messages reach the handler in arrival order, as text or bytes", async () => {
  const got: unknown[] = [];
  let done!: () => void;
  const all = new Promise<void>((resolve) => done = resolve);
  const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const { response, socket } = upgradeWebSocket(request, {
      perMessageDeflate: { backend: "compression-streams" },
    });
    socket.onmessage = (event) => {
      const data = event.data;
      // Short summaries: a failed comparison then prints quickly.
      if (typeof data === "string") got.push(data.length > 100 ? `${data.length} chars` : data);
      else got.push(data.byteLength > 100 ? `${data.byteLength} bytes` : [...new Uint8Array(data)]);
      if (got.length === 6) done();
    };
    return response;
  });
  const conn = await openRaw(server.addr.port, "permessage-deflate; client_no_context_takeover");
  try {
    const mask = new Uint8Array([1, 2, 3, 4]);
    const deflate = (bytes: Uint8Array) =>
      new MessageDeflater({ noContextTakeover: true }).deflate(bytes);
    const text = (value: string) => new TextEncoder().encode(value);
    const frames = [
      { opcode: Opcode.Text, rsv1: true, payload: deflate(text("one (compressed)")) },
      { opcode: Opcode.Text, payload: text("two (plain)") },
      { opcode: Opcode.Ping, payload: text("a ping between") },
      { opcode: Opcode.Binary, rsv1: true, payload: deflate(new Uint8Array([3, 3, 3])) },
      { opcode: Opcode.Binary, payload: new Uint8Array([4]) },
      { opcode: Opcode.Text, rsv1: true, payload: deflate(text("five ".repeat(10_000))) },
      { opcode: Opcode.Text, payload: text("six") },
    ];
    // All in one write: the events of one chunk queue behind the first compressed one.
    const bytes = frames.map((frame) => encodeFrame({ fin: true, mask, ...frame }));
    const joined = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
    let offset = 0;
    for (const b of bytes) {
      joined.set(b, offset);
      offset += b.length;
    }
    await conn.write(joined);
    await within(all, 10_000, "six messages");
    assert.deepEqual(got, [
      "one (compressed)",
      "two (plain)",
      [3, 3, 3],
      [4],
      "50000 chars",
      "six",
    ]);
  } finally {
    conn.close();
    await server.shutdown();
  }
});
