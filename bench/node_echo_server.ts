/**
 * This module's echo server on Node or Bun (`serve` of `../node.ts`, on
 * `node:http`), for `bench/runtimes.ts`: every message goes back unchanged,
 * with the default limits and no permessage-deflate, like `ws` (8) and
 * Bun's native server. Bun runs this file as it is; Node runs a
 * `deno bundle` of it. Prints `listening on ws://HOST:PORT`.
 *
 * Run: `bun bench/node_echo_server.ts --host 127.0.0.1 --port 0`
 *
 * @module
 */
import process from "node:process";
import { serve, upgradeWebSocket } from "../node.ts";
import { parseFlags } from "../examples/_args.ts";

const { flags } = parseFlags(process.argv.slice(2));
const server = serve({
  hostname: flags.get("host") ?? "127.0.0.1",
  port: Number(flags.get("port") ?? "0"),
  onListen: (addr) => console.log(`listening on ws://${addr.hostname}:${addr.port}`),
}, (request) => {
  const { response, socket } = upgradeWebSocket(request);
  socket.binaryType = "arraybuffer";
  socket.onmessage = (event) => socket.send(event.data);
  return response;
});
process.on("SIGINT", () => void server.shutdown());
process.on("SIGTERM", () => void server.shutdown());
await server.finished;
process.exit(0);
