/**
 * Echo server on Node with `ws` (8.18.3), for `bench/e2e.ts`. Sends every
 * message back unchanged. `ws` is imported by path from `bench/.node`, where
 * `bench/e2e.ts` installs it:
 *
 *   npm install --prefix bench/.node ws@8.18.3 --no-save --no-package-lock
 *   node bench/ws_echo_server.mjs --host 127.0.0.1 --port 0
 *
 * Prints `listening on ws://HOST:PORT`.
 */
import { WebSocketServer } from "./.node/node_modules/ws/wrapper.mjs";

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i !== -1 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const host = flag("host", "127.0.0.1");
const port = Number(flag("port", "0"));

// ws 8 defaults: no permessage-deflate on the server (`--deflate` turns on
// its defaults, as `bench/compression.ts` does), 100 MiB max payload.
const perMessageDeflate = process.argv.includes("--deflate");
const server = new WebSocketServer({ host, port, perMessageDeflate });
server.on("listening", () => {
  const addr = server.address();
  console.log(`listening on ws://${addr.address}:${addr.port}`);
});
server.on("connection", (socket) => {
  socket.on("message", (data, isBinary) => socket.send(data, { binary: isBinary }));
  socket.on("error", () => {});
});

const stop = () => server.close(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
