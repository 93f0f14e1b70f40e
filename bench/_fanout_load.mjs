/**
 * The fan-out load generator for `bench/fanout.ts`, the same for every
 * server: plain `node:net` sockets, handshakes and frames written and parsed
 * by hand, in one Node process outside the server.
 *
 * It opens `--subscribers` connections to `/sub` and one to `/pub`, waits
 * until every subscriber receives a probe, then publishes binary messages of
 * `--size` bytes (a send timestamp and a sequence number up front, then
 * English-like words, the same in every message) with `--window` messages
 * in flight: message i + window goes out once every subscriber has message
 * i. After `--warmup` ms it counts, for `--duration` ms, deliveries (a
 * message received by one subscriber) and the latency of each (receive time
 * − send time, one clock). Every message received is checked: its length
 * and its words (exit 1 on the first wrong one).
 *
 * With `--deflate`, subscribers offer permessage-deflate (RFC 7692), as a
 * browser does (`--deflate browser`: `permessage-deflate;
 * client_max_window_bits`) or also asking the server to reset its context
 * after each message (`--deflate no-context`: `…;
 * server_no_context_takeover`). Compressed messages are inflated with
 * node:zlib (raw inflate of the payload and 00 00 ff ff): with one inflater
 * per connection when the server keeps its context (takeover), with one
 * inflater reset after every message when it agreed not to. An inflate error
 * is fatal, as is a compressed frame on a connection that did not negotiate
 * the extension. The publisher never offers compression.
 *
 * Prints `measuring` when it starts counting, then one JSON line:
 * `{ deliveries, seconds, perSecond, p50, p99, cpu, published, completed,
 * compressed, wireBytes, extension }` (`completed`: messages every subscriber
 * received; `compressed`: deliveries that came compressed; `wireBytes`: mean
 * payload bytes per delivery on the wire; `extension`: the servers's
 * `Sec-WebSocket-Extensions`, the same for every subscriber).
 *
 *   node bench/_fanout_load.mjs --port 8080 --subscribers 1000 --size 64 [--deflate browser]
 */
import net from "node:net";
import zlib from "node:zlib";

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
const DEFLATE = flag("deflate", "off");
if (!["off", "browser", "no-context"].includes(DEFLATE)) {
  throw new Error(`--deflate: ${DEFLATE} is not off, browser or no-context`);
}
/** The sequence number of probes, which are not counted. */
const PROBE = 0xffffffff;
/** What follows the timestamp and sequence number in every message. */
const WORDS = words(SIZE - 12);

/** `length` bytes of English-like words (a fixed pseudo-random pick), compressible as text is. */
function words(length) {
  const vocabulary = (
    "the a to of and in is it you that he was for on are with as his they be at one have this " +
    "from or had by hot word but what some we can out other were all there when up use your how " +
    "said an each she which do their time if will way about many then them write would like so"
  ).split(" ");
  let text = "";
  let seed = 7;
  while (text.length < length) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    text += vocabulary[(seed >>> 16) % vocabulary.length] + " ";
  }
  return Buffer.from(text.slice(0, length));
}

/** Exit with `message`: the run measured something other than the server doing its work. */
function fail(message) {
  console.error(message);
  process.exit(1);
}

// ------------------------------------------------------------- inflating

const SYNC_FLUSH = zlib.constants.Z_SYNC_FLUSH;
/** RFC 7692 §7.2.2: the sender removed these 4 bytes; the receiver puts them back. */
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/**
 * A raw inflater that keeps its context between messages, driven through the
 * stream's native handle (`_handle.writeSync`, what node:zlib's own
 * synchronous functions use): `inflateRawSync` starts a new stream each
 * call, and the streams' public API is asynchronous.
 */
function inflater() {
  const stream = zlib.createInflateRaw({ windowBits: 15 });
  const handle = stream._handle;
  const state = stream._writeState;
  let error;
  handle.onerror = (message) => void (error = message);
  const out = Buffer.allocUnsafe(16 * 1024);
  return {
    inflate(payload) {
      const input = Buffer.concat([payload, TAIL]);
      const chunks = [];
      let offset = 0;
      let length = input.length;
      for (;;) {
        handle.writeSync(SYNC_FLUSH, input, offset, length, out, 0, out.length);
        if (error !== undefined) fail(`inflate failed: ${error}`);
        const [availOut, availIn] = state;
        chunks.push(Buffer.from(out.subarray(0, out.length - availOut)));
        if (availOut !== 0) break;
        offset += length - availIn;
        length = availIn;
      }
      return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    },
    reset: () => handle.reset(),
  };
}

/** The one inflater of connections whose server agreed not to keep a context. */
let sharedInflater;

/** How a subscriber's compressed messages are inflated, from the server's answer. */
function inflaterFor(extension) {
  const params = extension.split(";").map((part) => part.trim().split("=")[0].toLowerCase());
  if (params[0] !== "permessage-deflate") return undefined;
  if (!params.includes("server_no_context_takeover")) return inflater();
  sharedInflater ??= inflater();
  return {
    inflate(payload) {
      const result = sharedInflater.inflate(payload);
      sharedInflater.reset();
      return result;
    },
  };
}

/** Open a WebSocket by hand; resolves with the socket and the bytes after the 101. */
function open(path, offer = "") {
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
      const extension = /\r\nsec-websocket-extensions:[ \t]*([^\r]*)/i
        .exec(head.subarray(0, end + 2).toString())?.[1].trim() ?? "";
      resolve({ socket, rest: head.subarray(end + 4), extension });
    };
    socket.on("data", onData);
    socket.on("error", reject);
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${PORT}\r\nUpgrade: websocket\r\n` +
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
        "Sec-WebSocket-Version: 13\r\n" +
        (offer === "" ? "" : `Sec-WebSocket-Extensions: ${offer}\r\n`) +
        "\r\n",
    );
  });
}

// ------------------------------------------------------------------ state

let measuring = false;
let deliveries = 0;
let compressed = 0;
let wireBytes = 0;
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

function delivered(payload, subscriber, wire, inflated) {
  const now = performance.now();
  if (payload.length !== SIZE || !WORDS.equals(payload.subarray(12))) {
    fail(
      `subscriber ${subscriber} got a wrong message (${payload.length} bytes` +
        `${inflated ? ", inflated" : ""}): ${payload.subarray(12, 60).toString()}`,
    );
  }
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
    wireBytes += wire;
    if (inflated) compressed++;
    latencies.push(now - payload.readDoubleLE(0));
  }
  const count = (counts.get(seq) ?? 0) + 1;
  if (count === SUBSCRIBERS) {
    counts.delete(seq);
    completed++;
    onComplete();
  } else counts.set(seq, count);
}

/**
 * Parse server frames (unmasked) from one subscriber's stream; `inflater`
 * when it negotiated permessage-deflate. Fragmented messages are refused
 * (none of the servers sends them).
 */
function reader(subscriber, inflater) {
  let buffered = Buffer.alloc(0);
  return (data) => {
    buffered = buffered.length === 0 ? data : Buffer.concat([buffered, data]);
    let offset = 0;
    while (buffered.length - offset >= 2) {
      const first = buffered[offset];
      const opcode = first & 0x0f;
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
      if ((first & 0x80) === 0 || opcode === 0) fail(`subscriber ${subscriber} got a fragment`);
      const compressedFrame = (first & 0x40) !== 0;
      if (compressedFrame && inflater === undefined) {
        fail(`subscriber ${subscriber} got a compressed frame without permessage-deflate`);
      }
      if (opcode === 2) {
        const payload = buffered.subarray(offset + header, offset + header + length);
        if (compressedFrame) delivered(inflater.inflate(payload), subscriber, length, true);
        else delivered(payload, subscriber, length, false);
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
  WORDS.copy(payload, 12);
  return out;
}

// ------------------------------------------------------------------- run

const OFFER = DEFLATE === "off" ? "" : "permessage-deflate; client_max_window_bits" +
  (DEFLATE === "no-context" ? "; server_no_context_takeover" : "");
const subscribers = [];
for (let i = 0; i < SUBSCRIBERS; i += 50) {
  const batch = [];
  for (let j = i; j < Math.min(i + 50, SUBSCRIBERS); j++) batch.push(open("/sub", OFFER));
  subscribers.push(...await Promise.all(batch));
}
const extension = subscribers[0]?.extension ?? "";
subscribers.forEach(({ socket, rest, extension: answer }, i) => {
  if (answer !== extension) fail(`subscribers got different extensions: ${extension}, ${answer}`);
  const read = reader(i, inflaterFor(answer));
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
  compressed,
  wireBytes: wireBytes / deliveries,
  extension,
}));
process.exit(0);
