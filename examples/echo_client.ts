/**
 * Echo client: connects with this module's client and sends every message it
 * receives back, until the server closes. Given several URLs, it runs them one
 * after the other (the conformance suite drives it that way, one case per
 * URL). It says what it is doing on each connection, and gives up on one
 * whose opening handshake gets no answer within `--timeout` seconds (10).
 * Exits 0 when every connection ended with a clean close, 1 otherwise.
 *
 * Run: `deno run --allow-net examples/echo_client.ts [--timeout S] ws://127.0.0.1:9001/ [URL...]`
 *
 * @module
 */
import { WebSocket } from "../mod.ts";
import { parseFlags } from "./_args.ts";

const { flags, positional: urls } = parseFlags(Deno.args);
const timeout = Number(flags.get("timeout") ?? 10);
if (urls.length === 0 || !(timeout > 0)) {
  console.error("usage: echo_client.ts [--timeout SECONDS] URL [URL...]");
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
  console.log(`connecting to ${url}`);
  socket.binaryType = "arraybuffer";
  let echoed = 0;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    socket.close();
  }, timeout * 1000);
  socket.onopen = () => {
    clearTimeout(timer);
    console.log("connected: echoing every message back until the server closes");
  };
  socket.onmessage = (event) => {
    socket.send(event.data);
    echoed++;
  };
  return new Promise<boolean>((resolve) => {
    socket.onclose = (event) => {
      clearTimeout(timer);
      if (timedOut) {
        console.log(`${url}: no answer to the opening handshake within ${timeout} s`);
      } else {
        console.log(
          `closed ${event.code} ${JSON.stringify(event.reason)} clean=${event.wasClean} ` +
            `after echoing ${echoed} message(s)`,
        );
      }
      resolve(event.wasClean);
    };
  });
}

let allClean = true;
for (const url of urls) {
  if (!(await echo(url))) allClean = false;
}
Deno.exit(allClean ? 0 : 1);
