/**
 * The load generator of `bench/handshake.ts`: WebSocket handshake + close
 * cycles, written independently of this module with plain Node `net` and
 * hand-made frames. Each of `--connections` loops repeats: connect, send the
 * upgrade request, read the 101 (its `Sec-WebSocket-Accept` is checked on
 * the first cycle of each loop), send a masked close frame (1000), read the
 * close echo, wait for the server to close the TCP connection (RFC 6455
 * §7.1.1: the server closes first), then start over.
 *
 * Prints one JSON line: `{ cycles, seconds, errors, serverCpu, clientCpu }`
 * (cycles counted after `--warmup` ms, for `--duration` ms; `serverCpu`
 * in seconds from /proc/PID/stat of `--server-pid`, or null).
 *
 * Run: `node bench/_handshake_load.mjs --port PORT --connections 16
 * --warmup 500 --duration 2000 --server-pid PID`
 */
import { createHash, randomBytes } from "node:crypto";
import * as net from "node:net";
import { processCpuSeconds } from "./_proc_cpu.mjs";

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i !== -1 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const HOST = flag("host", "127.0.0.1");
const PORT = Number(flag("port", "0"));
const CONNECTIONS = Number(flag("connections", "1"));
const WARMUP_MS = Number(flag("warmup", "500"));
const DURATION_MS = Number(flag("duration", "2000"));
const SERVER_PID = flag("server-pid", "");
/** A server that has not closed this long after the close echo: the client closes, and counts it. */
const CLOSE_WAIT_MS = 2000;

/** A close frame (1000), masked as a client must. */
function closeFrame() {
  const mask = randomBytes(4);
  const frame = Buffer.from([0x88, 0x82, ...mask, 0x03, 0xe8]);
  frame[6] ^= mask[0];
  frame[7] ^= mask[1];
  return frame;
}

const CLOSE_ECHO = Buffer.from([0x88, 0x02, 0x03, 0xe8]);
const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

let counting = false;
let stopping = false;
let cycles = 0;
let errors = 0;
let clientClosed = 0;
let firstError = "";

/** One handshake + close cycle; resolves once the TCP connection is gone. */
function cycle(check) {
  return new Promise((resolve) => {
    const key = randomBytes(16).toString("base64");
    const socket = net.connect({ host: HOST, port: PORT, noDelay: true });
    let phase = "head";
    let buffered = Buffer.alloc(0);
    let failed = false;
    let timer;
    const fail = (why) => {
      if (failed) return;
      failed = true;
      errors++;
      if (firstError === "") firstError = why;
      socket.destroy();
    };
    socket.on("connect", () => {
      socket.write(
        `GET / HTTP/1.1\r\nHost: ${HOST}:${PORT}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    socket.on("data", (chunk) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      if (phase === "head") {
        const end = buffered.indexOf("\r\n\r\n");
        if (end === -1) return;
        const head = buffered.subarray(0, end).toString("latin1");
        if (!head.startsWith("HTTP/1.1 101")) return fail(`not a 101: ${head.split("\r\n")[0]}`);
        if (check) {
          const accept = createHash("sha1").update(key + GUID).digest("base64");
          if (
            !new RegExp(`^sec-websocket-accept: *${accept.replace(/[+/]/g, "\\$&")}`, "im")
              .test(head)
          ) {
            return fail(`wrong or missing Sec-WebSocket-Accept:\n${head}`);
          }
        }
        buffered = buffered.subarray(end + 4);
        phase = "close";
        socket.write(closeFrame());
      }
      if (phase === "close") {
        if (buffered.length < 4) return;
        if (!buffered.subarray(0, 4).equals(CLOSE_ECHO)) {
          return fail(`not a close echo: ${buffered.subarray(0, 8).toString("hex")}`);
        }
        phase = "end";
        buffered = buffered.subarray(4);
        timer = setTimeout(() => {
          clientClosed++;
          socket.destroy();
        }, CLOSE_WAIT_MS);
      } else if (phase === "end" && buffered.length > 0) {
        fail(`bytes after the close echo: ${buffered.toString("hex")}`);
      }
    });
    socket.on("end", () => socket.end());
    socket.on("error", (error) => fail(error.message));
    socket.on("close", () => {
      clearTimeout(timer);
      if (!failed && phase !== "end") {
        errors++;
        if (firstError === "") firstError = `closed in phase ${phase}`;
      } else if (!failed && counting) {
        cycles++;
      }
      resolve();
    });
  });
}

async function loop() {
  let first = true;
  while (!stopping) {
    await cycle(first);
    first = false;
  }
}

const loops = [];
for (let i = 0; i < CONNECTIONS; i++) loops.push(loop());
await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
counting = true;
const cpuStart = SERVER_PID === "" ? null : processCpuSeconds(SERVER_PID);
const clientStart = process.cpuUsage();
const start = performance.now();
await new Promise((resolve) => setTimeout(resolve, DURATION_MS));
counting = false;
const seconds = (performance.now() - start) / 1000;
const cpuEnd = SERVER_PID === "" ? null : processCpuSeconds(SERVER_PID);
const client = process.cpuUsage(clientStart);
stopping = true;
await Promise.all(loops);
console.log(JSON.stringify({
  cycles,
  seconds,
  errors,
  clientClosed,
  firstError,
  serverCpu: cpuStart === null || cpuEnd === null ? null : cpuEnd - cpuStart,
  clientCpu: (client.user + client.system) / 1e6,
}));
