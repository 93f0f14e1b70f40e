/**
 * The HTTP server under test in `bench/http.ts`, on Deno: this module's
 * `serve` (`--server ours`, from `server/serve.ts`) or `Deno.serve`
 * (`--server deno`). The same handler on both, and on the Node and Bun
 * servers beside it (`http_server_node.mjs`, `http_server_bun.mjs`):
 *
 * - `GET /64k`: a 64 KiB `Uint8Array` body (one buffer, shared by every
 *   response);
 * - anything else: `new Response("Hello, world")`.
 *
 * Prints `listening on http://HOST:PORT`, then serves until killed.
 *
 * Run: `deno run --allow-net=127.0.0.1 bench/http_server.ts --server ours --port 0`
 *
 * @module
 */
import { parseFlags } from "../examples/_args.ts";
import { serve } from "../server/serve.ts";

const { flags } = parseFlags(Deno.args);
const which = flags.get("server") ?? "ours";
const hostname = flags.get("host") ?? "127.0.0.1";
const port = Number(flags.get("port") ?? "0");

/** The 64 KiB body: bytes that are not all alike, so that nothing compresses or dedupes them. */
const BODY = new Uint8Array(64 * 1024).map((_, i) => (i * 31 + 7) & 0xff);

function handler(request: Request): Response {
  return request.url.endsWith("/64k") ? new Response(BODY) : new Response("Hello, world");
}

const onListen = (addr: Deno.NetAddr) =>
  console.log(`listening on http://${addr.hostname}:${addr.port}`);
const onError = (error: unknown) => {
  console.error(error);
  return new Response("Internal Server Error", { status: 500 });
};

if (which === "ours") {
  serve({ hostname, port, onListen, onError }, handler);
} else if (which === "deno") {
  Deno.serve({ hostname, port, onListen, onError }, handler);
} else {
  throw new Error(`--server: ours or deno, not ${which}`);
}
