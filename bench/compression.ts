/**
 * permessage-deflate end to end: 1 KiB JSON text messages echoed over
 * loopback between this module's client and server (the server in its own
 * process), without compression and with it (context takeover, and without
 * context takeover). Prints, per mode, the bytes on the wire per message and
 * the compression ratio (measured by running the same messages through the
 * protocol), and round trips per second.
 *
 * Run: `deno run --allow-net=127.0.0.1 --allow-run --allow-read bench/compression.ts`
 * (`--duration MS`, `--connections N`, `--inflight N` to change the load).
 *
 * @module
 */
import { parseFlags } from "../examples/_args.ts";
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
    const { response, socket } = upgradeWebSocket(request, { perMessageDeflate: mode.config });
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
const messages = jsonMessages(1000);

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
for (const [index, mode] of MODES.entries()) {
  const bytes = wireBytes(mode.config);
  const server = await startServer(index);
  let rate: number;
  try {
    rate = await roundTrips(server.port, mode.config);
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

const header = ["1 KiB JSON text, echo", "wire B/msg", "ratio", "round trips/s"];
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
