/**
 * Fan-out server on this module, for `bench/fanout.ts`: sockets on `/sub`
 * join topic `t`, and every message from `/pub` is published to it. With
 * `--impl pubsub` (default) through `PubSub` (framed once for all members),
 * with `--impl broadcaster` through `Broadcaster` (a `send()` per member).
 *
 * Run: `deno run --allow-net=127.0.0.1 bench/fanout_server.ts --port 0`
 * (prints `listening on PORT`).
 *
 * @module
 */
import { parseFlags } from "../examples/_args.ts";
import { Broadcaster, serve, upgradeWebSocket } from "../mod.ts";
import { PubSub } from "../pubsub/mod.ts";

const { flags } = parseFlags(Deno.args);
const port = Number(flags.get("port") ?? "0");
const impl = flags.get("impl") ?? "pubsub";
const topics = impl === "broadcaster" ? new Broadcaster() : new PubSub();

const server = serve({
  hostname: "127.0.0.1",
  port,
  onListen: (addr) => console.log(`listening on ${addr.port}`),
}, (request) => {
  const { response, socket } = upgradeWebSocket(request);
  socket.binaryType = "arraybuffer";
  if (new URL(request.url).pathname === "/sub") {
    socket.onopen = () => void topics.subscribe(socket, "t");
  } else {
    socket.onmessage = (event) => void topics.publish("t", new Uint8Array(event.data));
  }
  return response;
});

Deno.addSignalListener("SIGTERM", () => void server.shutdown());
await server.finished;
