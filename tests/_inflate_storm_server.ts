/**
 * A server for `inflate_storm_test.ts`, in its own process: permessage-deflate
 * on, default limits. Text messages are answered with how many binary
 * messages have arrived so far and the process's RSS, as
 * `binaries <count> rss <bytes>`; each binary message is reported to every
 * client that sent text, as `binary <length>`. Prints its URL.
 *
 * @module
 */
import { serve, upgradeWebSocket, type WebSocket } from "../mod.ts";

const watchers = new Set<WebSocket>();
let binaries = 0;
const server = serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: (addr) => console.log(`ws://${addr.hostname}:${addr.port}/`),
}, (request) => {
  const { response, socket } = upgradeWebSocket(request, { perMessageDeflate: true });
  socket.binaryType = "arraybuffer";
  socket.onmessage = (event) => {
    if (typeof event.data === "string") {
      watchers.add(socket);
      socket.send(`binaries ${binaries} rss ${Deno.memoryUsage().rss}`);
      return;
    }
    binaries++;
    for (const watcher of watchers) watcher.send(`binary ${event.data.byteLength}`);
  };
  socket.onclose = () => watchers.delete(socket);
  return response;
});
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
await server.finished;
