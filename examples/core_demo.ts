/**
 * A tour of the protocol core with no I/O: a client encodes messages (masked
 * with fresh random keys), the wire bytes are printed, and a server-side
 * decoder turns them back into messages, fed one odd-sized chunk at a time.
 *
 * Run: `deno task start`
 *
 * @module
 */

import { CloseCode } from "../errors/mod.ts";
import { FrameDecoder, FrameEncoder } from "../frames/mod.ts";
import { type Message, MessageAssembler, MessageEncoder } from "../messages/mod.ts";

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(" ");

const client = new FrameEncoder({ role: "client" });
const messages = new MessageEncoder({ fragmentSize: 8 });
const outgoing: Message[] = [
  { type: "text", data: "Hello, edge!" },
  { type: "ping", data: new TextEncoder().encode("rtt") },
  { type: "binary", data: new Uint8Array([0xde, 0xad, 0xbe, 0xef]) },
  { type: "text", data: "κόσμε 🎉" },
  { type: "close", code: CloseCode.NormalClosure, reason: "bye" },
];

const wire: Uint8Array[] = [];
for (const message of outgoing) {
  for (const frame of messages.encode(message)) {
    for (const bytes of client.encode(frame)) {
      console.log(`client -> ${hex(bytes)}`);
      wire.push(bytes);
    }
  }
}

const server = new FrameDecoder(
  new MessageAssembler((message) => {
    const shown = message.type === "text"
      ? JSON.stringify(message.data)
      : message.type === "close"
      ? `${message.code} ${JSON.stringify(message.reason)}`
      : hex(message.data);
    console.log(`server <- ${message.type} ${shown}`);
  }),
  { role: "server" },
);

// Feed the byte stream back in chunks of 3 bytes, as a slow network would.
const all = new Uint8Array(wire.reduce((n, b) => n + b.length, 0));
let offset = 0;
for (const bytes of wire) {
  all.set(bytes, offset);
  offset += bytes.length;
}
for (let i = 0; i < all.length; i += 3) {
  const error = server.write(all.subarray(i, i + 3));
  if (error) {
    console.error(`failed with ${error.closeCode}: ${error.message}`);
    Deno.exit(1);
  }
}

// A hostile frame: text that is not UTF-8. The core answers with a close code.
const hostile = new FrameDecoder(new MessageAssembler(() => {}), {
  role: "client",
});
const error = hostile.write(new Uint8Array([0x81, 0x02, 0xc0, 0xaf]));
console.log(`hostile frame rejected: ${error?.closeCode} ${error?.message}`);
