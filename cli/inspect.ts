/**
 * The frame inspector on the command line:
 *
 *   deno task inspect -- [options] FILE|-
 *
 * Reads a captured byte stream of ONE direction of a WebSocket connection
 * (raw bytes, or a hex dump: detected, or forced with --hex / --raw) and
 * prints each frame with its flags, length, masking key and demasked
 * payload, and every protocol error with the close code a receiver would
 * use and its byte offset. A thin wrapper around `inspector/`.
 *
 * Exit status: 0 when the frames are valid, 1 when a protocol error was
 * found (a capture cut short in the middle of a frame does not count), 2 for
 * a usage error.
 *
 * @module
 */

import { resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  FrameInspector,
  httpHeadLength,
  type InspectorRecord,
  isHexDump,
  parseHexDump,
  RecordFormatter,
} from "../inspector/mod.ts";

const USAGE = `Usage: deno task inspect -- [options] FILE|-

Prints the WebSocket frames in a capture of one direction of a connection
(FILE, or - for standard input): opcode, FIN/RSV flags, payload length,
masking key and the demasked payload, close codes and reasons, and protocol
errors with the close code a receiver would use and the byte offset.

Options:
  --hex                  the input is a hex dump (plain hex, xxd, hexdump -C, Wireshark)
  --raw                  the input is raw bytes (default: detect)
  --skip-http            skip an HTTP request or response head at the start
  --from client|server   who sent the bytes: checks the masking rule (default: either)
  --full                 print whole payloads (default: cut long ones)
  --deflate              inflate permessage-deflate messages (RSV1 on the first frame)
  --no-context-takeover  the sender resets its compressor after each message
  --window-bits N        the sender's LZ77 window, 8-15 (default 15)
  --help                 this text`;

function usage(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  Deno.exit(2);
}

/**
 * `path` from where the user typed it: `deno task` runs in the repository's
 * root and says in `INIT_CWD` where it was started.
 */
function fromUserDirectory(path: string): string {
  const env = { name: "env", variable: "INIT_CWD" } as const;
  if (Deno.permissions.querySync(env).state !== "granted") return path;
  const start = Deno.env.get("INIT_CWD");
  return start === undefined ? path : resolve(start, path);
}

async function readAll(path: string): Promise<Uint8Array> {
  if (path !== "-") return await Deno.readFile(fromUserDirectory(path));
  const chunks: Uint8Array[] = [];
  for await (const chunk of Deno.stdin.readable) chunks.push(chunk);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

let parsed;
try {
  parsed = parseArgs({
    args: Deno.args.filter((arg, i) => !(arg === "--" && i === 0)),
    allowPositionals: true,
    options: {
      hex: { type: "boolean", default: false },
      raw: { type: "boolean", default: false },
      "skip-http": { type: "boolean", default: false },
      from: { type: "string" },
      full: { type: "boolean", default: false },
      deflate: { type: "boolean", default: false },
      "no-context-takeover": { type: "boolean", default: false },
      "window-bits": { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
} catch (error) {
  usage((error as Error).message);
}
const { values, positionals } = parsed;
if (values.help) {
  console.log(USAGE);
  Deno.exit(0);
}
if (positionals.length !== 1) usage("Give one capture file, or - for standard input.");
if (values.hex && values.raw) usage("--hex and --raw exclude each other.");
if (values.from !== undefined && values.from !== "client" && values.from !== "server") {
  usage(`--from must be client or server, not ${JSON.stringify(values.from)}.`);
}
const windowBits = values["window-bits"] === undefined ? 15 : Number(values["window-bits"]);
if (!Number.isInteger(windowBits) || windowBits < 8 || windowBits > 15) {
  usage(`--window-bits must be 8 to 15, not ${values["window-bits"]}.`);
}
if ((values["no-context-takeover"] || values["window-bits"] !== undefined) && !values.deflate) {
  usage("--no-context-takeover and --window-bits go with --deflate.");
}

const path = positionals[0]!;
let input: Uint8Array;
try {
  input = await readAll(path);
} catch (error) {
  console.error(`Cannot read ${path}: ${(error as Error).message}`);
  Deno.exit(2);
}

let bytes = input;
const hex = values.hex || (!values.raw && isHexDump(input));
if (hex) {
  try {
    bytes = parseHexDump(new TextDecoder().decode(input));
  } catch (error) {
    console.error((error as Error).message);
    Deno.exit(2);
  }
}
console.log(
  `${path}: ${bytes.length} bytes${hex ? ` (from a hex dump of ${input.length} characters)` : ""}`,
);

let start = 0;
const head = httpHeadLength(bytes);
if (values["skip-http"]) {
  start = head;
  const firstLine = new TextDecoder().decode(bytes.subarray(0, head)).split("\r\n")[0];
  console.log(
    head > 0
      ? `skipped the HTTP head (${head} bytes): ${firstLine}`
      : "no HTTP head at the start: nothing skipped",
  );
} else if (head > 0) {
  console.log("the capture starts with an HTTP head: use --skip-http to read the frames after it");
}

const inspector = new FrameInspector({
  sender: values.from as "client" | "server" | undefined,
  deflate: values.deflate
    ? { noContextTakeover: values["no-context-takeover"], windowBits }
    : false,
  startOffset: start,
});
const formatter = new RecordFormatter({ full: values.full });
const records: InspectorRecord[] = [
  ...await inspector.write(bytes.subarray(start)),
  ...await inspector.end(),
];
let frames = 0;
let errors = 0;
for (const record of records) {
  console.log(formatter.format(record));
  if (record.kind === "frame") frames++;
  else if (record.closeCode !== 1006) errors++;
}
const ignored = inspector.ignoredBytes;
console.log(
  `${frames} frame(s), ${errors} protocol error(s)${
    ignored > 0 ? `, ${ignored} byte(s) not decoded` : ""
  }`,
);
if (errors > 0) Deno.exitCode = 1;
