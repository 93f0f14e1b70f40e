/**
 * Echo client: connects with this module's client and sends every message it
 * receives back, until the server closes. Given several URLs, it runs them one
 * after the other (the conformance suite drives it that way, one case per
 * URL). Exits 0 when every connection ended with a clean close, 1 otherwise.
 *
 * Run: `deno run --allow-net examples/echo_client.ts ws://127.0.0.1:9001/ [URL...]`
 *
 * @module
 */
import { WebSocket } from "../mod.ts";
import { parseFlags } from "./_args.ts";

const { positional: urls } = parseFlags(Deno.args);
if (urls.length === 0) {
  console.error("usage: echo_client.ts URL [URL...]");
  Deno.exit(2);
}

/** Echoes on one connection; resolves with `wasClean` when it closes. */
function echo(url: string): Promise<boolean> {
  let socket: WebSocket;
  try {
    socket = new WebSocket(url);
  } catch (error) {
    console.log(`${url}: ${(error as Error).message}`);
    return Promise.resolve(false);
  }
  socket.binaryType = "arraybuffer";
  socket.onmessage = (event) => socket.send(event.data);
  return new Promise<boolean>((resolve) => {
    socket.onclose = (event) => {
      console.log(`closed ${event.code} ${JSON.stringify(event.reason)} clean=${event.wasClean}`);
      resolve(event.wasClean);
    };
  });
}

let allClean = true;
for (const url of urls) {
  if (!(await echo(url))) allClean = false;
}
Deno.exit(allClean ? 0 : 1);
