/**
 * Fan-out server on this module, for `bench/fanout.ts`: sockets on `/sub`
 * join topic `t`, and every message from `/pub` is published to it. With
 * `--impl pubsub` (default) through `PubSub` (framed once for all members),
 * with `--impl broadcaster` through `Broadcaster` (a `send()` per member).
 *
 * With `--deflate no-context`, sockets accept permessage-deflate without
 * context takeover on the server side (`serverNoContextTakeover: true`,
 * whatever the client offers): `PubSub` compresses each message once for
 * all members. With `--deflate takeover`, they accept what the client offers
 * (a browser's offer keeps the context): each member compresses each
 * message on its own. Both compress every message, however small
 * (thresholds 0; the defaults leave messages under 1 KiB uncompressed).
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
const deflate = flags.get("deflate") ?? "off";
const perMessageDeflate = deflate === "no-context"
  ? { serverNoContextTakeover: true, threshold: 0 }
  : deflate === "takeover"
  ? { threshold: 0 }
  : undefined;
if (deflate !== "off" && perMessageDeflate === undefined) {
  throw new Error(`--deflate: ${deflate} is not off, no-context or takeover`);
}
const topics = impl === "broadcaster"
  ? new Broadcaster()
  : new PubSub({ compression: { threshold: 0 } });

const server = serve({
  hostname: "127.0.0.1",
  port,
  onListen: (addr) => console.log(`listening on ${addr.port}`),
}, (request) => {
  const { response, socket } = upgradeWebSocket(request, { perMessageDeflate });
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
