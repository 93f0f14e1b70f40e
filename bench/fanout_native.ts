/**
 * Fan-out server on Deno's native WebSocket, for `bench/fanout.ts`: every
 * message from `/pub` is sent to each `/sub` socket in a loop.
 *
 * Run: `deno run --allow-net=127.0.0.1 bench/fanout_native.ts --port 0`
 * (prints `listening on PORT`).
 *
 * @module
 */
import { parseFlags } from "../examples/_args.ts";

const { flags } = parseFlags(Deno.args);
const port = Number(flags.get("port") ?? "0");
const subscribers = new Set<WebSocket>();

const server = Deno.serve({
  hostname: "127.0.0.1",
  port,
  onListen: (addr) => console.log(`listening on ${addr.port}`),
}, (request) => {
  const { response, socket } = Deno.upgradeWebSocket(request);
  socket.binaryType = "arraybuffer";
  if (new URL(request.url).pathname === "/sub") {
    socket.onopen = () => subscribers.add(socket);
    socket.onclose = () => subscribers.delete(socket);
  } else {
    socket.onmessage = (event) => {
      for (const subscriber of subscribers) subscriber.send(event.data);
    };
  }
  return response;
});

// SIGTERM ends the process at once: a graceful shutdown would wait for the sockets.
await server.finished;
