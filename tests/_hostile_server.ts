/**
 * An echo server for the hostile-client tests, in a process of its own so
 * that its memory can be measured: prints its URL, then every 50 ms one
 * JSON line with its RSS, the bytes its sockets have queued for their peers
 * (the largest `bufferedAmount`) and the close codes of the sockets that
 * have closed. Its argument is the JSON of the `upgradeWebSocket` options.
 *
 * @module
 */
import { serve, upgradeWebSocket, type UpgradeWebSocketOptions, type WebSocket } from "../mod.ts";

const options = JSON.parse(Deno.args[0] ?? "{}") as UpgradeWebSocketOptions;
const open = new Set<WebSocket>();
const closed: number[] = [];

const server = serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: (addr) => console.log(`ws://${addr.hostname}:${addr.port}/`),
}, (request) => {
  const { response, socket } = upgradeWebSocket(request, options);
  socket.binaryType = "arraybuffer";
  socket.onopen = () => open.add(socket);
  socket.onmessage = (event) => socket.send(event.data);
  socket.onclose = (event) => {
    open.delete(socket);
    closed.push(event.code);
  };
  return response;
});

const timer = setInterval(() => {
  let buffered = 0;
  for (const socket of open) buffered = Math.max(buffered, socket.bufferedAmount);
  console.log(JSON.stringify({ rss: Deno.memoryUsage().rss, buffered, closed }));
}, 50);

Deno.addSignalListener("SIGTERM", async () => {
  clearInterval(timer);
  await server.shutdown();
  Deno.exit(0);
});
