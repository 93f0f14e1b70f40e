/**
 * A raw HTTP/1.1 client for server tests: writes bytes as given and parses
 * responses with its own small parser (not the code under test), so a bug
 * in the server's codec cannot hide behind the same bug in the client.
 *
 * @module
 */

import { serve, type ServeHandler, type ServeOptions } from "../server/serve.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A response as read off the wire. */
export interface RawResponse {
  status: number;
  /** Lowercased names; repeated fields joined with ", ". */
  headers: Map<string, string>;
  body: string;
  /** The exact head text, for checks on what is (not) there. */
  head: string;
}

/** One connection, read through a buffer so pipelined responses can be taken one by one. */
export class RawHttp {
  readonly conn: Deno.Conn;
  #buffer = new Uint8Array(0);
  #eof = false;

  private constructor(conn: Deno.Conn) {
    this.conn = conn;
  }

  static async connect(port: number): Promise<RawHttp> {
    return new RawHttp(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  async send(text: string | Uint8Array): Promise<void> {
    const bytes = typeof text === "string" ? encoder.encode(text) : text;
    let offset = 0;
    while (offset < bytes.length) offset += await this.conn.write(bytes.subarray(offset));
  }

  /** Read more bytes; false at the end of the stream (or a reset). */
  async #more(): Promise<boolean> {
    if (this.#eof) return false;
    const chunk = new Uint8Array(64 * 1024);
    let n: number | null;
    try {
      n = await this.conn.read(chunk);
    } catch {
      n = null;
    }
    if (n === null) {
      this.#eof = true;
      return false;
    }
    const joined = new Uint8Array(this.#buffer.length + n);
    joined.set(this.#buffer);
    joined.set(chunk.subarray(0, n), this.#buffer.length);
    this.#buffer = joined;
    return true;
  }

  #take(n: number): Uint8Array {
    const taken = this.#buffer.slice(0, n);
    this.#buffer = this.#buffer.slice(n);
    return taken;
  }

  async #line(): Promise<string> {
    while (true) {
      const index = this.#buffer.indexOf(0x0a);
      if (index !== -1) return decoder.decode(this.#take(index + 1)).replace(/\r\n$/, "");
      if (!await this.#more()) throw new Error("Connection closed mid-line");
    }
  }

  async #bytes(n: number): Promise<Uint8Array> {
    while (this.#buffer.length < n) {
      if (!await this.#more()) throw new Error("Connection closed mid-body");
    }
    return this.#take(n);
  }

  /** Read a response head: status line and fields. */
  async head(): Promise<Omit<RawResponse, "body">> {
    const lines: string[] = [];
    while (true) {
      const line = await this.#line();
      if (line === "") break;
      lines.push(line);
    }
    const status = Number(lines[0]!.split(" ")[1]);
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
    }
    return { status, headers, head: lines.join("\r\n") };
  }

  /**
   * Read one response. `bodiless` for answers to HEAD (and 1xx, 204, 304,
   * which are bodiless anyway); a body with neither length nor chunked
   * coding is read to the end of the stream.
   */
  async response(options: { bodiless?: boolean } = {}): Promise<RawResponse> {
    const head = await this.head();
    const { status, headers } = head;
    let body = "";
    if (
      options.bodiless || status < 200 || status === 204 || status === 304
    ) {
      body = "";
    } else if (headers.get("transfer-encoding")?.toLowerCase() === "chunked") {
      while (true) {
        const size = parseInt((await this.#line()).split(";")[0]!, 16);
        if (size === 0) {
          while ((await this.#line()) !== "");
          break;
        }
        body += decoder.decode(await this.#bytes(size));
        await this.#bytes(2);
      }
    } else if (headers.has("content-length")) {
      body = decoder.decode(await this.#bytes(Number(headers.get("content-length"))));
    } else {
      while (await this.#more());
      body = decoder.decode(this.#take(this.#buffer.length));
    }
    return { ...head, body };
  }

  /** Resolves true once the server closed the connection (reading and dropping what comes). */
  async closed(): Promise<boolean> {
    while (await this.#more()) this.#take(this.#buffer.length);
    return true;
  }

  close(): void {
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
  }
}

/** A promise that rejects after `ms` with `what` in its message: a deadline for a signal that must come. */
export function deadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Read from `conn` until the bytes after an upgrade's 101 head number at
 * least `after` (frames sent with or after it); within 10 s. Returns the
 * head (latin1) and those bytes.
 */
export async function readUpgrade(
  conn: Deno.Conn,
  after: number,
): Promise<{ head: string; rest: Uint8Array }> {
  let received = new Uint8Array(0);
  const buffer = new Uint8Array(4096);
  const read = async () => {
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) throw new Error("closed before the 101 and what follows it");
      received = new Uint8Array([...received, ...buffer.subarray(0, n)]);
      const end = new TextDecoder("latin1").decode(received).indexOf("\r\n\r\n");
      if (end !== -1 && received.length >= end + 4 + after) {
        return {
          head: new TextDecoder("latin1").decode(received.subarray(0, end + 4)),
          rest: received.subarray(end + 4),
        };
      }
    }
  };
  return await deadline(read(), 10_000, `the 101 and ${after} bytes after it`);
}

/** Run `body` against a server on a free loopback port, then shut it down. */
export async function withServer(
  handler: ServeHandler,
  body: (port: number) => Promise<void>,
  options: Partial<ServeOptions> = {},
): Promise<void> {
  const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {}, ...options }, handler);
  try {
    await body(server.addr.port);
  } finally {
    await server.shutdown();
  }
}

/** Answers `METHOD /path` for any request. */
export const hello: ServeHandler = (request) =>
  new Response(`${request.method} ${new URL(request.url).pathname}`);
