/**
 * Fan-out server on Bun, for `bench/fanout.ts`: `/sub` sockets subscribe to
 * topic `t` and every message from `/pub` goes out with `server.publish`
 * (uWebSockets frames it once for all subscribers).
 *
 * With `--deflate shared`, permessage-deflate with uWebSockets' shared
 * compressor (what `perMessageDeflate: true` gives: no context takeover,
 * answered whatever the client offers); with `--deflate dedicated`, one
 * compressor per socket that keeps its context (unless the client asks for
 * `server_no_context_takeover`). Messages are published with `compress`:
 * uWebSockets compresses each for each subscriber (in `WebSocket::send`),
 * with no size threshold.
 *
 * Run: `bun bench/fanout_bun.ts --port 0` (prints `listening on PORT`).
 */
// deno-lint-ignore-file no-explicit-any
declare const Bun: any;
declare const process: { argv: string[] };

const i = process.argv.indexOf("--port");
const port = i === -1 ? 0 : Number(process.argv[i + 1]);
const d = process.argv.indexOf("--deflate");
const deflate = d === -1 ? "off" : process.argv[d + 1];
if (!["off", "shared", "dedicated"].includes(deflate!)) {
  throw new Error(`--deflate: ${deflate} is not off, shared or dedicated`);
}
const compress = deflate !== "off";

const server = Bun.serve({
  hostname: "127.0.0.1",
  port,
  fetch(request: Request, server: any) {
    const role = new URL(request.url).pathname;
    if (server.upgrade(request, { data: { role } })) return undefined;
    return new Response("WebSocket only\n", { status: 426 });
  },
  websocket: {
    perMessageDeflate: compress ? { compress: deflate, decompress: false } : false,
    open(ws: any) {
      if (ws.data.role === "/sub") ws.subscribe("t");
    },
    message(_ws: any, message: unknown) {
      server.publish("t", message, compress);
    },
  },
});
console.log(`listening on ${server.port}`);
