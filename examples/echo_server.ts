/**
 * Echo server: sends every text and binary message back unchanged, on any
 * path, with this module's own framing (not `Deno.upgradeWebSocket`), the
 * default limits and every extension this module supports.
 *
 * Run: `deno run --allow-net examples/echo_server.ts --host 127.0.0.1 --port 9001`
 *
 * @module
 */
import { serve, upgradeWebSocket } from "../mod.ts";
import { parseFlags } from "./_args.ts";

const { flags } = parseFlags(Deno.args);
const hostname = flags.get("host") ?? "127.0.0.1";
const port = Number(flags.get("port") ?? "9001");

const server = serve({
  hostname,
  port,
  onListen(addr) {
    console.log(`listening on ws://${addr.hostname}:${addr.port}`);
  },
}, (request) => {
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    return new Response("This is a WebSocket echo server.\n", { status: 426 });
  }
  // permessage-deflate on: clients that offer it (browsers, npm:ws, ours) get it.
  const { response, socket } = upgradeWebSocket(request, { perMessageDeflate: true });
  socket.binaryType = "arraybuffer";
  socket.onmessage = (event) => socket.send(event.data);
  return response;
});

Deno.addSignalListener("SIGINT", () => void server.shutdown());
Deno.addSignalListener("SIGTERM", () => void server.shutdown());
await server.finished;
