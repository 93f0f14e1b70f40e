/**
 * The fan-out load generator for `bench/fanout.ts`, the same for every
 * server: plain `node:net` sockets, handshakes and frames written and parsed
 * by hand, in one Node process outside the server.
 *
 * It opens `--subscribers` connections to `/sub` and one to `/pub`, waits
 * until every subscriber receives a probe, then publishes binary messages of
 * `--size` bytes (a send timestamp and a sequence number up front) with
 * `--window` messages in flight: message i + window goes out once every
 * subscriber has message i. After `--warmup` ms it counts, for `--duration`
 * ms, deliveries (a message received by one subscriber) and the latency of
 * each (receive time − send time, one clock). Prints `measuring` when it starts
 * counting, then one JSON line:
 * `{ deliveries, seconds, perSecond, p50, p99, cpu, published, completed }`
 * (`completed`: messages every subscriber received).
 *
 *   node bench/_fanout_load.mjs --port 8080 --subscribers 1000 --size 64
 */
import net from "node:net";

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i !== -1 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const PORT = Number(flag("port", "8080"));
const SUBSCRIBERS = Number(flag("subscribers", "1000"));
const SIZE = Math.max(12, Number(flag("size", "64")));
const WINDOW = Number(flag("window", "32"));
const WARMUP = Number(flag("warmup", "1000"));
const DURATION = Number(flag("duration", "3000"));
/** The sequence number of probes, which are not counted. */
const PROBE = 0xffffffff;

/** Open a WebSocket by hand; resolves with the socket and the bytes after the 101. */
function open(path) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port: PORT });
    socket.setNoDelay(true);
    let head = Buffer.alloc(0);
    const onData = (data) => {
      head = Buffer.concat([head, data]);
      const end = head.indexOf("\r\n\r\n");
      if (end === -1) return;
      socket.off("data", onData);
      if (!head.subarray(0, 12).toString().startsWith("HTTP/1.1 101")) {
        reject(new Error(`no 101 for ${path}: ${head.subarray(0, end).toString()}`));
        return;
      }
      resolve({ socket, rest: head.subarray(end + 4) });
    };
    socket.on("data", onData);
    socket.on("error", reject);
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${PORT}\r\nUpgrade: websocket\r\n` +
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
        "Sec-WebSocket-Version: 13\r\n\r\n",
    );
  });
}

// ------------------------------------------------------------------ state

let measuring = false;
let deliveries = 0;
const latencies = [];
/** Deliveries per message still in flight, by sequence number. */
const counts = new Map();
let probesSeen = 0;
const probed = new Set();
let nextSeq = 0;
let published = 0;
/** Messages every subscriber received. */
let completed = 0;
let onComplete = () => {};

function delivered(payload, subscriber) {
  const now = performance.now();
  const seq = payload.readUInt32LE(8);
  if (seq === PROBE) {
    if (!probed.has(subscriber)) {
      probed.add(subscriber);
      probesSeen++;
    }
    return;
  }
  if (measuring) {
    deliveries++;
    latencies.push(now - payload.readDoubleLE(0));
  }
  const count = (counts.get(seq) ?? 0) + 1;
  if (count === SUBSCRIBERS) {
    counts.delete(seq);
    completed++;
    onComplete();
  } else counts.set(seq, count);
}

/** Parse server frames (unmasked) from one subscriber's stream. */
function reader(subscriber) {
  let buffered = Buffer.alloc(0);
  return (data) => {
    buffered = buffered.length === 0 ? data : Buffer.concat([buffered, data]);
    let offset = 0;
    while (buffered.length - offset >= 2) {
      const opcode = buffered[offset] & 0x0f;
      let length = buffered[offset + 1] & 0x7f;
      let header = 2;
      if (length === 126) {
        if (buffered.length - offset < 4) break;
        length = buffered.readUInt16BE(offset + 2);
        header = 4;
      } else if (length === 127) {
        if (buffered.length - offset < 10) break;
        length = Number(buffered.readBigUInt64BE(offset + 2));
        header = 10;
      }
      if (buffered.length - offset < header + length) break;
      if (opcode === 2) {
        delivered(buffered.subarray(offset + header, offset + header + length), subscriber);
      }
      offset += header + length;
    }
    buffered = offset === buffered.length ? Buffer.alloc(0) : buffered.subarray(offset);
  };
}

/** A masked binary frame (zero mask key: the payload is sent as it is). */
function frame(seq) {
  const header = SIZE < 126 ? 2 : 4;
  const out = Buffer.alloc(header + 4 + SIZE);
  out[0] = 0x82;
  if (SIZE < 126) out[1] = 0x80 | SIZE;
  else {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(SIZE, 2);
  }
  const payload = out.subarray(header + 4);
  payload.writeDoubleLE(performance.now(), 0);
  payload.writeUInt32LE(seq, 8);
  return out;
}

// ------------------------------------------------------------------- run

const subscribers = [];
for (let i = 0; i < SUBSCRIBERS; i += 50) {
  const batch = [];
  for (let j = i; j < Math.min(i + 50, SUBSCRIBERS); j++) batch.push(open("/sub"));
  subscribers.push(...await Promise.all(batch));
}
subscribers.forEach(({ socket, rest }, i) => {
  const read = reader(i);
  socket.on("data", read);
  socket.on("error", () => {});
  if (rest.length > 0) read(rest);
});
const publisher = (await open("/pub")).socket;
publisher.on("error", () => {});
publisher.on("data", () => {});

// Every subscriber joined the topic once it gets a probe.
const ready = Date.now() + 30_000;
while (probesSeen < SUBSCRIBERS) {
  if (Date.now() > ready) {
    throw new Error(`only ${probesSeen} of ${SUBSCRIBERS} subscribers joined`);
  }
  publisher.write(frame(PROBE));
  await new Promise((resolve) => setTimeout(resolve, 100));
}
await new Promise((resolve) => setTimeout(resolve, 200));

let lastProgress = Date.now();
const send = () => {
  publisher.write(frame(nextSeq++));
  published++;
};
onComplete = () => {
  lastProgress = Date.now();
  send();
};
for (let i = 0; i < WINDOW; i++) send();
const stalled = setInterval(() => {
  if (Date.now() - lastProgress > 10_000) {
    console.error(`stalled: ${counts.size} messages incomplete`);
    process.exit(1);
  }
}, 1000);

await new Promise((resolve) => setTimeout(resolve, WARMUP));
const cpuBefore = process.cpuUsage();
const start = performance.now();
measuring = true;
// The runner samples the server's CPU time between this line and the result.
console.log("measuring");
await new Promise((resolve) => setTimeout(resolve, DURATION));
measuring = false;
const seconds = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpuBefore);
clearInterval(stalled);
latencies.sort((a, b) => a - b);
const pick = (q) =>
  latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
console.log(JSON.stringify({
  deliveries,
  seconds,
  perSecond: deliveries / seconds,
  p50: pick(0.5),
  p99: pick(0.99),
  cpu: (cpu.user + cpu.system) / 1e6 / seconds,
  published,
  completed,
}));
process.exit(0);
