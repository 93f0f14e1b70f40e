/**
 * `bench/bare_echo_server.ts` for Node and Bun, on `node:net`: the floor
 * under `bench/runtimes.ts`. It answers the opening handshake, then per
 * `data` event echoes the whole masked frames it holds (7- and 16-bit
 * lengths; a frame split across events waits for its rest) unmasked, in one
 * write. `--per-message buffer` adds a fresh `ArrayBuffer` per message,
 * `event` that buffer in a `MessageEvent` dispatched to one listener: what
 * a WHATWG API must pay per message on that runtime.
 *
 * Run: `bun bench/bare_echo_server.mjs --port 0 --per-message event`
 * (prints `listening on ws://HOST:PORT`).
 */
import net from "node:net";
import { createHash } from "node:crypto";
import process from "node:process";

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i !== -1 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const perMessage = flag("per-message", "none");
if (!["none", "buffer", "event"].includes(perMessage)) {
  throw new Error(`--per-message: none, buffer or event, not ${perMessage}`);
}

/** RFC 6455 §1.3. */
const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const target = new EventTarget();
let seen = 0;
target.addEventListener("message", (event) => {
  seen += event.data.byteLength;
});

/** Echo the whole masked frames of `input` into `output`: [reply length, bytes consumed], or null to close. */
function echoFrames(input, output) {
  let at = 0;
  let out = 0;
  for (;;) {
    if (input.length - at < 8) return [out, at];
    let length = input[at + 1] & 0x7f;
    let header = 2;
    if (length === 126) {
      length = (input[at + 2] << 8) | input[at + 3];
      header = 4;
    } else if (length === 127 || (input[at + 1] & 0x80) === 0) return null;
    const payload = at + header + 4;
    if (payload + length > input.length) return [out, at];
    output[out] = input[at];
    if (header === 2) output[out + 1] = length;
    else {
      output[out + 1] = 126;
      output[out + 2] = length >>> 8;
      output[out + 3] = length & 0xff;
    }
    out += header;
    const m0 = input[payload - 4], m1 = input[payload - 3];
    const m2 = input[payload - 2], m3 = input[payload - 1];
    let i = 0;
    for (; i + 4 <= length; i += 4) {
      output[out + i] = input[payload + i] ^ m0;
      output[out + i + 1] = input[payload + i + 1] ^ m1;
      output[out + i + 2] = input[payload + i + 2] ^ m2;
      output[out + i + 3] = input[payload + i + 3] ^ m3;
    }
    for (; i < length; i++) output[out + i] = input[payload + i] ^ input[payload - 4 + (i & 3)];
    if (perMessage !== "none") {
      const data = output.buffer.slice(output.byteOffset + out, output.byteOffset + out + length);
      if (perMessage === "event") target.dispatchEvent(new MessageEvent("message", { data }));
    }
    if ((input[at] & 0x0f) === 0x8) return null;
    out += length;
    at = payload + length;
  }
}

const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  let head = "";
  let kept = null;
  socket.on("error", () => {});
  socket.on("data", (chunk) => {
    if (head !== null) {
      head += chunk.toString("latin1");
      if (!head.endsWith("\r\n\r\n")) return;
      const key = /^sec-websocket-key:[ \t]*(\S+)/im.exec(head)?.[1];
      if (key === undefined) return socket.destroy();
      head = null;
      const accept = createHash("sha1").update(key + GUID).digest("base64");
      socket.write(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
      return;
    }
    const input = kept === null ? chunk : Buffer.concat([kept, chunk]);
    const output = Buffer.allocUnsafe(input.length);
    const result = echoFrames(input, output);
    if (result === null) return socket.destroy();
    const [out, at] = result;
    kept = at < input.length ? Buffer.from(input.subarray(at)) : null;
    if (out > 0) socket.write(output.subarray(0, out));
  });
});
server.listen(Number(flag("port", "0")), flag("host", "127.0.0.1"), () => {
  const { address, port } = server.address();
  console.log(`listening on ws://${address}:${port}`);
});
const stop = () => {
  server.close();
  if (seen < 0) console.log(seen);
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
