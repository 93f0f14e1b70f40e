/**
 * One huge message through per-message streams, as a separate process so
 * that its peak memory is its own: the client generates SIZE bytes lazily
 * and sends them as one binary message from a stream; the server echoes
 * the message back chunk by chunk as it arrives (its `StreamedMessage`
 * written straight to its writable); the client reads the echo as a stream
 * and checks every byte. Prints one JSON line: bytes, chunks, peak RSS.
 *
 * deno run --allow-all tests/_large_message.ts SIZE_MIB  (reading /proc/self/status needs --allow-all)
 */
import { serve, upgradeWebSocketStream, WebSocketStream } from "../mod.ts";

const MIB = 1024 * 1024;
const size = Number(Deno.args[0] ?? "256") * MIB;
/** Bytes per generated chunk. */
const CHUNK = 256 * 1024;

/** The byte at `offset` of the message: a pattern that never lines up with chunk sizes. */
function expected(offset: number): number {
  return (offset % 251) ^ ((offset >>> 16) & 0xff);
}

function fill(chunk: Uint8Array, start: number): void {
  for (let i = 0; i < chunk.length; i++) chunk[i] = expected(start + i);
}

const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
  const { response, socket } = upgradeWebSocketStream(request, {
    streamMessages: true,
    maxMessageSize: Number.MAX_SAFE_INTEGER,
  });
  socket.opened.then(async ({ readable, writable }) => {
    const writer = writable.getWriter();
    for await (const message of readable) await writer.write(message);
  }).catch(() => {});
  return response;
});

const client = new WebSocketStream(`ws://127.0.0.1:${server.addr.port}/`, {
  streamMessages: true,
  maxMessageSize: Number.MAX_SAFE_INTEGER,
  perMessageDeflate: false,
});
const { readable, writable } = await client.opened;

let generated = 0;
const source = new ReadableStream<Uint8Array>({
  pull(controller) {
    if (generated >= size) {
      controller.close();
      return;
    }
    const chunk = new Uint8Array(Math.min(CHUNK, size - generated));
    fill(chunk, generated);
    generated += chunk.length;
    controller.enqueue(chunk);
  },
}, { highWaterMark: 0 });
const writer = writable.getWriter();
const sent = writer.write(source);

const reader = readable.getReader();
const { value: message } = await reader.read();
if (message === undefined) throw new Error("no message came back");
let received = 0;
let chunks = 0;
for await (const chunk of message.readable) {
  for (let i = 0; i < chunk.length; i++) {
    if (chunk[i] !== expected(received + i)) {
      throw new Error(`byte ${received + i} is ${chunk[i]}, expected ${expected(received + i)}`);
    }
  }
  received += chunk.length;
  chunks++;
}
await sent;
reader.releaseLock();
client.close({ closeCode: 1000 });
await client.closed;
await server.shutdown();

const status = await Deno.readTextFile("/proc/self/status");
const peak = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? "NaN") * 1024;
console.log(JSON.stringify({ type: message.type, bytes: received, chunks, peakRss: peak }));
