/**
 * Fan-out server on Node with `ws` (8.18.3), for `bench/fanout.ts`: every
 * message from `/pub` is sent to each `/sub` socket in a loop. `ws` is
 * imported from `bench/.node`, where the benchmark installs it.
 *
 * With `--deflate on`, permessage-deflate as `ws` does it by default (it keeps
 * its context unless the client asks for `server_no_context_takeover`),
 * except that every message is compressed (`threshold: 0`; its default
 * leaves messages under 1 KiB alone). Each `send()` compresses on its own.
 *
 *   node bench/fanout_ws.mjs --port 0 [--deflate on]   (prints `listening on PORT`)
 */
import { WebSocketServer } from "./.node/node_modules/ws/wrapper.mjs";

const i = process.argv.indexOf("--port");
const port = i === -1 ? 0 : Number(process.argv[i + 1]);
const deflate = process.argv.includes("--deflate") &&
  process.argv.at(process.argv.indexOf("--deflate") + 1) === "on";
const subscribers = new Set();

const server = new WebSocketServer({
  host: "127.0.0.1",
  port,
  perMessageDeflate: deflate ? { threshold: 0 } : false,
});
server.on("listening", () => console.log(`listening on ${server.address().port}`));
server.on("connection", (socket, request) => {
  socket.on("error", () => {});
  if (request.url === "/sub") {
    subscribers.add(socket);
    socket.on("close", () => subscribers.delete(socket));
  } else {
    socket.on("message", (data) => {
      for (const subscriber of subscribers) subscriber.send(data, { binary: true });
    });
  }
});
