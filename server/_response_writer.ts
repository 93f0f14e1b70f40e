/**
 * Writes a `Response` on an HTTP/1.1 connection: the head, then the body
 * with `Content-Length` when it is all there at once (a string, bytes,
 * JSON...), `chunked` when it streams, each write awaited so the socket's
 * backpressure reaches the body's source. Not exported from `mod.ts`.
 *
 * @module
 */

import { latin1Encode } from "../http/_http_syntax.ts";
import { chunkHead, CRLF, LAST_CHUNK } from "../http/chunked.ts";
import { reasonPhrase } from "../http/http_head.ts";
import { concatBytes } from "../http/_bytes.ts";

/** Body bytes gathered before the head is sent, to send them with a length in one write. */
const _GATHER_LIMIT = 64 * 1024;
/** Bodies up to this size go out in one write with the head; larger ones after it, uncopied. */
const _JOIN_LIMIT = 16 * 1024;
/**
 * Microtask turns a read may take and still count as "there at once": the
 * bodies of `Response`s made from in-memory values settle in 1 to ~20 (a
 * FormData), while one fed by a timer or by I/O takes a macrotask.
 */
const _SOON_TURNS = 64;

export class _ResponseWriter {
  readonly #write: (bytes: Uint8Array, complete?: boolean) => Promise<void>;
  readonly #head: boolean;
  readonly #http10: boolean;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #cancelled = false;
  /** Whether the connection may go on after this response. */
  keepAlive = true;

  /**
   * @param write Writes all of the bytes; rejects when the client is gone.
   * `complete` marks the last write of a response after which the
   * connection goes on: the writer may hold it to join the next response
   * (pipelined requests answered in one system call).
   * @param head Whether this answers a HEAD request (no body is sent).
   * @param http10 Whether the client speaks HTTP/1.0 (no chunked coding).
   */
  constructor(
    write: (bytes: Uint8Array, complete?: boolean) => Promise<void>,
    head: boolean,
    http10: boolean,
  ) {
    this.#write = write;
    this.#head = head;
    this.#http10 = http10;
  }

  /** Stop: the body's stream is cancelled and `write` resolves `false`. */
  cancel(reason: unknown): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#reader?.cancel(reason).catch(() => {});
  }

  /**
   * Send `response`. Resolves `true` once all of it was written, `false`
   * when the client went away or the body failed midway (the connection
   * must then close). Never rejects.
   */
  async write(response: Response, keepAlive: boolean): Promise<boolean> {
    let status = response.status;
    if (status < 200) {
      // A 1xx other than an upgrade's 101 cannot end a request.
      console.error(`serve: the handler returned status ${status}, which ends no request`);
      response = new Response("Internal Server Error\n", { status: 500 });
      status = 500;
    }
    let close = !keepAlive;
    let declared = -1;
    let fields = "";
    let dated = false;
    // forEach, not for-of: Deno's Headers iterator costs several times more.
    response.headers.forEach((value, name) => {
      switch (name) {
        case "content-length":
          declared = /^[0-9]{1,15}$/.test(value) ? Number(value) : -1;
          return;
        case "transfer-encoding":
        case "keep-alive":
          return;
        case "connection":
          if (/(?:^|,)[ \t]*close[ \t]*(?:,|$)/i.test(value)) close = true;
          return;
        case "date":
          dated = true;
      }
      fields += `${name}: ${value}\r\n`;
    });
    if (!dated) fields += `date: ${_date()}\r\n`;
    const statusLine = `HTTP/1.1 ${status} ${response.statusText || reasonPhrase(status)}\r\n`;
    const body = response.body;
    const bodiless = status === 204 || status === 304;
    if (body === null || bodiless) {
      if (body !== null) body.cancel().catch(() => {});
      if (!bodiless) fields += "content-length: 0\r\n";
      this.keepAlive = !close;
      return await this.#send(statusLine, fields, close, _NONE);
    }
    if (this.#head && declared !== -1) {
      // HEAD: the head a GET would get, without the body.
      body.cancel().catch(() => {});
      this.keepAlive = !close;
      return await this.#send(statusLine, `${fields}content-length: ${declared}\r\n`, close, _NONE);
    }
    const reader = body.getReader();
    this.#reader = reader;
    try {
      if (declared !== -1) return await this.#sendDeclared(statusLine, fields, close, declared);
      // Gather what the body has at once: all of it, usually.
      const gathered: Uint8Array[] = [];
      let size = 0;
      let next = reader.read();
      let result = await next;
      while (!result.done) {
        gathered.push(result.value);
        size += result.value.length;
        next = reader.read();
        if (size > _GATHER_LIMIT || !await _settlesSoon(next)) break;
        result = await next;
      }
      if (result.done) {
        fields += `content-length: ${size}\r\n`;
        this.keepAlive = !close;
        return await this.#send(statusLine, fields, close, this.#head ? _NONE : gathered);
      }
      if (this.#cancelled) return false;
      if (this.#head) {
        // A streamed body's length is unknown: HEAD gets neither length nor coding.
        reader.cancel().catch(() => {});
        this.keepAlive = !close;
        return await this.#send(statusLine, fields, close, _NONE);
      }
      if (this.#http10) {
        // No chunked coding in HTTP/1.0: the body ends where the connection does.
        this.keepAlive = false;
        if (!await this.#send(statusLine, fields, true, gathered, false)) return false;
        while (true) {
          const { done, value } = await next;
          if (done) return !this.#cancelled;
          await this.#write(value);
          next = reader.read();
        }
      }
      fields += "transfer-encoding: chunked\r\n";
      this.keepAlive = !close;
      if (!await this.#send(statusLine, fields, close, [], false)) return false;
      if (size > 0) {
        await this.#writeChunk(gathered.length === 1 ? gathered[0]! : concatBytes(gathered, size));
      }
      while (true) {
        const { done, value } = await next;
        if (done) break;
        if (value.length > 0) await this.#writeChunk(value);
        next = reader.read();
      }
      if (this.#cancelled) return false;
      await this.#write(LAST_CHUNK);
      return true;
    } catch (error) {
      if (!this.#cancelled) {
        // The client left (a write failed) or the body's stream failed.
        if (
          !(error instanceof Deno.errors.BrokenPipe || error instanceof Deno.errors.ConnectionReset)
        ) {
          console.error("serve: the response body failed:", error);
        }
        reader.cancel(error).catch(() => {});
      }
      return false;
    }
  }

  /** A body whose length the handler declared: sent as is, cut (and the connection closed) if it differs. */
  async #sendDeclared(
    statusLine: string,
    fields: string,
    close: boolean,
    declared: number,
  ): Promise<boolean> {
    const reader = this.#reader!;
    this.keepAlive = !close;
    if (
      !await this.#send(statusLine, `${fields}content-length: ${declared}\r\n`, close, _NONE, false)
    ) {
      return false;
    }
    let left = declared;
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      if (value.length > left) {
        if (left > 0) await this.#write(value.subarray(0, left));
        reader.cancel().catch(() => {});
        console.error(`serve: the response body is longer than its Content-Length ${declared}`);
        this.keepAlive = false;
        return true;
      }
      left -= value.length;
      await this.#write(value);
    }
    if (left > 0) {
      console.error(`serve: the response body is shorter than its Content-Length ${declared}`);
      return false;
    }
    return true;
  }

  /** The head (and the gathered body) in one write. */
  async #send(
    statusLine: string,
    fields: string,
    close: boolean,
    body: Uint8Array[],
    complete = true,
  ): Promise<boolean> {
    if (this.#cancelled) return false;
    let head = statusLine + fields;
    if (close) head += "connection: close\r\n";
    else if (this.#http10) head += "connection: keep-alive\r\n";
    const headBytes = latin1Encode(head + "\r\n");
    let size = 0;
    for (const part of body) size += part.length;
    const last = complete && !close;
    if (size === 0) {
      await this.#write(headBytes, last);
    } else if (size <= _JOIN_LIMIT) {
      await this.#write(concatBytes([headBytes, ...body], headBytes.length + size), last);
    } else {
      await this.#write(headBytes);
      for (const part of body) await this.#write(part);
    }
    return true;
  }

  async #writeChunk(data: Uint8Array): Promise<void> {
    const head = chunkHead(data.length);
    if (data.length <= _JOIN_LIMIT) {
      const bytes = new Uint8Array(head.length + data.length + 2);
      bytes.set(head);
      bytes.set(data, head.length);
      bytes.set(CRLF, head.length + data.length);
      await this.#write(bytes);
    } else {
      await this.#write(head);
      await this.#write(data);
      await this.#write(CRLF);
    }
  }
}

const _NONE: Uint8Array[] = [];

/** Whether `promise` settles within a few microtask turns (no macrotask). */
async function _settlesSoon(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(() => settled = true, () => settled = true);
  for (let turn = 0; turn < _SOON_TURNS && !settled; turn++) await null;
  return settled;
}

let _dateSecond = -1;
let _dateValue = "";

/** The `Date` header's value (RFC 9110 §6.6.1), made once a second. */
function _date(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== _dateSecond) {
    _dateSecond = second;
    _dateValue = new Date(now).toUTCString();
  }
  return _dateValue;
}
