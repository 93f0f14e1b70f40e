/**
 * The `node:http` server of `bench/http.ts`, with the handler of
 * `http_server.ts`: `GET /64k` answers a 64 KiB body (one shared buffer),
 * anything else "Hello, world". Node's defaults otherwise (keep-alive,
 * pipelined requests answered in order).
 *
 *   node bench/http_server_node.mjs --host 127.0.0.1 --port 0
 *
 * Prints `listening on http://HOST:PORT`.
 */
import http from "node:http";

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i !== -1 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const host = flag("host", "127.0.0.1");
const port = Number(flag("port", "0"));

const BODY = new Uint8Array(64 * 1024).map((_, i) => (i * 31 + 7) & 0xff);
const HELLO = "Hello, world";
// The headers `new Response(...)` implies on the other servers.
const HELLO_HEADERS = {
  "content-type": "text/plain;charset=UTF-8",
  "content-length": String(Buffer.byteLength(HELLO)),
};
const BODY_HEADERS = { "content-length": String(BODY.length) };

const server = http.createServer((request, response) => {
  if (request.url.endsWith("/64k")) {
    response.writeHead(200, BODY_HEADERS);
    response.end(BODY);
  } else {
    response.writeHead(200, HELLO_HEADERS);
    response.end(HELLO);
  }
});
server.listen(port, host, () => {
  const addr = server.address();
  console.log(`listening on http://${addr.address}:${addr.port}`);
});
