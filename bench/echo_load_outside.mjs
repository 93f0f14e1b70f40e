/**
 * The echo benchmark's outside load generator, for `bench/e2e.ts
 * --generators outside`: plain Node `net`, no WebSocket library and nothing
 * of this project's, written apart from the lean Deno generator
 * (`bench/_frame_socket.ts`) so that a bug or a lucky write pattern in one
 * does not shape every table.
 *
 * - The upgrade is written and checked by hand (status 101, `Upgrade`,
 *   `Connection`, `Sec-WebSocket-Accept` from SHA-1, no extension).
 * - Frames are built and masked by hand, a fresh key per frame from
 *   `crypto.randomFillSync` (a pool refilled as it runs out).
 * - One write per read batch: whatever replies one `'data'` event completes,
 *   their replacements go out together in one `socket.write`. The lean
 *   generator instead writes all the sends of one task at once; how the
 *   client writes decides how often the server finds a frame split across
 *   its reads.
 * - Every reply is checked byte for byte: a binary message, unmasked, of
 *   `--size` bytes, equal to the message it answers (the first 4 bytes carry
 *   the message's sequence number on its connection, so a stale or reordered
 *   echo fails too). Fragmented replies and pings are handled. Anything
 *   wrong prints the reason to stderr and exits 1.
 *
 *   node bench/echo_load_outside.mjs --url ws://127.0.0.1:9001/ --connections 8 \
 *     --inflight 16 --size 64 (--warmup 1000 --duration 3000 | --count N) [--server-pid PID]
 *
 * Idle (`--mode idle`, for the memory table): open `--connections`, print
 * `{"opened":N,"failed":0}`, then follow commands on stdin, one per line, as
 * `bench/echo_load.ts --mode idle` does: `echo` (one round trip on every
 * connection, then `{"echoed":N}`), `close` (or end of input: close all).
 *
 * Timed (default): warm up for `--warmup` ms, count round trips for
 * `--duration` ms, let what is in flight come back, close. Counted
 * (`--count N`, for tests): N round trips on each connection, then close.
 * Prints one JSON line in `bench/echo_load.ts`'s format (`EchoResult`):
 * messages/s, round-trip p50/p90/p99/max, `clientCpu` (this process, cores)
 * and `serverCpu` (`/proc/PID/stat`, or null).
 */
import net from "node:net";
import { createHash, randomBytes, randomFillSync } from "node:crypto";
import { createInterface } from "node:readline";
import { processCpuSeconds } from "./_proc_cpu.mjs";

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i === -1) return fallback;
  if (i + 1 >= process.argv.length) fail(`--${name} needs a value`);
  return process.argv[i + 1];
}

function fail(message) {
  process.stderr.write(`echo_load_outside: ${message}\n`);
  process.exit(1);
}

function numberFlag(name, fallback) {
  const n = Number(flag(name, String(fallback)));
  if (!Number.isFinite(n) || n < 0) fail(`--${name} must be a non-negative number`);
  return n;
}

const url = new URL(flag("url", "ws://127.0.0.1:9001/"));
if (url.protocol !== "ws:") fail(`--url must be ws://, not ${url.protocol}`);
const connections = numberFlag("connections", 1);
const inflight = Math.max(1, numberFlag("inflight", 16));
const size = numberFlag("size", 64);
const warmupMs = numberFlag("warmup", 1000);
const durationMs = numberFlag("duration", 3000);
const count = numberFlag("count", 0);
const timeoutMs = numberFlag("timeout", 60_000);
const serverPid = flag("server-pid", undefined);
const mode = flag("mode", "echo");
if (mode !== "echo" && mode !== "idle") fail(`--mode must be echo or idle, not ${mode}`);

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/** The payload every message carries, but for its first 4 bytes (the sequence number). */
const PATTERN = Buffer.allocUnsafeSlow(size);
for (let i = 0; i < size; i++) PATTERN[i] = (i * 131 + 17) & 0xff;
const SEQ_BYTES = Math.min(4, size);
/**
 * The pattern at each byte offset modulo 4 of its ArrayBuffer, made when
 * first needed: masking reads it and writes the frame a word at a time,
 * which needs both at the same offset modulo 4.
 */
const patterns = [PATTERN, null, null, null];

function patternAt(align) {
  let pattern = patterns[align];
  if (pattern === null) {
    pattern = Buffer.from(new ArrayBuffer(size + 4), align, size);
    PATTERN.copy(pattern);
    patterns[align] = pattern;
  }
  return pattern;
}

// ---------------------------------------------------------------- masking

/** Random bytes for mask keys, refilled from the system's CSPRNG when used up. */
const keyPool = Buffer.allocUnsafeSlow(4096);
let keyAt = keyPool.length;
/** Four bytes seen as one 32-bit word (native byte order), for the word-wise XOR. */
const keyBytes = new Uint8Array(4);
const keyWord = new Int32Array(keyBytes.buffer);

/**
 * Writes `src` XOR the 4-byte key at `out[keyOffset]` to `out[at]`: byte by
 * byte up to a 4-byte boundary of the ArrayBuffer, then whole words with the
 * key turned by that prefix (when `src` sits at the same offset modulo 4),
 * then the tail.
 */
function maskInto(src, out, at, keyOffset) {
  const length = src.length;
  const key = [out[keyOffset], out[keyOffset + 1], out[keyOffset + 2], out[keyOffset + 3]];
  const absolute = out.byteOffset + at;
  if (length < 256 || ((src.byteOffset - absolute) & 3) !== 0) {
    for (let j = 0; j < length; j++) out[at + j] = src[j] ^ key[j & 3];
    return;
  }
  const prefix = (4 - (absolute & 3)) & 3;
  for (let j = 0; j < prefix; j++) out[at + j] = src[j] ^ key[j & 3];
  for (let b = 0; b < 4; b++) keyBytes[b] = key[(prefix + b) & 3];
  const word = keyWord[0];
  const words = (length - prefix) >>> 2;
  const to = new Int32Array(out.buffer, absolute + prefix, words);
  const from = new Int32Array(src.buffer, src.byteOffset + prefix, words);
  for (let w = 0; w < words; w++) to[w] = from[w] ^ word;
  for (let j = prefix + words * 4; j < length; j++) out[at + j] = src[j] ^ key[j & 3];
}

/** Header length of a masked client frame with `length` payload bytes. */
const headerLength = (length) => (length < 126 ? 2 : length < 65536 ? 4 : 10) + 4;

/**
 * Writes one masked frame at `out[at]` (payload from `payload`, or the
 * pattern with `seq` in its first bytes when `payload` is null); returns the
 * offset after it.
 */
function writeFrame(out, at, opcode, payload, seq) {
  const length = payload === null ? size : payload.length;
  out[at++] = 0x80 | opcode;
  if (length < 126) {
    out[at++] = 0x80 | length;
  } else if (length < 65536) {
    out[at++] = 0x80 | 126;
    out.writeUInt16BE(length, at);
    at += 2;
  } else {
    out[at++] = 0x80 | 127;
    out.writeUInt32BE(Math.floor(length / 2 ** 32), at);
    out.writeUInt32BE(length >>> 0, at + 4);
    at += 8;
  }
  if (keyAt + 4 > keyPool.length) {
    randomFillSync(keyPool);
    keyAt = 0;
  }
  const keyOffset = at;
  keyPool.copy(out, at, keyAt, keyAt + 4);
  keyAt += 4;
  at += 4;
  if (payload === null) {
    maskInto(patternAt((out.byteOffset + at) & 3), out, at, keyOffset);
    for (let b = 0; b < SEQ_BYTES; b++) {
      out[at + b] = ((seq >>> (8 * b)) & 0xff) ^ out[keyOffset + b];
    }
  } else {
    maskInto(payload, out, at, keyOffset);
  }
  return at + length;
}

/**
 * Write buffers of 64 KiB and more, by length, back from the socket once it
 * has handed them to the kernel: fresh ones cost a page fault every 4 KiB.
 */
const spare = new Map();

function takeBuffer(length) {
  if (length < 64 * 1024) return Buffer.allocUnsafe(length);
  return spare.get(length)?.pop() ?? Buffer.allocUnsafeSlow(length);
}

function giveBack(buffer) {
  if (buffer.length < 64 * 1024) return;
  const list = spare.get(buffer.length) ?? [];
  if (list.length < 8) list.push(buffer);
  spare.set(buffer.length, list);
}

// ---------------------------------------------------------------- measuring

/** Counters since the start; the report takes the difference over the window. */
let received = 0;
/** 0: warm-up (or counted), 1: measuring, 2: draining (no new sends). */
let phase = count > 0 ? 1 : 0;
let samples = new Float64Array(1 << 16);
let sampleCount = 0;
const MAX_SAMPLES = 1 << 22;
const all = [];
let finished = 0;

function record(rtt) {
  received++;
  if (phase !== 1) return;
  if (sampleCount === samples.length && sampleCount < MAX_SAMPLES) {
    const grown = new Float64Array(samples.length * 2);
    grown.set(samples);
    samples = grown;
  }
  if (sampleCount < samples.length) samples[sampleCount++] = rtt;
}

function snapshot() {
  const cpu = process.cpuUsage();
  return {
    received,
    samples: sampleCount,
    at: performance.now(),
    clientCpu: (cpu.user + cpu.system) / 1e6,
    serverCpu: serverPid === undefined ? null : processCpuSeconds(Number(serverPid)),
  };
}

/** The q-quantile (0..1) of sorted samples, nearest rank. */
function quantile(sorted, q) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

function report(from, to) {
  const windowMs = to.at - from.at;
  const seconds = windowMs / 1000;
  const messages = to.received - from.received;
  const sorted = samples.subarray(from.samples, to.samples).sort();
  process.stdout.write(
    JSON.stringify({
      client: "outside",
      connections,
      inflight,
      size,
      windowMs,
      messages,
      messagesPerSecond: messages / seconds,
      bytesPerSecond: (messages * size) / seconds,
      p50Ms: quantile(sorted, 0.5),
      p90Ms: quantile(sorted, 0.9),
      p99Ms: quantile(sorted, 0.99),
      maxMs: quantile(sorted, 1),
      clientCpu: (to.clientCpu - from.clientCpu) / seconds,
      serverCpu: from.serverCpu === null || to.serverCpu === null
        ? null
        : (to.serverCpu - from.serverCpu) / seconds,
      errors: 0,
    }) + "\n",
  );
}

// ---------------------------------------------------------------- connections

/** One WebSocket connection keeping `inflight` messages in flight. */
class Connection {
  socket;
  key = randomBytes(16).toString("base64");
  /** "handshake" | "open" | "closing" | "closed" */
  state = "handshake";
  head = Buffer.alloc(0);
  /** Send times of the messages in flight, a ring (echoes come back in order). */
  sentAt = new Float64Array(inflight);
  ringHead = 0;
  ringTail = 0;
  /** Messages sent and replies checked, as sequence numbers. */
  sent = 0;
  replies = 0;
  // Frame parser: a header in progress, then the payload bytes left.
  header = Buffer.alloc(14);
  headerHave = 0;
  opcode = 0;
  fin = false;
  left = 0;
  /** Control frame payload being gathered (close, ping). */
  control = null;
  controlHave = 0;
  /** Bytes of the current (possibly fragmented) data message checked so far; -1: none. */
  offset = -1;
  /** Replies completed during this read, and pongs owed: written at the end of it. */
  owed = 0;
  pongs = [];

  constructor(onOpen) {
    this.onOpen = onOpen;
    this.socket = net.connect({ host: url.hostname, port: Number(url.port || 80) });
    this.socket.setNoDelay(true);
    this.socket.on("connect", () => {
      this.socket.write(
        `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n` +
          `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${this.key}\r\n` +
          `Sec-WebSocket-Version: 13\r\n\r\n`,
        "latin1",
      );
    });
    this.socket.on("data", (data) => this.onData(data));
    this.socket.on("error", (error) => {
      if (this.state === "handshake" || this.state === "open") {
        fail(`connection error (${this.state}): ${error.message}`);
      }
    });
    this.socket.on("close", () => {
      if (this.state !== "closing" && this.state !== "closed") {
        fail(`the server closed the connection (${this.state}, ${this.replies} replies)`);
      }
      this.state = "closed";
      this.onClosed?.();
    });
  }

  onData(data) {
    if (this.state === "handshake") {
      this.head = this.head.length === 0 ? data : Buffer.concat([this.head, data]);
      const end = this.head.indexOf("\r\n\r\n", 0, "latin1");
      if (end === -1) {
        if (this.head.length > 16 * 1024) fail("the upgrade response head is too long");
        return;
      }
      this.checkUpgrade(this.head.toString("latin1", 0, end));
      const rest = this.head.subarray(end + 4);
      this.head = null;
      this.state = "open";
      this.onOpen(this);
      if (rest.length > 0) this.onData(rest);
      return;
    }
    this.parse(data);
    this.flush();
  }

  checkUpgrade(head) {
    const [status, ...lines] = head.split("\r\n");
    if (!/^HTTP\/1\.1 101 /.test(status)) fail(`not an upgrade: ${status}`);
    const headers = new Map();
    for (const line of lines) {
      const colon = line.indexOf(":");
      if (colon <= 0) fail(`malformed header line: ${JSON.stringify(line)}`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
    }
    if (headers.get("upgrade")?.toLowerCase() !== "websocket") fail("no Upgrade: websocket");
    const tokens = (headers.get("connection") ?? "").toLowerCase().split(",").map((t) => t.trim());
    if (!tokens.includes("upgrade")) fail("no Connection: upgrade");
    const accept = createHash("sha1").update(this.key + GUID).digest("base64");
    if (headers.get("sec-websocket-accept") !== accept) fail("wrong Sec-WebSocket-Accept");
    if (headers.has("sec-websocket-extensions")) fail("an extension nobody offered");
  }

  parse(data) {
    const end = data.length;
    let i = 0;
    while (i < end) {
      if (this.left === 0 && this.control === null) {
        // Between payloads: a frame header starts or goes on here.
        if (!this.readHeader(data, i, end)) return;
        i = this.headerEnd;
        continue;
      }
      const take = Math.min(this.left, end - i);
      if (this.control !== null) {
        data.copy(this.control, this.controlHave, i, i + take);
        this.controlHave += take;
      } else {
        this.check(data, i, take);
      }
      this.left -= take;
      i += take;
      if (this.left === 0) this.frameDone();
    }
  }

  /** Gathers a frame header from `data[i, end)`; false when it needs more bytes. */
  readHeader(data, i, end) {
    const header = this.header;
    while (i < end) {
      header[this.headerHave++] = data[i++];
      if (this.headerHave < 2) continue;
      const short = header[1] & 0x7f;
      const needed = short === 126 ? 4 : short === 127 ? 10 : 2;
      if (this.headerHave < needed) continue;
      if ((header[1] & 0x80) !== 0) fail("a masked frame from the server");
      if ((header[0] & 0x70) !== 0) fail("RSV bits set without an extension");
      this.fin = (header[0] & 0x80) !== 0;
      this.opcode = header[0] & 0x0f;
      this.left = short === 126
        ? header.readUInt16BE(2)
        : short === 127
        ? header.readUInt32BE(2) * 2 ** 32 + header.readUInt32BE(6)
        : short;
      this.headerHave = 0;
      this.headerEnd = i;
      this.startFrame();
      if (this.left === 0) this.frameDone();
      return true;
    }
    return false;
  }

  startFrame() {
    const opcode = this.opcode;
    if (opcode >= 8) {
      if (!this.fin || this.left > 125) fail("a fragmented or long control frame");
      this.control = Buffer.alloc(this.left);
      this.controlHave = 0;
    } else if (opcode === 2) {
      if (this.offset !== -1) fail("a new message inside a fragmented one");
      if (this.replies === this.sent) fail("a message nobody sent");
      this.offset = 0;
    } else if (opcode === 0) {
      if (this.offset === -1) fail("a continuation frame outside a message");
    } else {
      fail(`a reply with opcode ${opcode}, not a binary message`);
    }
    if (opcode < 8 && this.offset + this.left > size) {
      fail(`a reply longer than ${size} bytes`);
    }
  }

  /** Compares `data[i, i + n)` with the expected bytes at the message's offset. */
  check(data, i, n) {
    let offset = this.offset;
    while (n > 0 && offset < SEQ_BYTES) {
      if (data[i] !== ((this.replies >>> (8 * offset)) & 0xff)) {
        fail(`reply ${this.replies}: wrong sequence byte ${offset}`);
      }
      i++;
      n--;
      offset++;
    }
    if (n > 0 && data.compare(PATTERN, offset, offset + n, i, i + n) !== 0) {
      let at = 0;
      while (data[i + at] === PATTERN[offset + at]) at++;
      fail(`reply ${this.replies}: byte ${offset + at} differs from what was sent`);
    }
    this.offset = offset + n;
  }

  frameDone() {
    const opcode = this.opcode;
    if (opcode >= 8) {
      const payload = this.control;
      this.control = null;
      if (opcode === 9) this.pongs.push(payload);
      else if (opcode === 8) this.onClose(payload);
      else if (opcode !== 10) fail(`a control frame with opcode ${opcode}`);
      return;
    }
    if (!this.fin) return;
    if (this.offset !== size) fail(`a reply of ${this.offset} bytes, not ${size}`);
    this.offset = -1;
    const now = performance.now();
    record(now - this.sentAt[this.ringHead]);
    this.ringHead = this.ringHead + 1 === inflight ? 0 : this.ringHead + 1;
    this.replies++;
    if (count > 0 && this.replies === count) {
      finished++;
      this.close();
    } else if (phase < 2 && (count === 0 || this.sent + this.owed < count)) {
      this.owed++;
    } else if (phase === 2 && this.replies === this.sent) {
      this.onDrained?.();
    }
  }

  onClose(payload) {
    if (this.state !== "closing") {
      fail(
        `the server sent a close frame (${
          payload.length >= 2 ? payload.readUInt16BE(0) : "no code"
        })`,
      );
    }
    this.socket.end();
  }

  /** Sends `n` messages (and the pongs owed) in one write. */
  send(n) {
    const frame = headerLength(size) + size;
    let total = n * frame;
    for (const pong of this.pongs) total += headerLength(pong.length) + pong.length;
    if (total === 0) return;
    const out = takeBuffer(total);
    let at = 0;
    for (const pong of this.pongs) at = writeFrame(out, at, 0xa, pong, 0);
    this.pongs.length = 0;
    const now = performance.now();
    for (let k = 0; k < n; k++) {
      at = writeFrame(out, at, 0x2, null, this.sent++);
      this.sentAt[this.ringTail] = now;
      this.ringTail = this.ringTail + 1 === inflight ? 0 : this.ringTail + 1;
    }
    this.socket.write(out, () => giveBack(out));
  }

  flush() {
    const n = this.owed;
    this.owed = 0;
    if (this.state === "open" && (n > 0 || this.pongs.length > 0)) this.send(n);
  }

  /** Starts the closing handshake: a close frame (1000), then the server's, then FIN. */
  close() {
    if (this.state !== "open") return;
    this.flush();
    this.state = "closing";
    const out = Buffer.allocUnsafe(headerLength(2) + 2);
    writeFrame(out, 0, 0x8, Buffer.from([0x03, 0xe8]), 0);
    this.socket.write(out);
  }
}

// ---------------------------------------------------------------- run

const deadline = setTimeout(() => fail(`not done after ${timeoutMs} ms`), timeoutMs);
deadline.unref();

/** Opens every connection, 64 handshakes at a time. */
async function openAll() {
  for (let i = 0; i < connections; i += 64) {
    const batch = Math.min(64, connections - i);
    await Promise.all(
      Array.from(
        { length: batch },
        () => new Promise((resolve) => all.push(new Connection(resolve))),
      ),
    );
  }
}

function closeAll() {
  return Promise.all(all.map((c) =>
    new Promise((resolve) => {
      if (c.state === "closed") return resolve();
      c.onClosed = resolve;
      c.close();
      // A server that never answers the close is cut off after a while.
      setTimeout(() => c.socket.destroy(), 5000).unref();
    })
  ));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

await openAll();
if (mode === "idle") {
  // Replies start no replacements (phase 2); a drained connection says so.
  phase = 2;
  clearTimeout(deadline);
  process.stdout.write(JSON.stringify({ opened: all.length, failed: 0 }) + "\n");
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() === "close") break;
    if (line.trim() !== "echo") continue;
    await Promise.all(all.map((c) =>
      new Promise((resolve) => {
        c.onDrained = resolve;
        c.send(1);
      })
    ));
    process.stdout.write(JSON.stringify({ echoed: all.length }) + "\n");
  }
  await closeAll();
  process.exit(0);
}
const start = snapshot();
// Every connection starts with its window full, in one write.
for (const c of all) c.send(count > 0 ? Math.min(inflight, count) : inflight);
if (count > 0) {
  await new Promise((resolve) => {
    const check = () => (finished === all.length ? resolve() : setTimeout(check, 5));
    check();
  });
  report(start, snapshot());
  await closeAll();
} else {
  await sleep(warmupMs);
  phase = 1;
  const from = snapshot();
  await sleep(durationMs);
  const to = snapshot();
  phase = 2;
  // What is still in flight comes back (bounded), then every connection closes.
  await Promise.race([
    Promise.all(all.map((c) =>
      new Promise((resolve) => {
        if (c.replies === c.sent) return resolve();
        c.onDrained = resolve;
      })
    )),
    sleep(5000),
  ]);
  report(from, to);
  await closeAll();
}
process.exit(0);
