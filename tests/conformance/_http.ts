/**
 * The fuzzer's own opening handshake on raw TCP (RFC 6455 §4), both sides,
 * with no code from the module under test: heads are parsed here and
 * `Sec-WebSocket-Accept` is computed with WebCrypto's SHA-1.
 *
 * @module
 */

import { concat, utf8 } from "./wire.ts";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const MAX_HEAD = 16 * 1024;

/** `Sec-WebSocket-Accept` for a key (RFC 6455 §4.2.2 step 5.4). */
export async function acceptFor(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(key + GUID));
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}

/** A parsed HTTP/1.1 head, plus the bytes that followed it in the same reads. */
export interface Head {
  startLine: string;
  headers: Map<string, string>;
  rest: Uint8Array;
}

/** Reads one HTTP head (up to 16 KiB) from a conn, within `timeoutMs`. */
export async function readHead(conn: Deno.Conn, timeoutMs: number): Promise<Head> {
  const parts: Uint8Array[] = [];
  let total = 0;
  const timer = setTimeout(() => {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }, timeoutMs);
  try {
    while (total <= MAX_HEAD) {
      const buf = new Uint8Array(4096);
      const n = await conn.read(buf);
      if (n === null) throw new Error("connection closed before the end of the HTTP head");
      parts.push(buf.subarray(0, n));
      total += n;
      const all = concat(parts);
      const end = findHeadEnd(all);
      if (end !== -1) return parseHead(all.subarray(0, end), all.slice(end + 4));
    }
    throw new Error("HTTP head larger than 16 KiB");
  } catch (error) {
    if (error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) {
      throw new Error(`no complete HTTP head within ${timeoutMs} ms`);
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

function findHeadEnd(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      return i;
    }
  }
  return -1;
}

function parseHead(bytes: Uint8Array, rest: Uint8Array): Head {
  const lines = new TextDecoder("latin1").decode(bytes).split("\r\n");
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) throw new Error(`malformed header line: ${JSON.stringify(line)}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const prior = headers.get(name);
    headers.set(name, prior === undefined ? value : `${prior}, ${value}`);
  }
  return { startLine: lines[0] ?? "", headers, rest };
}

/** Whether a comma-separated header value holds `token` (case-insensitive). */
export function hasToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  return value.toLowerCase().split(",").some((t) => t.trim() === token);
}

/** Writes all bytes, however many writes it takes. */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}

/** What the fuzzer asks for when it opens a connection as a client. */
export interface ClientRequestOptions {
  path: string;
  host: string;
  /** `Sec-WebSocket-Extensions` offer, if any. */
  extensions?: string | undefined;
  /** Bytes to send in the same write as the request (frames right after the head). */
  trailing?: Uint8Array | undefined;
}

/** The server's answer as the fuzzer saw it. */
export interface ClientHandshakeResult {
  head: Head;
  /** The negotiated `Sec-WebSocket-Extensions`, if any. */
  extensions: string | undefined;
}

/**
 * Runs the client side of the opening handshake on `conn`. Throws with a
 * readable message when the server's response breaks RFC 6455 §4.1.
 */
export async function clientHandshake(
  conn: Deno.Conn,
  options: ClientRequestOptions,
  timeoutMs: number,
): Promise<ClientHandshakeResult> {
  const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
  const lines = [
    `GET ${options.path} HTTP/1.1`,
    `Host: ${options.host}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Key: ${key}`,
    "Sec-WebSocket-Version: 13",
    "User-Agent: edgews-conformance",
  ];
  if (options.extensions !== undefined) {
    lines.push(`Sec-WebSocket-Extensions: ${options.extensions}`);
  }
  const request = utf8(lines.join("\r\n") + "\r\n\r\n");
  await writeAll(conn, options.trailing ? concat([request, options.trailing]) : request);
  const head = await readHead(conn, timeoutMs);
  const status = /^HTTP\/1\.1 (\d{3})/.exec(head.startLine);
  if (!status || status[1] !== "101") {
    throw new Error(`expected "HTTP/1.1 101", got ${JSON.stringify(head.startLine)}`);
  }
  if (head.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    throw new Error("101 response without Upgrade: websocket");
  }
  if (!hasToken(head.headers.get("connection"), "upgrade")) {
    throw new Error("101 response without Connection: Upgrade");
  }
  const expected = await acceptFor(key);
  if (head.headers.get("sec-websocket-accept") !== expected) {
    throw new Error(
      `Sec-WebSocket-Accept ${head.headers.get("sec-websocket-accept")} (expected ${expected})`,
    );
  }
  if (head.headers.has("sec-websocket-protocol")) {
    throw new Error("101 response selects a subprotocol that was not offered");
  }
  const extensions = head.headers.get("sec-websocket-extensions");
  if (extensions !== undefined && options.extensions === undefined) {
    throw new Error(`101 response selects an extension that was not offered: ${extensions}`);
  }
  return { head, extensions };
}

/** A client's upgrade request as the fuzzer (a server) received it. */
export interface ServerRequest {
  head: Head;
  url: URL;
  key: string;
}

/**
 * Reads and checks a client's upgrade request (RFC 6455 §4.1, §4.2.1).
 * Throws with a readable message when it is not a valid one.
 */
export async function readUpgradeRequest(
  conn: Deno.Conn,
  timeoutMs: number,
): Promise<ServerRequest> {
  const head = await readHead(conn, timeoutMs);
  const match = /^GET (\S+) HTTP\/1\.1$/.exec(head.startLine);
  if (!match) throw new Error(`not a GET HTTP/1.1 request: ${JSON.stringify(head.startLine)}`);
  const host = head.headers.get("host");
  if (!host) throw new Error("request without Host");
  const url = new URL(match[1]!, `http://${host}`);
  if (head.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    throw new Error("request without Upgrade: websocket");
  }
  if (!hasToken(head.headers.get("connection"), "upgrade")) {
    throw new Error("request without Connection: Upgrade");
  }
  if (head.headers.get("sec-websocket-version") !== "13") {
    throw new Error(`Sec-WebSocket-Version ${head.headers.get("sec-websocket-version")}`);
  }
  const key = head.headers.get("sec-websocket-key") ?? "";
  let keyBytes = 0;
  try {
    keyBytes = atob(key).length;
  } catch {
    // Counted as 0 below.
  }
  if (keyBytes !== 16) throw new Error(`Sec-WebSocket-Key is not 16 bytes in base64: ${key}`);
  return { head, url, key };
}

/** The 101 response to a request, with optional extra header lines. */
export async function switchingProtocols(key: string, extra: string[] = []): Promise<Uint8Array> {
  const lines = [
    "HTTP/1.1 101 Switching Protocols",
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Accept: ${await acceptFor(key)}`,
    ...extra,
  ];
  return utf8(lines.join("\r\n") + "\r\n\r\n");
}
