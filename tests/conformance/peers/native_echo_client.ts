/**
 * Echo client on Deno's native `WebSocket`, a peer of the conformance suite:
 * connects to each URL in turn, sends every message back unchanged, and moves
 * on when the connection closes.
 *
 * Run: `deno run --allow-net=127.0.0.1 tests/conformance/peers/native_echo_client.ts URL...`
 *
 * @module
 */

async function echo(url: string): Promise<boolean> {
  let socket: WebSocket;
  try {
    socket = new WebSocket(url);
  } catch (error) {
    console.log(`${url}: ${(error as Error).message}`);
    return false;
  }
  socket.binaryType = "arraybuffer";
  socket.onmessage = (event) => socket.send(event.data);
  socket.onerror = () => {};
  return await new Promise<boolean>((resolve) => {
    socket.onclose = (event) => {
      console.log(`closed ${event.code} ${JSON.stringify(event.reason)} clean=${event.wasClean}`);
      resolve(event.wasClean);
    };
  });
}

let allClean = true;
for (const url of Deno.args) {
  if (!(await echo(url))) allClean = false;
}
Deno.exit(allClean ? 0 : 1);
