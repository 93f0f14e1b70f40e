/**
 * The opening handshake of the bare floor servers (`bare_conn_server.ts`,
 * `bare_echo_server.ts`; `bare_handshake_server.ts` reads the head here and
 * answers it its own ways), done by hand with no WebSocket library: read the
 * request head, answer 101 with the accept key (RFC 6455 §4.2.2).
 *
 * @module
 */
import { createHash } from "node:crypto";

/** RFC 6455 §1.3. */
export const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Read until the blank line that ends the request head; null if it never comes. */
export async function readHead(conn: Deno.Conn): Promise<string | null> {
  const buffer = new Uint8Array(4096);
  let filled = 0;
  while (filled < buffer.length) {
    const n = await conn.read(buffer.subarray(filled));
    if (n === null) return null;
    filled += n;
    const text = decoder.decode(buffer.subarray(0, filled));
    if (text.endsWith("\r\n\r\n")) return text;
  }
  return null;
}

/** Read the upgrade request and answer 101; false when there was no key to answer. */
export async function bareHandshake(conn: Deno.Conn): Promise<boolean> {
  const head = await readHead(conn);
  const key = head?.match(/^sec-websocket-key:[ \t]*(\S+)/im)?.[1];
  if (key === undefined) return false;
  const accept = createHash("sha1").update(key + GUID).digest("base64");
  await conn.write(encoder.encode(
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
  ));
  return true;
}
