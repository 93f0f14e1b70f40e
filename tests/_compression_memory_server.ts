/**
 * An echo server with permessage-deflate for `compression_memory_test.ts`,
 * run with `--expose-gc`: prints its URL, then answers each `rss` line on
 * stdin with the process's RSS after a full garbage collection, as one JSON
 * line.
 *
 * @module
 */
import { serve, upgradeWebSocket } from "../mod.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --v8-flags=--expose-gc");

const server = serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: (addr) => console.log(`ws://${addr.hostname}:${addr.port}/`),
}, (request) => {
  const { response, socket } = upgradeWebSocket(request, { perMessageDeflate: true });
  socket.onmessage = (event) => socket.send(event.data);
  return response;
});

let buffered = "";
for await (const text of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
  buffered += text;
  let newline;
  while ((newline = buffered.indexOf("\n")) !== -1) {
    const command = buffered.slice(0, newline);
    buffered = buffered.slice(newline + 1);
    if (command === "rss") {
      // Twice: the first collection can leave finalizable garbage behind.
      gc();
      await new Promise((resolve) => setTimeout(resolve, 50));
      gc();
      console.log(JSON.stringify({ rss: Deno.memoryUsage().rss }));
    }
  }
}
await server.shutdown();
