/**
 * Echo client on Node with `ws` (8.18.3, default options: it offers
 * permessage-deflate), a peer of the conformance suite: connects to each URL
 * in turn, sends every message back unchanged, and moves on when the
 * connection closes. `ws` is imported from `bench/.node`, where the suite
 * installs it (like `bench/e2e.ts`).
 *
 * Run: `node tests/conformance/peers/ws_echo_client.mjs URL...`
 */
import { WebSocket } from "../../../bench/.node/node_modules/ws/wrapper.mjs";

function echo(url) {
  return new Promise((resolve) => {
    let socket;
    try {
      socket = new WebSocket(url);
    } catch (error) {
      console.log(`${url}: ${error.message}`);
      resolve(false);
      return;
    }
    socket.on("message", (data, isBinary) => socket.send(data, { binary: isBinary }));
    socket.on("error", () => {});
    socket.on("close", (code, reason) => {
      console.log(`closed ${code} ${JSON.stringify(reason.toString())}`);
      resolve(code === 1000);
    });
  });
}

let allClean = true;
for (const url of process.argv.slice(2)) {
  if (!(await echo(url))) allClean = false;
}
process.exit(allClean ? 0 : 1);
