/**
 * An echo server with permessage-deflate for `compression_memory_test.ts`,
 * run with `--expose-gc`: prints its URL, then answers each `rss` line on
 * stdin with the process's RSS after a full garbage collection, as one JSON
 * line.
 *
 * @module
 */
import { serve, upgradeWebSocket } from "../mod.ts";
import { answerMemoryCommands } from "./_memory_commands.ts";

const server = serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: (addr) => console.log(`ws://${addr.hostname}:${addr.port}/`),
}, (request) => {
  const { response, socket } = upgradeWebSocket(request, { perMessageDeflate: true });
  socket.onmessage = (event) => socket.send(event.data);
  return response;
});

await answerMemoryCommands();
await server.shutdown();
