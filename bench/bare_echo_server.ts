/**
 * The floor of the echo table: what Deno itself costs per echoed message,
 * with no WebSocket library in the way. Not a full WebSocket server: it
 * answers the opening handshake, then per read parses the masked frames it
 * holds (7- and 16-bit lengths; a frame split across reads waits for its
 * rest at the start of the buffer), writes their payloads unmasked behind
 * unmasked headers into one output buffer (unmasking with this module's
 * `maskInto`, the one piece of it used), and sends that in one write.
 * Anything else (a 64-bit length, a close frame) closes the connection. `--per-message` adds, one step at a
 * time, what an application API costs on top of that for every message:
 *
 * - `none` (default): the bare loop above;
 * - `buffer`: a fresh `ArrayBuffer` holding the message (what a WHATWG
 *   `MessageEvent` with `binaryType = "arraybuffer"` must carry);
 * - `event`: that buffer in a `MessageEvent` dispatched to one listener.
 *
 * Run: `deno run --allow-net=127.0.0.1 bench/bare_echo_server.ts --port 0 --per-message event`
 * (prints `listening on ws://HOST:PORT`).
 *
 * @module
 */
import { parseFlags } from "../examples/_args.ts";
import { serveBare } from "./_bare_listen.ts";
import { bareHandshake } from "./_bare_handshake.ts";
import { maskInto } from "../masking/mask.ts";

const { flags } = parseFlags(Deno.args);
const hostname = flags.get("host") ?? "127.0.0.1";
const port = Number(flags.get("port") ?? "0");
const perMessage = flags.get("per-message") ?? "none";
if (perMessage !== "none" && perMessage !== "buffer" && perMessage !== "event") {
  throw new Error(`--per-message: none, buffer or event, not ${perMessage}`);
}

const target = new EventTarget();
let seen = 0;
target.addEventListener("message", (event) => {
  seen += ((event as MessageEvent).data as ArrayBuffer).byteLength;
});

/** Bytes of `input` consumed by the last {@linkcode echoFrames}. */
let consumed = 0;

/** Echo the whole masked frames in `input`; the reply's length, or -1 to close. */
function echoFrames(input: Uint8Array, output: Uint8Array): number {
  let at = 0;
  let out = 0;
  for (;;) {
    consumed = at;
    if (input.length - at < 8) return out;
    let length = input[at + 1]! & 0x7f;
    let header = 2;
    if (length === 126) {
      length = (input[at + 2]! << 8) | input[at + 3]!;
      header = 4;
    } else if (length === 127 || (input[at + 1]! & 0x80) === 0) return -1;
    const payload = at + header + 4;
    if (payload + length > input.length) return out;
    output[out] = input[at]!;
    if (header === 2) output[out + 1] = length;
    else {
      output[out + 1] = 126;
      output[out + 2] = length >>> 8;
      output[out + 3] = length & 0xff;
    }
    out += header;
    maskInto(
      input.subarray(payload, payload + length),
      output.subarray(out, out + length),
      input.subarray(payload - 4, payload),
    );
    if (perMessage !== "none") {
      const data = output.slice(out, out + length).buffer;
      if (perMessage === "event") target.dispatchEvent(new MessageEvent("message", { data }));
    }
    out += length;
    if ((input[at]! & 0x0f) === 0x8) return -1;
    at = payload + length;
  }
}

async function handle(conn: Deno.Conn): Promise<void> {
  if (!await bareHandshake(conn)) return;
  const input = new Uint8Array(256 * 1024);
  const output = new Uint8Array(input.length);
  let kept = 0;
  for (;;) {
    const n = await conn.read(input.subarray(kept));
    if (n === null) return;
    const out = echoFrames(input.subarray(0, kept + n), output);
    if (out < 0) return;
    // The start of a frame that did not arrive whole moves to the front.
    input.copyWithin(0, consumed, kept + n);
    kept = kept + n - consumed;
    let written = 0;
    while (written < out) written += await conn.write(output.subarray(written, out));
  }
}

await serveBare(hostname, port, handle, true);
if (seen < 0) console.log(seen);
