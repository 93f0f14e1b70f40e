/**
 * The floor of `bench/handshake.ts`: what one handshake + close cycle costs
 * any JavaScript server on `Deno.listen` (the `TcpConn` objects, the ops and
 * their promises, the system calls), with no library and no HTTP parsing
 * beyond finding the key. Not a WebSocket server: just enough of one for
 * `_handshake_load.mjs`. Per connection it reads the request head, answers
 * 101 with the accept key (`crypto.subtle.digest("SHA-1")`; `node:crypto`
 * with `--sha1 node`; this module's synchronous `computeAcceptKey` with
 * `--sha1 js`), reads the masked close frame, writes the close echo and
 * closes the connection. Anything else closes it at once.
 *
 * `--api web` adds what the web APIs cost a server that offers them, and
 * nothing else: a `Request` with its `Headers` built from the head (the
 * handler's argument, as `Deno.serve` and this module's `serve` give it),
 * the key read from those headers, and an `EventTarget` per connection
 * with an `open` `Event` and a `close` `CloseEvent` dispatched to a
 * listener (a WHATWG `WebSocket`'s part of a cycle).
 *
 * Run: `deno run --allow-net=127.0.0.1 bench/bare_handshake_server.ts --host 127.0.0.1 --port 0`
 * (prints `listening on ws://HOST:PORT`).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { parseFlags } from "../examples/_args.ts";
import { serveBare } from "./_bare_listen.ts";
import { GUID, readHead } from "./_bare_handshake.ts";
import { computeAcceptKey } from "../handshake/accept_key.ts";

const { flags } = parseFlags(Deno.args);
const hostname = flags.get("host") ?? "127.0.0.1";
const port = Number(flags.get("port") ?? "0");
const SHA1 = flags.get("sha1") ?? "subtle";
const API = flags.get("api") ?? "none";
if (API !== "none" && API !== "web") throw new Error(`--api: none or web, not ${API}`);
let events = 0;
const count = () => events++;

const encoder = new TextEncoder();
const KEY = "\r\nsec-websocket-key:";

async function acceptKey(key: string): Promise<string> {
  if (SHA1 === "js") return computeAcceptKey(key);
  if (SHA1 === "node") return createHash("sha1").update(key + GUID).digest("base64");
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", encoder.encode(key + GUID)));
  return btoa(String.fromCharCode.apply(null, digest as unknown as number[]));
}

async function handle(conn: Deno.Conn): Promise<void> {
  const head = await readHead(conn);
  if (head === null) return;
  let key: string;
  let socket: EventTarget | undefined;
  if (API === "web") {
    const lines = head.split("\r\n");
    const headers = new Headers();
    for (let i = 1; i < lines.length && lines[i] !== ""; i++) {
      const colon = lines[i]!.indexOf(":");
      headers.append(lines[i]!.slice(0, colon), lines[i]!.slice(colon + 1).trim());
    }
    const target = lines[0]!.split(" ")[1]!;
    const request = new Request(`http://${headers.get("host")}${target}`, { headers });
    const found = request.headers.get("sec-websocket-key");
    if (found === null) return;
    key = found;
    socket = new EventTarget();
    socket.addEventListener("open", count);
    socket.addEventListener("close", count);
  } else {
    const at = head.toLowerCase().indexOf(KEY);
    if (at === -1) return;
    key = head.slice(at + KEY.length, head.indexOf("\r\n", at + 2)).trim();
  }
  await conn.write(encoder.encode(
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      `Sec-WebSocket-Accept: ${await acceptKey(key)}\r\n\r\n`,
  ));
  socket?.dispatchEvent(new Event("open"));
  // The masked close frame: 2 header bytes, the mask, a 2-byte payload (§5.2).
  const buffer = new Uint8Array(64);
  let filled = 0;
  while (filled < 8) {
    const n = await conn.read(buffer.subarray(filled));
    if (n === null) return;
    filled += n;
  }
  if (buffer[0] !== 0x88 || buffer[1] !== 0x82) return;
  const echo = new Uint8Array(4);
  echo[0] = 0x88;
  echo[1] = 2;
  echo[2] = buffer[6]! ^ buffer[2]!;
  echo[3] = buffer[7]! ^ buffer[3]!;
  await conn.write(echo);
  socket?.dispatchEvent(new CloseEvent("close", { code: 1000, wasClean: true }));
}

await serveBare(hostname, port, handle, true);
if (events < 0) console.log(events);
