/**
 * The floor of `bench/e2e.ts`'s memory table: what Deno itself costs per open
 * connection, with no WebSocket library in the way. Not a WebSocket server:
 * just enough of one for the idle client of `echo_load.ts --mode idle`. It
 * answers the opening handshake, then keeps one read pending per connection
 * (into a 512-byte buffer; this module's servers now start with 128) and
 * echoes small unfragmented frames unmasked. Anything else closes the conn.
 *
 * Run: `deno run --allow-net=127.0.0.1 bench/bare_conn_server.ts --host 127.0.0.1 --port 0`
 * (prints `listening on ws://HOST:PORT`).
 *
 * @module
 */
import { parseFlags } from "../examples/_args.ts";
import { serveBare } from "./_bare_listen.ts";
import { bareHandshake } from "./_bare_handshake.ts";

const { flags } = parseFlags(Deno.args);
const hostname = flags.get("host") ?? "127.0.0.1";
const port = Number(flags.get("port") ?? "0");

async function handle(conn: Deno.Conn): Promise<void> {
  if (!await bareHandshake(conn)) return;
  const buffer = new Uint8Array(512);
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null || n < 6) return;
    // One masked frame with a 7-bit length, whole in this read (§5.2).
    const length = buffer[1]! & 0x7f;
    if ((buffer[1]! & 0x80) === 0 || length > 125 || n !== 6 + length) return;
    const opcode = buffer[0]! & 0x0f;
    const reply = new Uint8Array(2 + length);
    reply[0] = buffer[0]!;
    reply[1] = length;
    for (let i = 0; i < length; i++) reply[2 + i] = buffer[6 + i]! ^ buffer[2 + (i & 3)]!;
    await conn.write(reply);
    if (opcode === 0x8) return;
  }
}

await serveBare(hostname, port, handle, false);
