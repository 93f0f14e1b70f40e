/**
 * Echo client: connects with this module's client and sends every message it
 * receives back, until the server closes. Exits 0 after a clean close, 1
 * otherwise.
 *
 * Run: `deno run --allow-net examples/echo_client.ts ws://127.0.0.1:9001/`
 *
 * @module
 */
import { WebSocket } from "../mod.ts";
import { parseFlags } from "./_args.ts";

const { positional } = parseFlags(Deno.args);
const url = positional[0];
if (url === undefined) {
  console.error("usage: echo_client.ts URL");
  Deno.exit(2);
}

const socket = new WebSocket(url);
socket.binaryType = "arraybuffer";
socket.onmessage = (event) => socket.send(event.data);
const clean = await new Promise<boolean>((resolve) => {
  socket.onclose = (event) => {
    console.log(`closed ${event.code} ${JSON.stringify(event.reason)} clean=${event.wasClean}`);
    resolve(event.wasClean);
  };
});
Deno.exit(clean ? 0 : 1);
