/**
 * A server whose application never reads, for `node_flood_test.ts`: the
 * Node `serve` (bundled for Node, run as it is by Bun) with a
 * `WebSocketStream` whose `readable` nobody reads. Prints
 * `listening on PORT`. `GET /memory` answers, after a full garbage
 * collection, with `arrayBuffers` (the bytes of every `ArrayBuffer`, where
 * received chunks live) and `rss`. Run Node with `--expose-gc`.
 *
 * @module
 */
import process from "node:process";
import { serve, upgradeWebSocketStream, type WebSocketStream } from "../node.ts";

const runtime = globalThis as { gc?: () => void; Bun?: { gc(force: boolean): void } };
if (runtime.gc === undefined && runtime.Bun === undefined) {
  throw new Error("run node with --expose-gc");
}
const gc = runtime.gc ?? (() => runtime.Bun!.gc(true));

/** Kept, so that nothing is collected; their readables are never read. */
const sockets: WebSocketStream[] = [];
serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: (addr) => console.log(`listening on ${addr.port}`),
}, (request) => {
  if (new URL(request.url).pathname === "/memory") {
    gc();
    const { arrayBuffers, rss } = process.memoryUsage();
    return Response.json({ arrayBuffers, rss });
  }
  const { response, socket } = upgradeWebSocketStream(request);
  sockets.push(socket);
  return response;
});
