/**
 * HTTP/1.1 load generator for `bench/http.ts`, on plain Node `net`: per
 * connection, one `GET` per write, and the next only once the whole response
 * is in (no pipelining). Written apart from `http_load_pipelined.mjs`, with a
 * different parser (this one gathers bytes in a buffer and searches it), so
 * that a parsing bug in one generator does not hide in both.
 *
 * Every response must be `200` with a body of `--length` bytes, framed by
 * `Content-Length`, `chunked`, or the end of the connection; anything else
 * (another status, a short or long body, bytes nobody asked for, a
 * connection lost mid-response) prints the reason to stderr and exits 1.
 * A response with `Connection: close` (or an HTTP/1.0 one without
 * keep-alive) is counted, and the connection is opened again.
 *
 *   node bench/http_load_serial.mjs --port 8000 --path /hello --length 12 \
 *     --connections 8 (--warmup 200 --duration 1000 | --count 100) [--server-pid PID]
 *
 * Timed (`--duration`): counts the responses that complete in the window
 * after the warm-up. Counted (`--count N`): N responses on each connection,
 * then stops (for tests). Prints one JSON line: `responses`, `seconds`,
 * `requestsPerSecond`, `bodyBytesPerSecond`, `connects` (TCP connections
 * opened, the first ones included), `closedByServer` (responses that closed
 * their connection), `clientCpu` and `serverCpu` (cores used in the window;
 * the server's read from `/proc/PID/stat`, or null).
 */
import net from "node:net";
import { processCpuSeconds } from "./_proc_cpu.mjs";

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i === -1) return fallback;
  if (i + 1 >= process.argv.length) fail(`--${name} needs a value`);
  return process.argv[i + 1];
}

function fail(message) {
  process.stderr.write(`http_load_serial: ${message}\n`);
  process.exit(1);
}

const host = flag("host", "127.0.0.1");
const port = Number(flag("port", "8000"));
const path = flag("path", "/");
const expectedLength = Number(flag("length", "-1"));
const connections = Number(flag("connections", "1"));
const warmupMs = Number(flag("warmup", "0"));
const durationMs = Number(flag("duration", "1000"));
const count = flag("count", undefined) === undefined ? 0 : Number(flag("count", "0"));
const timeoutMs = Number(flag("timeout", "60000"));
const serverPid = flag("server-pid", undefined);
if (!(expectedLength >= 0)) fail("--length (the expected body length) is required");

const REQUEST = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\n`, "latin1");
const HEAD_END = Buffer.from("\r\n\r\n", "latin1");
const CRLF = Buffer.from("\r\n", "latin1");
const MAX_HEAD = 64 * 1024;

/** Counters since the start; the timed report takes the difference over the window. */
const totals = { responses: 0, bodyBytes: 0, connects: 0, closedByServer: 0 };
let finishedConnections = 0;

function snapshot() {
  const cpu = process.cpuUsage();
  return {
    ...totals,
    at: performance.now(),
    clientCpu: (cpu.user + cpu.system) / 1e6,
    serverCpu: serverPid === undefined ? null : processCpuSeconds(serverPid),
  };
}

function report(from, to) {
  const seconds = (to.at - from.at) / 1000;
  const responses = to.responses - from.responses;
  const serverCpu = from.serverCpu === null || to.serverCpu === null
    ? null
    : (to.serverCpu - from.serverCpu) / seconds;
  process.stdout.write(
    JSON.stringify({
      generator: "serial",
      connections,
      responses,
      seconds,
      requestsPerSecond: responses / seconds,
      bodyBytesPerSecond: (to.bodyBytes - from.bodyBytes) / seconds,
      connects: to.connects - from.connects,
      closedByServer: to.closedByServer - from.closedByServer,
      clientCpu: (to.clientCpu - from.clientCpu) / seconds,
      serverCpu,
    }) + "\n",
  );
}

/** One client connection: a request, its response, the next request. */
class Client {
  /** Responses still to get in counted mode (Infinity when timed). */
  remaining = count > 0 ? count : Infinity;
  socket = null;
  /** Unparsed bytes (head or chunk-size line in progress), or null. */
  pending = null;
  /** "idle" | "head" | "fixed" | "chunk-size" | "chunk-data" | "chunk-crlf" | "trailer" | "eof" | "done" */
  state = "idle";
  /** Body bytes still expected (fixed body, or the current chunk). */
  left = 0;
  bodyLength = 0;
  closeAfter = false;

  constructor() {
    this.open();
  }

  open() {
    totals.connects++;
    const socket = net.connect({ host, port, noDelay: true });
    this.socket = socket;
    this.pending = null;
    this.state = "idle";
    socket.on("connect", () => this.send());
    socket.on("data", (chunk) => {
      if (this.socket === socket) this.receive(chunk);
    });
    socket.on("end", () => {
      if (this.socket === socket) this.ended();
    });
    socket.on("error", (error) => {
      if (this.socket === socket) fail(`connection error: ${error.message}`);
    });
  }

  send() {
    this.state = "head";
    this.bodyLength = 0;
    this.closeAfter = false;
    this.socket.write(REQUEST);
  }

  receive(chunk) {
    const buffer = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = null;
    let offset = 0;
    while (offset < buffer.length) {
      switch (this.state) {
        case "idle":
          fail(`${buffer.length - offset} bytes arrived with no request outstanding`);
          break;
        case "head": {
          const end = buffer.indexOf(HEAD_END, offset);
          if (end === -1) {
            if (buffer.length - offset > MAX_HEAD) fail(`response head over ${MAX_HEAD} bytes`);
            this.pending = buffer.subarray(offset);
            return;
          }
          this.head(buffer.toString("latin1", offset, end));
          offset = end + 4;
          break;
        }
        case "fixed": {
          const take = Math.min(this.left, buffer.length - offset);
          this.left -= take;
          this.bodyLength += take;
          offset += take;
          if (this.left === 0) this.state = "done";
          break;
        }
        case "eof":
          this.bodyLength += buffer.length - offset;
          offset = buffer.length;
          break;
        case "chunk-size": {
          const end = buffer.indexOf(CRLF, offset);
          if (end === -1) {
            if (buffer.length - offset > 4096) fail("chunk-size line over 4096 bytes");
            this.pending = buffer.subarray(offset);
            return;
          }
          const line = buffer.toString("latin1", offset, end);
          const digits = line.split(";")[0].trim();
          if (!/^[0-9a-fA-F]{1,8}$/.test(digits)) fail(`bad chunk size ${JSON.stringify(line)}`);
          this.left = parseInt(digits, 16);
          offset = end + 2;
          this.state = this.left === 0 ? "trailer" : "chunk-data";
          break;
        }
        case "chunk-data": {
          const take = Math.min(this.left, buffer.length - offset);
          this.left -= take;
          this.bodyLength += take;
          offset += take;
          if (this.left === 0) this.state = "chunk-crlf";
          break;
        }
        case "chunk-crlf": {
          if (buffer.length - offset < 2) {
            this.pending = buffer.subarray(offset);
            return;
          }
          if (buffer[offset] !== 0x0d || buffer[offset + 1] !== 0x0a) {
            fail("chunk data not followed by CRLF");
          }
          offset += 2;
          this.state = "chunk-size";
          break;
        }
        case "trailer": {
          // Trailer fields, each ending in CRLF, then an empty line.
          const end = buffer.indexOf(CRLF, offset);
          if (end === -1) {
            this.pending = buffer.subarray(offset);
            return;
          }
          const empty = end === offset;
          offset = end + 2;
          if (empty) this.state = "done";
          break;
        }
        default:
          fail(`unexpected state ${this.state}`);
      }
      if (this.state === "done") {
        // One request, one response: nothing may follow it before the next request.
        if (offset < buffer.length) {
          fail(`${buffer.length - offset} bytes arrived after the response, unasked`);
        }
        this.complete();
        return;
      }
    }
  }

  /** Parse a response head (without its final CRLF CRLF) and pick the body framing. */
  head(text) {
    const lines = text.split("\r\n");
    const status = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(lines[0]);
    if (status === null) fail(`bad status line ${JSON.stringify(lines[0])}`);
    if (status[2] !== "200") fail(`status ${status[2]}, expected 200: ${lines[0]}`);
    let contentLength = null;
    let chunked = false;
    let connection = "";
    for (let i = 1; i < lines.length; i++) {
      const colon = lines[i].indexOf(":");
      if (colon <= 0) fail(`bad header line ${JSON.stringify(lines[i])}`);
      const name = lines[i].slice(0, colon).trim().toLowerCase();
      const value = lines[i].slice(colon + 1).trim();
      if (name === "content-length") {
        if (!/^\d+$/.test(value)) fail(`bad Content-Length ${JSON.stringify(value)}`);
        if (contentLength !== null && contentLength !== Number(value)) {
          fail("differing Content-Length headers");
        }
        contentLength = Number(value);
      } else if (name === "transfer-encoding") {
        chunked = value.toLowerCase().split(",").map((s) => s.trim()).pop() === "chunked";
        if (!chunked) fail(`transfer coding ${JSON.stringify(value)} is not chunked`);
      } else if (name === "connection") {
        connection += `,${value.toLowerCase()}`;
      }
    }
    const options = connection.split(",").map((s) => s.trim());
    this.closeAfter = status[1] === "0"
      ? !options.includes("keep-alive")
      : options.includes("close");
    if (chunked) {
      this.state = "chunk-size";
    } else if (contentLength !== null) {
      this.left = contentLength;
      this.state = contentLength === 0 ? "done" : "fixed";
    } else {
      // Neither: the body runs to the end of the connection.
      this.closeAfter = true;
      this.state = "eof";
    }
  }

  complete() {
    if (this.bodyLength !== expectedLength) {
      fail(`body of ${this.bodyLength} bytes, expected ${expectedLength}`);
    }
    totals.responses++;
    totals.bodyBytes += this.bodyLength;
    this.remaining--;
    if (this.closeAfter) {
      totals.closedByServer++;
      this.socket.destroy();
      this.socket = null;
      if (this.remaining > 0) this.open();
      else this.done();
      return;
    }
    this.state = "idle";
    if (this.remaining > 0) this.send();
    else this.done();
  }

  ended() {
    if (this.state === "eof") {
      // The body ran to the end of the connection: this is its end.
      this.complete();
      return;
    }
    if (this.state === "idle" && this.remaining === 0) return;
    fail(
      this.state === "head" && this.pending === null
        ? "the server closed the connection before answering (no Connection: close)"
        : `the server closed the connection mid-response (state ${this.state})`,
    );
  }

  done() {
    this.state = "idle";
    this.socket?.end();
    if (++finishedConnections === connections) {
      report(start, snapshot());
      process.exit(0);
    }
  }
}

const start = snapshot();
const clients = [];
for (let i = 0; i < connections; i++) clients.push(new Client());
setTimeout(() => fail(`not done after ${timeoutMs} ms`), timeoutMs).unref();
if (count === 0) {
  setTimeout(() => {
    const from = snapshot();
    setTimeout(() => {
      report(from, snapshot());
      process.exit(0);
    }, durationMs);
  }, warmupMs);
}
