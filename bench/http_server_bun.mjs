/**
 * Bun's native `Bun.serve` for `bench/http.ts`, with the handler of
 * `http_server.ts`: `GET /64k` answers a 64 KiB `Uint8Array` body (one shared
 * buffer), anything else `new Response("Hello, world")`.
 *
 *   bun bench/http_server_bun.mjs --host 127.0.0.1 --port 0
 *
 * Prints `listening on http://HOST:PORT`.
 */
/* global Bun */

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i !== -1 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const BODY = new Uint8Array(64 * 1024).map((_, i) => (i * 31 + 7) & 0xff);

const server = Bun.serve({
  hostname: flag("host", "127.0.0.1"),
  port: Number(flag("port", "0")),
  fetch(request) {
    return request.url.endsWith("/64k") ? new Response(BODY) : new Response("Hello, world");
  },
});
console.log(`listening on http://${server.hostname}:${server.port}`);
