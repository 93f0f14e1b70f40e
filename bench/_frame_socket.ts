/**
 * The lean load generator's socket: RFC 6455 client framing written straight
 * to a `Deno.Conn`, for `bench/echo_load.ts --client frames`.
 *
 * A load generator that spends more CPU per message than the server it drives
 * measures itself. Deno's native `WebSocket` client costs about 7 µs of CPU
 * per 64 B round trip here, more than this module's server spends (about
 * 6 µs), so with two cores the client saturates first and every fast server
 * looks alike. This socket does the least a correct client must do:
 *
 * - frames are masked with a fresh key per frame from `crypto.getRandomValues`
 *   (RFC 6455 §5.3), every frame, like any browser;
 * - every send made while handling one read goes out in one write;
 * - server frames are parsed incrementally (any split across reads) and each
 *   message's length, opcode and FIN bit are checked, but its payload is never
 *   copied or turned into an object: only its length reaches `onmessage`.
 *
 * It has the small part of the `WebSocket` surface that `echo_load.ts` uses
 * (`onopen`, `onmessage`, `onclose`, `onerror`, `send`, `close`,
 * `readyState`), so the same measuring loop drives it and the real clients.
 * It never offers extensions, like Deno's native client.
 *
 * @module
 */
import { maskInto, MaskKeyGenerator } from "../masking/mod.ts";
import { computeAcceptKey, generateKey } from "../handshake/mod.ts";

/** What `onmessage` receives: the message's length only (−1 for a frame that is not a whole binary message). */
export interface FrameSocketMessage {
  data: { byteLength: number };
}

const _CONNECTING = 0;
const _OPEN = 1;
const _CLOSING = 2;
const _CLOSED = 3;

const _encoder = new TextEncoder();

/**
 * A WebSocket client connection for load generation. See the module docs.
 *
 * @example
 * ```ts ignore
 * const socket = new FrameSocket("ws://127.0.0.1:9001/");
 * socket.onopen = () => socket.send(new Uint8Array(64));
 * socket.onmessage = (event) => console.log(event.data.byteLength);
 * ```
 */
export class FrameSocket {
  binaryType = "arraybuffer";
  onopen: (() => void) | null = null;
  onmessage: ((event: FrameSocketMessage) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  readyState = _CONNECTING;

  #conn: Deno.Conn | undefined;
  #keys = new MaskKeyGenerator();
  #key = new Uint8Array(4);
  // Outgoing frames not yet handed to the kernel; swapped with #spare per write.
  #out = new Uint8Array(4096);
  #outLength = 0;
  #spare = new Uint8Array(4096);
  #writing = false;
  #flushQueued = false;
  // End offsets of the frames in #out, when each frame gets its own write.
  #ends: number[] = [];
  #spareEnds: number[] = [];
  #writePerFrame: boolean;
  // Incoming frame parser: a partial header, then the payload bytes left.
  #head = new Uint8Array(14);
  #headLength = 0;
  #remaining = 0;
  #opcodeFin = 0;
  #frameLength = 0;
  #event: FrameSocketMessage = { data: { byteLength: 0 } };
  #closeFired = false;
  #finishAfterFlush = false;

  /**
   * @param url `ws://host:port/path`.
   * @param writePerFrame One `write` per frame, as browsers and Deno's client
   * do (default), or one per batch of sends made in the same task.
   */
  constructor(url: string, writePerFrame = true) {
    this.#writePerFrame = writePerFrame;
    void this.#run(new URL(url)).catch(() => this.#fail());
  }

  /** Queue one binary message as a single masked frame. */
  send(payload: Uint8Array): void {
    if (this.readyState !== _OPEN) return;
    this.#frame(0x82, payload);
  }

  /** Send a close frame (code 1000) and close the TCP connection once the server answers. */
  close(code = 1000): void {
    if (this.readyState !== _OPEN) {
      if (this.readyState === _CONNECTING) this.#fail();
      return;
    }
    this.readyState = _CLOSING;
    this.#frame(0x88, new Uint8Array([code >> 8, code & 0xff]));
  }

  async #run(url: URL): Promise<void> {
    const port = Number(url.port || "80");
    const conn = await Deno.connect({ hostname: url.hostname, port });
    this.#conn = conn;
    conn.setNoDelay(true);
    const key = generateKey();
    await this.#writeAll(_encoder.encode(
      `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n` +
        `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\n` +
        `Sec-WebSocket-Version: 13\r\n\r\n`,
    ));
    const buffer = new Uint8Array(256 * 1024);
    let filled = 0;
    let headEnd = -1;
    while (headEnd === -1) {
      const n = await conn.read(buffer.subarray(filled));
      if (n === null) throw new Error("closed during the handshake");
      filled += n;
      headEnd = _find(buffer.subarray(0, filled), "\r\n\r\n");
      if (headEnd === -1 && filled > 8192) throw new Error("response head too long");
    }
    const head = new TextDecoder().decode(buffer.subarray(0, headEnd));
    const accept = head.match(/\r\nsec-websocket-accept:\s*(\S+)/i)?.[1];
    if (!head.startsWith("HTTP/1.1 101 ") || accept !== computeAcceptKey(key)) {
      throw new Error(`not a WebSocket upgrade: ${head.split("\r\n")[0]}`);
    }
    this.readyState = _OPEN;
    this.onopen?.();
    this.#parse(buffer, headEnd + 4, filled);
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      this.#parse(buffer, 0, n);
      if (this.#closeFired || this.#finishAfterFlush) return;
    }
    this.#finish();
  }

  #parse(buffer: Uint8Array, start: number, end: number): void {
    let i = start;
    while (i < end) {
      if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, end - i);
        this.#remaining -= take;
        i += take;
        if (this.#remaining === 0) this.#complete();
        continue;
      }
      // RFC 6455 §5.2: 2 bytes, then 2 or 8 of extended length; servers never mask.
      const head = this.#head;
      head[this.#headLength++] = buffer[i++]!;
      if (this.#headLength < 2) continue;
      const short = head[1]! & 0x7f;
      const needed = short === 126 ? 4 : short === 127 ? 10 : 2;
      if (this.#headLength < needed) continue;
      let length = short;
      if (short === 126) length = (head[2]! << 8) | head[3]!;
      else if (short === 127) {
        length = (head[6]! * 2 ** 24) + ((head[7]! << 16) | (head[8]! << 8) | head[9]!);
      }
      this.#opcodeFin = (head[1]! & 0x80) === 0 ? head[0]! : -1;
      this.#frameLength = length;
      this.#remaining = length;
      this.#headLength = 0;
      if (length === 0) this.#complete();
    }
  }

  #complete(): void {
    const opcodeFin = this.#opcodeFin;
    if (opcodeFin === 0x88) {
      // The server's close frame: answer it if we did not start, then hang up.
      if (this.readyState === _OPEN) {
        this.readyState = _CLOSING;
        this.#frame(0x88, new Uint8Array(0));
        this.#finishAfterFlush = true;
      } else {
        this.#finish();
      }
      return;
    }
    const event = this.#event;
    event.data.byteLength = opcodeFin === 0x82 ? this.#frameLength : -1;
    this.onmessage?.(event);
  }

  #frame(opcodeFin: number, payload: Uint8Array): void {
    const length = payload.length;
    const headerLength = (length < 126 ? 2 : length < 65536 ? 4 : 10) + 4;
    const needed = this.#outLength + headerLength + length;
    if (needed > this.#out.length) {
      let size = this.#out.length;
      while (size < needed) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.#out.subarray(0, this.#outLength));
      this.#out = grown;
    }
    const out = this.#out;
    let at = this.#outLength;
    out[at++] = opcodeFin;
    if (length < 126) {
      out[at++] = 0x80 | length;
    } else if (length < 65536) {
      out[at++] = 0x80 | 126;
      out[at++] = length >> 8;
      out[at++] = length & 0xff;
    } else {
      out[at++] = 0x80 | 127;
      out.fill(0, at, at + 4);
      out[at + 4] = length >>> 24;
      out[at + 5] = (length >> 16) & 0xff;
      out[at + 6] = (length >> 8) & 0xff;
      out[at + 7] = length & 0xff;
      at += 8;
    }
    const key = this.#key;
    this.#keys.nextInto(key, 0);
    out[at++] = key[0]!;
    out[at++] = key[1]!;
    out[at++] = key[2]!;
    out[at++] = key[3]!;
    if (length < 256) {
      for (let j = 0; j < length; j++) out[at + j] = payload[j]! ^ key[j & 3]!;
    } else {
      maskInto(payload, out.subarray(at, at + length), key);
    }
    this.#outLength = at + length;
    if (this.#writePerFrame) this.#ends.push(this.#outLength);
    if (!this.#flushQueued && !this.#writing) {
      this.#flushQueued = true;
      queueMicrotask(() => void this.#flush());
    }
  }

  async #flush(): Promise<void> {
    this.#flushQueued = false;
    if (this.#writing) return;
    this.#writing = true;
    try {
      while (this.#outLength > 0 && this.#conn !== undefined) {
        const batch = this.#out.subarray(0, this.#outLength);
        const ends = this.#ends;
        [this.#out, this.#spare] = [this.#spare, this.#out];
        [this.#ends, this.#spareEnds] = [this.#spareEnds, this.#ends];
        this.#outLength = 0;
        if (ends.length === 0) {
          await this.#writeAll(batch);
        } else {
          let start = 0;
          for (const end of ends) {
            await this.#writeAll(batch.subarray(start, end));
            start = end;
          }
          ends.length = 0;
        }
      }
    } catch {
      this.#fail();
    } finally {
      this.#writing = false;
    }
    if (this.#finishAfterFlush) this.#finish();
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    let written = 0;
    while (written < bytes.length) written += await this.#conn!.write(bytes.subarray(written));
  }

  #finish(): void {
    if (this.#closeFired) return;
    this.#closeFired = true;
    const wasOpen = this.readyState !== _CONNECTING;
    this.readyState = _CLOSED;
    try {
      this.#conn?.close();
    } catch {
      // Already closed.
    }
    if (!wasOpen) this.onerror?.();
    this.onclose?.();
  }

  #fail(): void {
    if (this.#closeFired) return;
    if (this.readyState === _CONNECTING) {
      this.#finish();
      return;
    }
    this.onerror?.();
    this.#finish();
  }
}

/** Index of `text` (ASCII) in `bytes`, or −1. */
function _find(bytes: Uint8Array, text: string): number {
  outer: for (let i = 0; i + text.length <= bytes.length; i++) {
    for (let j = 0; j < text.length; j++) {
      if (bytes[i + j] !== text.charCodeAt(j)) continue outer;
    }
    return i;
  }
  return -1;
}
