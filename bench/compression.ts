/**
 * permessage-deflate end to end: 1 KiB JSON text messages echoed over
 * loopback between this module's client and server (the server in its own
 * process), without compression and with it (context takeover, and without
 * context takeover). Prints, per mode, the bytes on the wire per message and
 * the compression ratio (measured by running the same messages through the
 * protocol), and round trips per second.
 *
 * Run: `deno run --allow-net=127.0.0.1 --allow-run --allow-read bench/compression.ts`
 * (`--duration MS`, `--connections N`, `--inflight N` to change the load;
 * `--size N` for messages of N bytes instead of 1 KiB, `--threshold N` to
 * compress shorter messages than the default 1 KiB, as `--size 64
 * --threshold 0` does for the small-message path; `--modes 0,1` for some of
 * the modes only).
 *
 * Then memory: the server's RSS (VmRSS) with `--memory N` compressed
 * connections open (each has echoed one 1.6 KB message, so both zlib
 * streams exist), after they close, and after a second wave opens and closes;
 * for this module and for `ws` on Node (installed into `bench/.node` on first
 * use), each against itself without compression. `--memory 0` skips it.
 *
 * @module
 */
import { parseFlags } from "../examples/_args.ts";
import { ensureWs } from "./_node_ws.ts";
import { PerMessageDeflate, type PerMessageDeflateConfig } from "../compression/mod.ts";
import { serve, upgradeWebSocket, WebSocket } from "../mod.ts";
import { WebSocketProtocol } from "../protocol/websocket_protocol.ts";
import { jsonMessages } from "./_json_messages.ts";

interface Mode {
  name: string;
  config: PerMessageDeflateConfig | false;
}

const MODES: Mode[] = [
  { name: "uncompressed", config: false },
  { name: "deflate, context takeover", config: {} },
  { name: "deflate, context takeover, level 1", config: { level: 1 } },
  {
    name: "deflate, no context takeover",
    config: { serverNoContextTakeover: true, clientNoContextTakeover: true },
  },
];

const { flags } = parseFlags(Deno.args);
/** Compress messages of at least this many bytes (both sides); the codec's default without it. */
const threshold = flags.has("threshold") ? Number(flags.get("threshold")) : undefined;

/** The mode's settings with `--threshold` applied. */
function configOf(mode: Mode): PerMessageDeflateConfig | false {
  if (mode.config === false || threshold === undefined) return mode.config;
  return { ...mode.config, threshold };
}

if (flags.has("serve")) {
  // Server process: echo with the mode's settings, print the port, run until killed.
  const mode = MODES[Number(flags.get("serve"))]!;
  const server = serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen(addr) {
      console.log(`port ${addr.port}`);
    },
    onError(error) {
      console.error(error);
    },
  }, (request) => {
    const { response, socket } = upgradeWebSocket(request, { perMessageDeflate: configOf(mode) });
    socket.onmessage = (event) => socket.send(event.data);
    return response;
  });
  Deno.addSignalListener("SIGTERM", () => void server.shutdown());
  await server.finished;
  Deno.exit(0);
}

const duration = Number(flags.get("duration") ?? "3000");
const connections = Number(flags.get("connections") ?? "4");
const inflight = Number(flags.get("inflight") ?? "16");
const size = Number(flags.get("size") ?? "1024");
const memoryConnections = Number(flags.get("memory") ?? "1000");
/** 1 KiB JSON messages, cut or repeated to `--size` bytes. */
const messages = jsonMessages(1000).map((message) =>
  size <= message.length
    ? message.slice(0, size)
    : message.repeat(Math.ceil(size / 1024)).slice(0, size)
);

/** Wire bytes per message from client to server, through the real protocol. */
function wireBytes(config: PerMessageDeflateConfig | false): number {
  const agreed = config === false ? "" : "permessage-deflate" +
    (config.serverNoContextTakeover ? "; server_no_context_takeover" : "") +
    (config.clientNoContextTakeover ? "; client_no_context_takeover" : "");
  const client = new WebSocketProtocol({
    role: "client",
    compression: PerMessageDeflate.fromHandshake(agreed, "client", config || {}),
  });
  let total = 0;
  for (const message of messages) {
    client.sendText(message);
    for (const chunk of client.dataToSend()) total += chunk.length;
  }
  return total / messages.length;
}

/** Start the server process for `index`; resolve with its port and a stop function. */
async function startServer(index: number) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-read",
      new URL(import.meta.url).pathname,
      `--serve=${index}`,
      ...(threshold === undefined ? [] : [`--threshold=${threshold}`]),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  let port: number | undefined;
  const timer = setTimeout(() => child.kill(), 30_000);
  while (port === undefined) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server did not start: ${output}`);
    output += value;
    const match = /port (\d+)/.exec(output);
    if (match) port = Number(match[1]);
  }
  clearTimeout(timer);
  const drained = (async () => {
    while (!(await reader.read()).done) { /* keep the pipe flowing */ }
  })();
  return {
    port,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await drained;
    },
  };
}

/** Echo round trips per second over `connections` sockets with `inflight` messages each. */
async function roundTrips(port: number, config: PerMessageDeflateConfig | false): Promise<number> {
  const sockets = await Promise.all(
    Array.from({ length: connections }, () =>
      new Promise<WebSocket>((resolve, reject) => {
        const socket = new WebSocket(`ws://127.0.0.1:${port}/`, [], { perMessageDeflate: config });
        socket.onopen = () => resolve(socket);
        socket.onerror = (event) =>
          reject(new Error(`could not connect: ${(event as ErrorEvent).message}`));
      })),
  );
  if (config !== false && !sockets.every((s) => s.extensions.startsWith("permessage-deflate"))) {
    throw new Error("permessage-deflate was not negotiated");
  }
  let counting = false;
  let count = 0;
  let stop = false;
  let next = 0;
  for (const socket of sockets) {
    socket.onmessage = () => {
      if (counting) count++;
      if (!stop) socket.send(messages[next++ % messages.length]!);
    };
    for (let i = 0; i < inflight; i++) socket.send(messages[next++ % messages.length]!);
  }
  await new Promise((resolve) => setTimeout(resolve, Math.min(1000, duration / 3)));
  counting = true;
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, duration));
  const elapsed = performance.now() - start;
  counting = false;
  stop = true;
  await Promise.all(sockets.map((socket) =>
    new Promise((resolve) => {
      socket.onclose = resolve;
      socket.close(1000);
    })
  ));
  return count / (elapsed / 1000);
}

const rows: string[][] = [];
const rawBytes = wireBytes(false);
const only = flags.has("modes") ? new Set(flags.get("modes")!.split(",").map(Number)) : undefined;
for (const [index, mode] of MODES.entries()) {
  if (only !== undefined && !only.has(index)) continue;
  const bytes = wireBytes(configOf(mode));
  const server = await startServer(index);
  let rate: number;
  try {
    rate = await roundTrips(server.port, configOf(mode));
  } finally {
    await server.stop();
  }
  rows.push([
    mode.name,
    bytes.toFixed(0),
    (bytes / rawBytes).toFixed(3),
    Math.round(rate).toLocaleString("en-US"),
  ]);
}

const header = [
  `${size === 1024 ? "1 KiB" : `${size} B`} JSON text, echo`,
  "wire B/msg",
  "ratio",
  "round trips/s",
];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
const line = (cells: string[]) =>
  `| ${cells.map((c, i) => i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)).join(" | ")} |`;
console.log(line(header));
console.log(
  `| ${widths.map((w, i) => i === 0 ? "-".repeat(w) : "-".repeat(w - 1) + ":").join(" | ")} |`,
);
for (const row of rows) console.log(line(row));
console.log(
  `(${connections} connections x ${inflight} messages in flight, ${duration} ms per mode; ` +
    "ratio = wire bytes with compression / without, frame headers included)",
);

// ------------------------------------------------------------------- memory

/** VmRSS of a process in MiB (read with cat: Deno wants --allow-all to read /proc/PID itself). */
function rssMiB(pid: number): number {
  const output = new Deno.Command("cat", { args: [`/proc/${pid}/status`] }).outputSync();
  const match = /VmRSS:\s+(\d+)\s+kB/.exec(new TextDecoder().decode(output.stdout));
  if (match === null) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) / 1024;
}

/** A server process for the memory table: this module's (mode 0 or 1) or ws's. */
async function startMemoryServer(kind: "ours" | "ws", compressed: boolean) {
  const args = kind === "ours"
    ? [
      Deno.execPath(),
      "run",
      "--allow-net=127.0.0.1",
      "--allow-read",
      new URL(import.meta.url).pathname,
      `--serve=${compressed ? 1 : 0}`,
    ]
    : [
      "node",
      new URL("./ws_echo_server.mjs", import.meta.url).pathname,
      "--port",
      "0",
      ...(compressed ? ["--deflate"] : []),
    ];
  const child = new Deno.Command(args[0]!, { args: args.slice(1), stdout: "piped" }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  let port: number | undefined;
  while (port === undefined) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${kind} server did not start: ${output}`);
    output += value;
    const match = /port (\d+)|ws:\/\/[^:]+:(\d+)/.exec(output);
    if (match) port = Number(match[1] ?? match[2]);
  }
  const drained = (async () => {
    while (!(await reader.read()).done) { /* keep the pipe flowing */ }
  })();
  return {
    pid: child.pid,
    port,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await drained;
    },
  };
}

/** Open `count` connections 50 at a time, echo one 1 KiB message on each; returns them. */
async function openWave(port: number, count: number, compressed: boolean): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  for (let i = 0; i < count; i += 50) {
    await Promise.all(
      Array.from(
        { length: Math.min(50, count - i) },
        (_, j) =>
          new Promise<void>((resolve, reject) => {
            const socket = new WebSocket(`ws://127.0.0.1:${port}/`, [], {
              perMessageDeflate: compressed,
            });
            sockets.push(socket);
            socket.onopen = () => socket.send(jsonMessages(1, i + j)[0]!);
            socket.onmessage = () => resolve();
            socket.onerror = () => reject(new Error("could not connect"));
          }),
      ),
    );
  }
  if (compressed && !sockets[0]!.extensions.startsWith("permessage-deflate")) {
    throw new Error("permessage-deflate was not negotiated");
  }
  return sockets;
}

async function closeAll(sockets: WebSocket[]): Promise<void> {
  await Promise.all(sockets.map((socket) =>
    new Promise((resolve) => {
      socket.onclose = resolve;
      socket.close(1000);
    })
  ));
  // Let the server see the closes and run its timers.
  await new Promise((resolve) => setTimeout(resolve, 500));
}

/** RSS in MiB: before, with `count` connections open, after they closed, after a second wave. */
async function memoryRow(kind: "ours" | "ws", compressed: boolean, count: number) {
  const server = await startMemoryServer(kind, compressed);
  try {
    await closeAll(await openWave(server.port, 10, compressed)); // Warm up.
    const before = rssMiB(server.pid);
    const sockets = await openWave(server.port, count, compressed);
    const open = rssMiB(server.pid);
    await closeAll(sockets);
    const closed = rssMiB(server.pid);
    await closeAll(await openWave(server.port, count, compressed));
    return { before, open, closed, again: rssMiB(server.pid) };
  } finally {
    await server.stop();
  }
}

if (memoryConnections > 0) {
  await ensureWs((line) => console.error(line));
  const table: string[][] = [];
  for (const kind of ["ours", "ws"] as const) {
    const plain = await memoryRow(kind, false, memoryConnections);
    const deflate = await memoryRow(kind, true, memoryConnections);
    const perConnection = (row: typeof plain) => (row.open - row.before) * 1024 / memoryConnections;
    for (const [name, row] of [["uncompressed", plain], ["deflate", deflate]] as const) {
      table.push([
        `${kind === "ours" ? "this module" : "ws (Node)"}, ${name}`,
        row.before.toFixed(0),
        row.open.toFixed(0),
        perConnection(row).toFixed(0),
        row.closed.toFixed(0),
        row.again.toFixed(0),
      ]);
    }
    table.push([
      `${kind === "ours" ? "this module" : "ws (Node)"}: compression per connection`,
      "",
      "",
      (perConnection(deflate) - perConnection(plain)).toFixed(0),
      "",
      "",
    ]);
  }
  const header = [
    `server RSS (MiB), ${memoryConnections} connections`,
    "before",
    "open",
    "KiB/conn",
    "closed",
    "2nd wave closed",
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    `| ${
      cells.map((c, i) => i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)).join(" | ")
    } |`;
  console.log();
  console.log(line(header));
  console.log(
    `| ${widths.map((w, i) => i === 0 ? "-".repeat(w) : "-".repeat(w - 1) + ":").join(" | ")} |`,
  );
  for (const row of table) console.log(line(row));
  console.log(
    "(each connection echoed one 1 KiB message: both zlib streams exist; KiB/conn = (open - before) / connections)",
  );
}
