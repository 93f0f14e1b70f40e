/**
 * Echo server on Deno's native WebSocket (`Deno.serve` + `Deno.upgradeWebSocket`),
 * the baseline of `bench/e2e.ts`. Sends every message back unchanged.
 *
 * Run: `deno run --allow-net=127.0.0.1 bench/native_echo_server.ts --host 127.0.0.1 --port 0`
 * (prints `listening on ws://HOST:PORT`).
 *
 * @module
 */
import { parseFlags } from "../examples/_args.ts";

const { flags } = parseFlags(Deno.args);
const hostname = flags.get("host") ?? "127.0.0.1";
const port = Number(flags.get("port") ?? "0");

const server = Deno.serve({
  hostname,
  port,
  onListen(addr) {
    console.log(`listening on ws://${addr.hostname}:${addr.port}`);
  },
}, (request) => {
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    return new Response("This is a WebSocket echo server.\n", { status: 426 });
  }
  const { response, socket } = Deno.upgradeWebSocket(request);
  socket.binaryType = "arraybuffer";
  socket.onmessage = (event) => socket.send(event.data);
  return response;
});

Deno.addSignalListener("SIGINT", () => void server.shutdown());
Deno.addSignalListener("SIGTERM", () => void server.shutdown());
await server.finished;
