/**
 * HTTP/1.1 load generator for `bench/http.ts`, on plain Node `net`, that
 * pipelines: per connection, `--pipeline` requests (16) in one write, then
 * all their responses, then the next batch. Several responses share a read
 * and responses straddle reads, so the server's parser and writer see
 * requests arrive in bursts. Written apart from `http_load_serial.mjs`, with
 * a different parser (a state machine fed each read as it comes, carrying
 * only a partial line between reads), so that a parsing bug in one
 * generator does not hide in both.
 *
 * Every response must be `200` with a body of `--length` bytes, framed by
 * `Content-Length`, `chunked`, or the end of the connection; anything else
 * prints the reason to stderr and exits 1. When a response closes its
 * connection (`Connection: close`, or HTTP/1.0 without keep-alive), the
 * requests of the batch left unanswered are sent again on a new connection;
 * the closes are counted.
 *
 *   node bench/http_load_pipelined.mjs --port 8000 --path /hello --length 12 \
 *     --connections 8 --pipeline 16 (--warmup 200 --duration 1000 | --count 100) \
 *     [--server-pid PID]
 *
 * Prints one JSON line with the same fields as `http_load_serial.mjs`.
 */
import net from "node:net";
import { readFileSync } from "node:fs";

const args = new Map();
for (let i = 2; i < process.argv.length; i += 2) {
  const name = process.argv[i];
  const value = process.argv[i + 1];
  if (!name.startsWith("--") || value === undefined) die(`bad arguments near ${name}`);
  args.set(name.slice(2), value);
}

function die(message) {
  process.stderr.write(`http_load_pipelined: ${message}\n`);
  process.exit(1);
}

const HOST = args.get("host") ?? "127.0.0.1";
const PORT = Number(args.get("port") ?? 8000);
const PATH = args.get("path") ?? "/";
const LENGTH = Number(args.get("length") ?? NaN);
const CONNECTIONS = Number(args.get("connections") ?? 1);
const DEPTH = Number(args.get("pipeline") ?? 16);
const WARMUP_MS = Number(args.get("warmup") ?? 0);
const DURATION_MS = Number(args.get("duration") ?? 1000);
const COUNT = Number(args.get("count") ?? 0);
const TIMEOUT_MS = Number(args.get("timeout") ?? 60000);
const SERVER_PID = args.get("server-pid");
if (!Number.isInteger(LENGTH) || LENGTH < 0) die("--length (the expected body length) is required");
if (!(DEPTH >= 1)) die("--pipeline must be at least 1");

const ONE_REQUEST = `GET ${PATH} HTTP/1.1\r\nHost: ${HOST}:${PORT}\r\n\r\n`;
/** Batches by size, built once: batches[n] is n requests in one buffer. */
const batches = [];
function batch(n) {
  return batches[n] ??= Buffer.from(ONE_REQUEST.repeat(n), "latin1");
}

const LF = 0x0a;
const MAX_LINE = 16 * 1024;

/** Parser states. */
const STATUS = 0;
const HEADER = 1;
const BODY = 2;
const CHUNK_SIZE = 3;
const CHUNK_BODY = 4;
const CHUNK_END = 5;
const TRAILER = 6;
const TO_EOF = 7;

let responses = 0;
let bodyBytes = 0;
let connects = 0;
let closedByServer = 0;
let doneConnections = 0;

/**
 * Incremental response parser: `feed` takes each read whole and calls
 * `onResponse(bodyLength, keepAlive)` for every response that completes in
 * it. Lines (status, headers, chunk sizes, trailers) end in LF, with an
 * optional CR before it; a line cut by a read is carried as a string.
 */
class ResponseParser {
  state = STATUS;
  line = "";
  remaining = 0;
  body = 0;
  http10 = false;
  contentLength = -1;
  chunked = false;
  connectionClose = false;
  connectionKeepAlive = false;
  stopped = false;

  constructor(onResponse) {
    this.onResponse = onResponse;
  }

  feed(chunk) {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.stopped) die(`${n - i} bytes after a response that closed the connection`);
      const state = this.state;
      if (state === BODY || state === CHUNK_BODY) {
        const take = Math.min(this.remaining, n - i);
        this.remaining -= take;
        this.body += take;
        i += take;
        if (this.remaining === 0) {
          if (state === BODY) this.finish();
          else this.state = CHUNK_END;
        }
        continue;
      }
      if (state === TO_EOF) {
        this.body += n - i;
        return;
      }
      // A line-based state: find the end of the line.
      const lf = chunk.indexOf(LF, i);
      const end = lf === -1 ? n : lf;
      this.line += chunk.toString("latin1", i, end);
      if (this.line.length > MAX_LINE) die(`line over ${MAX_LINE} bytes`);
      if (lf === -1) return;
      i = lf + 1;
      let line = this.line;
      this.line = "";
      if (line.endsWith("\r")) line = line.slice(0, -1);
      this.onLine(line);
    }
  }

  onLine(line) {
    switch (this.state) {
      case STATUS: {
        if (!line.startsWith("HTTP/1.")) die(`not a status line: ${JSON.stringify(line)}`);
        const minor = line.charCodeAt(7);
        if ((minor !== 0x30 && minor !== 0x31) || line.charCodeAt(8) !== 0x20) {
          die(`not a status line: ${JSON.stringify(line)}`);
        }
        const code = line.slice(9, 12);
        if (code !== "200") die(`status ${code}, expected 200: ${line}`);
        this.http10 = minor === 0x30;
        this.contentLength = -1;
        this.chunked = false;
        this.connectionClose = false;
        this.connectionKeepAlive = false;
        this.body = 0;
        this.state = HEADER;
        return;
      }
      case HEADER: {
        if (line === "") {
          this.endOfHead();
          return;
        }
        const colon = line.indexOf(":");
        if (colon < 1) die(`bad header line: ${JSON.stringify(line)}`);
        const name = line.slice(0, colon).toLowerCase();
        const value = line.slice(colon + 1).trim().toLowerCase();
        if (name === "content-length") {
          const length = /^[0-9]+$/.test(value) ? Number(value) : NaN;
          if (Number.isNaN(length)) die(`bad Content-Length: ${JSON.stringify(value)}`);
          if (this.contentLength !== -1 && this.contentLength !== length) {
            die("two different Content-Length values");
          }
          this.contentLength = length;
        } else if (name === "transfer-encoding") {
          const codings = value.split(",");
          if (codings[codings.length - 1].trim() !== "chunked") {
            die(`unsupported Transfer-Encoding: ${value}`);
          }
          this.chunked = true;
        } else if (name === "connection") {
          for (const option of value.split(",")) {
            const o = option.trim();
            if (o === "close") this.connectionClose = true;
            else if (o === "keep-alive") this.connectionKeepAlive = true;
          }
        }
        return;
      }
      case CHUNK_SIZE: {
        const semicolon = line.indexOf(";");
        const hex = (semicolon === -1 ? line : line.slice(0, semicolon)).trim();
        const size = /^[0-9a-f]{1,8}$/i.test(hex) ? parseInt(hex, 16) : NaN;
        if (Number.isNaN(size)) die(`bad chunk size line: ${JSON.stringify(line)}`);
        if (size === 0) {
          this.state = TRAILER;
        } else {
          this.remaining = size;
          this.state = CHUNK_BODY;
        }
        return;
      }
      case CHUNK_END:
        if (line !== "") die(`chunk followed by ${JSON.stringify(line)}, not CRLF`);
        this.state = CHUNK_SIZE;
        return;
      case TRAILER:
        if (line === "") this.finish();
        return;
    }
  }

  endOfHead() {
    if (this.chunked) {
      this.state = CHUNK_SIZE;
    } else if (this.contentLength > 0) {
      this.remaining = this.contentLength;
      this.state = BODY;
    } else if (this.contentLength === 0) {
      this.finish();
    } else {
      this.state = TO_EOF;
    }
  }

  /** The connection ended: completes a body that runs to it, or reports what was cut. */
  end() {
    if (this.state === TO_EOF) {
      this.finish();
      return true;
    }
    return this.state === STATUS && this.line === "";
  }

  finish() {
    const toEof = this.state === TO_EOF;
    const keepAlive = !toEof &&
      (this.http10 ? this.connectionKeepAlive : !this.connectionClose);
    this.state = STATUS;
    // After a response that closes the connection, nothing more may be parsed.
    if (!keepAlive) this.stopped = true;
    this.onResponse(this.body, keepAlive);
  }
}

/** One connection: a batch out, its responses in, again. */
class Pipeline {
  /** Responses still wanted (Infinity when timed). */
  quota = COUNT > 0 ? COUNT : Infinity;
  /** Responses of the current batch not yet in. */
  outstanding = 0;
  socket = undefined;
  closing = false;

  constructor() {
    this.connect();
  }

  connect() {
    connects++;
    this.closing = false;
    this.outstanding = 0;
    const parser = new ResponseParser((length, keepAlive) => this.response(length, keepAlive));
    const socket = net.createConnection({ host: HOST, port: PORT, noDelay: true }, () => {
      this.write();
    });
    this.socket = socket;
    socket.on("data", (chunk) => {
      if (this.socket !== socket) return;
      if (this.closing) die(`${chunk.length} bytes after a response that closed the connection`);
      parser.feed(chunk);
    });
    socket.on("end", () => {
      if (this.socket !== socket) return;
      const clean = parser.end();
      if (this.socket !== socket) return; // The final response reconnected.
      if (!clean || this.outstanding > 0) {
        die(
          `the server closed the connection with ${this.outstanding} responses outstanding` +
            " and no Connection: close",
        );
      }
    });
    socket.on("error", (error) => {
      if (this.socket === socket) die(`socket error: ${error.message}`);
    });
  }

  write() {
    const n = Math.min(DEPTH, this.quota);
    this.outstanding = n;
    this.socket.write(batch(n));
  }

  response(length, keepAlive) {
    if (this.outstanding === 0) die("a response nobody asked for");
    if (length !== LENGTH) die(`body of ${length} bytes, expected ${LENGTH}`);
    responses++;
    bodyBytes += length;
    this.outstanding--;
    this.quota--;
    if (!keepAlive) {
      closedByServer++;
      // What follows on this socket is an error (`closing`); the rest of the batch goes again.
      this.closing = true;
      const old = this.socket;
      this.socket = undefined;
      old.destroy();
      if (this.quota > 0) this.connect();
      else this.finished();
      return;
    }
    if (this.outstanding > 0) return;
    if (this.quota > 0) this.write();
    else this.finished();
  }

  finished() {
    this.socket?.end();
    this.socket = undefined;
    if (++doneConnections === CONNECTIONS) {
      print(startSample, sample());
      process.exit(0);
    }
  }
}

function serverCpuSeconds() {
  if (SERVER_PID === undefined) return null;
  try {
    const text = readFileSync(`/proc/${SERVER_PID}/stat`, "latin1");
    // Fields after the command name (which may hold spaces): state is [0], utime [11], stime [12].
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

function sample() {
  const usage = process.cpuUsage();
  return {
    time: performance.now(),
    responses,
    bodyBytes,
    connects,
    closedByServer,
    cpu: (usage.user + usage.system) / 1e6,
    serverCpu: serverCpuSeconds(),
  };
}

function print(a, b) {
  const seconds = (b.time - a.time) / 1000;
  console.log(JSON.stringify({
    generator: "pipelined",
    connections: CONNECTIONS,
    pipeline: DEPTH,
    responses: b.responses - a.responses,
    seconds,
    requestsPerSecond: (b.responses - a.responses) / seconds,
    bodyBytesPerSecond: (b.bodyBytes - a.bodyBytes) / seconds,
    connects: b.connects - a.connects,
    closedByServer: b.closedByServer - a.closedByServer,
    clientCpu: (b.cpu - a.cpu) / seconds,
    serverCpu: a.serverCpu === null || b.serverCpu === null
      ? null
      : (b.serverCpu - a.serverCpu) / seconds,
  }));
}

const startSample = sample();
for (let i = 0; i < CONNECTIONS; i++) new Pipeline();
setTimeout(() => die(`still running after ${TIMEOUT_MS} ms`), TIMEOUT_MS).unref();
if (COUNT === 0) {
  setTimeout(() => {
    const from = sample();
    setTimeout(() => {
      print(from, sample());
      process.exit(0);
    }, DURATION_MS);
  }, WARMUP_MS);
}
