/**
 * A server for tests that need one in its own process (a low `ulimit -n`,
 * stderr to read): prints `{"port":N}` once listening; `/throw` throws.
 *
 * @module
 */
import { serve } from "../mod.ts";

serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: (addr) => console.log(JSON.stringify({ port: addr.port })),
}, (request) => {
  if (new URL(request.url).pathname === "/throw") throw new Error("handler failure for the test");
  return new Response("ok");
});
