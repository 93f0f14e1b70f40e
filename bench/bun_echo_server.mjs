/**
 * Bun's native WebSocket echo server (`Bun.serve`, uWebSockets underneath),
 * for `bench/runtimes.ts`: every message goes back unchanged, no
 * permessage-deflate (Bun's default).
 *
 * Run: `bun bench/bun_echo_server.mjs --host 127.0.0.1 --port 0`
 * Prints `listening on ws://HOST:PORT`.
 */
function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i !== -1 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const server = Bun.serve({
  hostname: flag("host", "127.0.0.1"),
  port: Number(flag("port", "0")),
  fetch(request, server) {
    if (server.upgrade(request)) return undefined;
    return new Response("This is a WebSocket echo server.\n", { status: 426 });
  },
  websocket: {
    message(ws, message) {
      ws.send(message);
    },
  },
});
console.log(`listening on ws://${server.hostname}:${server.port}`);

const stop = () => {
  server.stop(true);
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
