/**
 * One HTTP/1.1 connection of {@linkcode serve}: the thin I/O loop around
 * the sans-I/O codec of `http/`. Requests are read and answered one at a
 * time, in order (pipelined requests wait in the read buffer), until the
 * connection is closed or upgraded. Not exported from `mod.ts`.
 *
 * @module
 */

import type { ByteDuplex } from "../connection/duplex.ts";
import type { WebSocketConnection } from "../connection/websocket_connection.ts";
import { ChunkedDecoder } from "../http/chunked.ts";
import { HeadScanner } from "../http/head_scanner.ts";
import { HttpHeadError, HttpHeadErrorCode } from "../errors/http_head_error.ts";
import { type RequestFraming, requestFraming } from "../http/message_framing.ts";
import { type ParsedRequestHead, parseRequestHead } from "../http/request_head.ts";
import { _DenoConnDuplex } from "./_deno_conn_duplex.ts";
import { _noDelay } from "./_no_delay.ts";
import { _ResponseWriter } from "./_response_writer.ts";
import { _completeUpgrade, _failUpgrade } from "./_upgrade_handoff.ts";
import { _ServerRequest, type _UpgradeSlot } from "./_upgrade_slot.ts";
import {
  type NetAddr,
  SERVE_DEFAULTS,
  type ServeHandler,
  type ServeHandlerInfo,
  type ServeOptions,
} from "./serve_options.ts";
import { concatBytes } from "../http/_bytes.ts";
import { _lingeringClose } from "../connection/_linger.ts";

/** What every connection of one server shares. */
export interface _ServerContext {
  handler: ServeHandler;
  options: ServeOptions;
  secure: boolean;
  stopping(): boolean;
  connected(connection: WebSocketConnection): void;
  disconnected(connection: WebSocketConnection): void;
  /** The connection is no longer HTTP (closed or upgraded). */
  released(http: _HttpConnection): void;
}

/**
 * Bytes read at once: a connection starts with 4 KiB, room for a request
 * head or a pipelined batch of them, and moves to 16 KiB after a read that
 * filled it (a body). 16 KiB from the start held 16 KiB of memory per
 * handshake in flight: a burst of 200 upgrades left about 2 KiB more RSS
 * per idle WebSocket (5,000 from Deno's client: 21.0 KiB each against 19.1
 * with 4 KiB; Deno native 19.5). Also the most a pipelining client can make
 * us hold beyond a head.
 */
const _READ_SIZE = 4 * 1024;
const _READ_SIZE_BULK = 16 * 1024;
/**
 * Read buffers of upgraded connections, for the next connections: a fresh
 * buffer costs several µs on Deno (zeroing, and the garbage collector's
 * share) in a handshake and close cycle. At most this many are kept.
 */
const _POOLED_BUFFERS = 32;
const _readBuffers: Uint8Array[] = [];
/** An unread request body up to this size is read and dropped to keep the connection. */
const _DRAIN_LIMIT = 64 * 1024;

const _CONTINUE = new TextEncoder().encode("HTTP/1.1 100 Continue\r\n\r\n");

/** 413: a body over `maxBodySize`, announced or as it arrives. */
function _bodyTooLarge(max: number): HttpHeadError {
  return new HttpHeadError(
    413,
    HttpHeadErrorCode.TooLarge,
    `Request body larger than ${max} bytes`,
  );
}
const _EMPTY = new Uint8Array(0);
const _DONE = Promise.resolve();
/** The most response bytes held to answer pipelined requests in one write. */
const _CORK_LIMIT = 64 * 1024;

/** The connection's phase, which decides what shutdown does to it. */
type _Phase = "idle" | "head" | "active" | "done";

/** A request's body as it comes off the connection. */
interface _Body {
  framing: RequestFraming;
  /** Bytes left (Content-Length), or the chunked decoder. */
  remaining: number;
  chunked: ChunkedDecoder | undefined;
  done: boolean;
  received: number;
  /** The stream handed to the handler, if any (not for GET and HEAD). */
  controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  /** Set when the body broke a rule (413, 400): the connection closes after the response. */
  error: HttpHeadError | undefined;
  continueSent: boolean;
}

/** Per request: the `info` the handler gets, with `completed` made only when asked for. */
class _Info implements ServeHandlerInfo {
  readonly remoteAddr: NetAddr;
  #completed: Promise<void> | undefined;
  #resolve: (() => void) | undefined;
  #done = false;

  constructor(remoteAddr: NetAddr) {
    this.remoteAddr = remoteAddr;
  }

  get completed(): Promise<void> {
    if (this.#completed === undefined) {
      this.#completed = this.#done
        ? Promise.resolve()
        : new Promise<void>((resolve) => this.#resolve = resolve);
    }
    return this.#completed;
  }

  _complete(): void {
    this.#done = true;
    this.#resolve?.();
  }
}

export class _HttpConnection {
  readonly #conn: Deno.Conn;
  readonly #context: _ServerContext;
  readonly #remoteAddr: NetAddr;
  #buffer = _readBuffers.pop() ?? new Uint8Array(_READ_SIZE);
  /** Unconsumed bytes are `#buffer[#start, #end)`. */
  #start = 0;
  #end = 0;
  /** The read in progress (at most one), resolving with its byte count or null at the end. */
  #reading: Promise<number | null> | undefined;
  #eof = false;
  #phase: _Phase = "idle";
  #closed = false;
  /** The request being answered: its signal aborts when the client goes away. */
  #request: _ServerRequest | undefined;
  #writer: _ResponseWriter | undefined;
  /** Responses held to be written with the next (see `#write`). */
  #out: Uint8Array[] = [];
  #outSize = 0;
  /** An error response being written (then a lingering close), if any. */
  #failing: Promise<void> | undefined;
  /** When the head being waited for is late (ms since the epoch), or 0. */
  #deadline = 0;
  /** Whether the head being waited for is the connection's first. */
  #first = true;
  #shutdownTimer: ReturnType<typeof setTimeout> | undefined;
  /** What `shutdown` returns: made only when asked for (most connections never are). */
  #ended: Promise<void> | undefined;
  #finished: (() => void) | undefined;
  #done = false;

  constructor(conn: Deno.Conn, context: _ServerContext) {
    this.#conn = conn;
    this.#context = context;
    this.#remoteAddr = conn.remoteAddr as NetAddr;
    _noDelay(conn);
  }

  /** Serve requests until the connection closes or is upgraded. */
  run(): void {
    void this.#loop();
  }

  /** No longer HTTP: `shutdown` has nothing left to wait for. */
  #released(): void {
    this.#done = true;
    this.#finished?.();
  }

  /** Stop after the response in progress; close at once when idle or mid-head. */
  shutdown(): Promise<void> {
    if (this.#phase === "idle" || this.#phase === "head") {
      this.#close();
    } else if (this.#phase === "active") {
      const ms = this.#context.options.shutdownTimeout ?? SERVE_DEFAULTS.shutdownTimeout;
      this.#shutdownTimer = setTimeout(() => {
        this.#abortRequest(new Error("The server shut down before the response was complete"));
        this.#close();
      }, ms);
    }
    return this.#ended ??= this.#done
      ? _DONE
      : new Promise<void>((resolve) => this.#finished = resolve);
  }

  /**
   * Serve requests until the connection closes or is upgraded; never
   * rejects. Its own cleanup, rather than a `catch` and a `finally` or a
   * wrapping async method: one promise and generator less per connection.
   */
  async #loop(): Promise<void> {
    try {
      const options = this.#context.options;
      let first = true;
      while (!this.#closed) {
        if (this.#context.stopping()) return await this.#flushAndClose();
        const lines = await this.#readHead(first);
        first = false;
        if (lines === undefined) return;
        let framing: RequestFraming;
        let head;
        try {
          head = parseRequestHead(lines, { absoluteForm: true });
          framing = requestFraming(head);
          if (
            framing.body === "length" &&
            framing.length > (options.maxBodySize ?? SERVE_DEFAULTS.maxBodySize)
          ) {
            throw _bodyTooLarge(options.maxBodySize!);
          }
        } catch (error) {
          return await this.#fail(error);
        }
        this.#phase = "active";
        const made = this.#makeRequest(head, framing);
        if (made instanceof HttpHeadError) return await this.#fail(made);
        const { request, body } = made;
        const upgrade = framing.upgrade;
        const info = new _Info(this.#remoteAddr);
        this.#request = request;
        const slot = upgrade ? this.#slotFor(head.httpVersion) : _PLAIN_SLOT;
        if (upgrade) _ServerRequest.setSlot(request, slot);
        if (!upgrade && body.done) this.#watch();
        let response: Response;
        try {
          response = await this.#context.handler(request, info);
          if (!(response instanceof Response)) {
            throw new TypeError("The handler did not return a Response");
          }
        } catch (error) {
          _failUpgrade(slot, error);
          response = await this.#errorResponse(error, body);
        }
        if (upgrade) {
          // The request no longer leads to this connection (see _SPENT_SLOT),
          // from the moment the handler has answered: a late upgradeWebSocket
          // gets a socket that closes rather than one nobody opens.
          _ServerRequest.setSlot(request, _SPENT_SLOT);
          // Not a 101: _completeUpgrade has told the socket it will never open.
          const upgraded = await this.#upgrade(slot, response);
          if (upgraded) {
            this.#request = undefined;
            return;
          }
        }
        const keepAlive = await this.#respond(response, request, body, head.httpVersion, upgrade);
        info._complete();
        this.#request = undefined;
        if (!keepAlive || this.#closed) return this.#close();
        if (this.#shutdownTimer !== undefined || this.#context.stopping()) {
          return await this.#flushAndClose();
        }
        this.#phase = "idle";
      }
    } catch {
      // Answered or closed below.
    } finally {
      await this.#failing; // an error response being written, then a lingering close
      if (this.#phase !== "done") this.#close();
    }
  }

  /** The `Request` for a parsed head, with its body as a stream read from this connection. */
  #makeRequest(
    head: ParsedRequestHead,
    framing: RequestFraming,
  ): { request: _ServerRequest; body: _Body } | HttpHeadError {
    const body: _Body = {
      framing,
      remaining: framing.length,
      chunked: framing.body === "chunked"
        ? new ChunkedDecoder(this.#context.options.maxHeadSize ?? SERVE_DEFAULTS.maxHeadSize)
        : undefined,
      done: framing.body === "none",
      received: 0,
      controller: undefined,
      error: undefined,
      continueSent: false,
    };
    const method = head.method;
    // No init for a GET without a body (every upgrade): Deno's Request then
    // skips converting and applying one (about 1.5 µs).
    let init: RequestInit & { duplex?: "half" } | undefined;
    // GET and HEAD cannot carry a body in a Request: one sent anyway is read and dropped.
    if (method !== "GET") init = { method };
    if (init !== undefined && !body.done && method !== "HEAD") {
      init.body = new ReadableStream<Uint8Array>({
        start: (controller) => void (body.controller = controller),
        pull: (controller) => this.#pullBody(body, controller),
        cancel: () => void (body.controller = undefined),
      }, { highWaterMark: 0 });
      init.duplex = "half";
    }
    try {
      const url = this.#context.secure && head.target.startsWith("/")
        ? "https" + head.url.slice(4)
        : head.url;
      const request = new _ServerRequest(url, init, _PLAIN_SLOT);
      const headers = request.headers;
      const fields = head.fields;
      for (let i = 0; i < fields.length; i += 2) headers.append(fields[i]!, fields[i + 1]!);
      return { request, body };
    } catch (error) {
      return new HttpHeadError(400, HttpHeadErrorCode.Malformed, "Invalid request head", {
        cause: error,
      });
    }
  }

  /**
   * Read a request head: the lines, or `undefined` when the connection
   * ended or timed out while idle (closed quietly). Errors are answered.
   */
  async #readHead(first: boolean): Promise<string[] | undefined> {
    const options = this.#context.options;
    const scanner = new HeadScanner("request", {
      maxHeadSize: options.maxHeadSize ?? SERVE_DEFAULTS.maxHeadSize,
      maxHeaders: options.maxHeaders ?? SERVE_DEFAULTS.maxHeaders,
    });
    let started = false;
    const headTimeout = options.handshakeTimeout ?? SERVE_DEFAULTS.handshakeTimeout;
    this.#first = first;
    this.#deadline = Date.now() +
      (first ? headTimeout : options.keepAliveTimeout ?? SERVE_DEFAULTS.keepAliveTimeout);
    try {
      while (true) {
        if (this.#start === this.#end) {
          const n = await this.#fill();
          if (this.#closed || this.#phase === "active") return undefined; // timed out
          if (n === null) {
            if (started) {
              await this.#fail(
                new HttpHeadError(400, HttpHeadErrorCode.Closed, "Connection closed mid-head"),
              );
            }
            return undefined;
          }
        }
        if (!started) {
          started = true;
          this.#phase = "head";
          if (!first) this.#deadline = Date.now() + headTimeout;
        }
        const chunk = this.#buffer.subarray(this.#start, this.#end);
        let result;
        try {
          result = scanner.push(chunk, true);
        } catch (error) {
          await this.#fail(error);
          return undefined;
        }
        if (result === undefined) {
          this.#start = this.#end;
          continue;
        }
        this.#start = this.#end - result.leftover.length;
        return result.lines;
      }
    } finally {
      this.#deadline = 0;
    }
  }

  /**
   * Called by the server's shared timer (one for all connections, rather
   * than a timer armed and cleared per request): a head not received by
   * its deadline gets a 408; an idle kept-alive connection just closes.
   */
  tick(now: number): void {
    if (this.#deadline === 0 || now < this.#deadline) return;
    this.#deadline = 0;
    if (this.#phase === "idle" && !this.#first) return this.#close();
    void this.#fail(
      new HttpHeadError(408, HttpHeadErrorCode.Timeout, "Timed out reading the request head"),
    );
  }

  /** Read more into the (empty) buffer; the same read is shared by whoever waits. */
  #fill(): Promise<number | null> {
    if (this.#reading !== undefined) return this.#reading;
    if (this.#eof || this.#closed) return Promise.resolve(null);
    if (this.#outSize > 0) {
      // Held responses go out before we wait for more requests.
      const flushed: Promise<number | null> = this.#flush().then(() => {
        this.#reading = undefined;
        return this.#fill();
      }, () => {
        this.#reading = undefined;
        this.#eof = true;
        return null;
      });
      return this.#reading = flushed;
    }
    // The last read filled the small buffer: a body is coming, and the
    // next reads take 16 KiB.
    if (this.#end === _READ_SIZE && this.#buffer.length === _READ_SIZE) {
      this.#buffer = new Uint8Array(_READ_SIZE_BULK);
    }
    this.#start = this.#end = 0;
    const reading = this.#conn.read(this.#buffer).then((n) => {
      this.#reading = undefined;
      if (n === null) this.#eof = true;
      else this.#end = n;
      return n;
    }, () => {
      this.#reading = undefined;
      this.#eof = true;
      return null;
    });
    this.#reading = reading;
    return reading;
  }

  /**
   * While a response is in progress and the request was read whole, keep a
   * read pending: its end means the client left (abort the request), its
   * bytes are the next pipelined request (kept in the buffer).
   */
  #watch(): void {
    if (this.#start !== this.#end || this.#reading !== undefined) return;
    void this.#fill().then((n) => {
      if (n !== null) return;
      const reason = new Error("The client closed the connection");
      this.#abortRequest(reason);
      this.#writer?.cancel(reason);
    });
  }

  #pullBody(body: _Body, controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    return this.#readBody(body).then((chunk) => {
      if (body.controller === undefined) return; // cancelled meanwhile
      if (chunk !== undefined && chunk.length > 0) controller.enqueue(chunk);
      if (body.done) {
        body.controller = undefined;
        controller.close();
        if (this.#phase === "active") this.#watch();
      }
    }, (error) => {
      body.controller = undefined;
      controller.error(error);
    });
  }

  /**
   * The next piece of the body (a copy), or `undefined` once it is done.
   * @throws {HttpHeadError} 400 for a malformed chunked body or a connection
   * that ended early, 413 past `maxBodySize`.
   */
  async #readBody(body: _Body): Promise<Uint8Array | undefined> {
    if (body.framing.expectContinue && !body.continueSent && this.#writer === undefined) {
      body.continueSent = true;
      await this.#write(_CONTINUE);
    }
    while (!body.done) {
      if (this.#start === this.#end) {
        const n = await this.#fill();
        if (n === null) {
          throw body.error = new HttpHeadError(
            400,
            HttpHeadErrorCode.Closed,
            "Connection closed before the request body was complete",
          );
        }
      }
      const available = this.#buffer.subarray(this.#start, this.#end);
      let chunk: Uint8Array;
      if (body.chunked === undefined) {
        const take = Math.min(body.remaining, available.length);
        chunk = available.slice(0, take);
        this.#start += take;
        body.remaining -= take;
        body.done = body.remaining === 0;
      } else {
        const parts: Uint8Array[] = [];
        try {
          this.#start += body.chunked.decode(available, parts);
        } catch (error) {
          throw body.error = error as HttpHeadError;
        }
        body.done = body.chunked.done;
        chunk = concatBytes(parts);
      }
      body.received += chunk.length;
      const max = this.#context.options.maxBodySize;
      if (max !== undefined && body.received > max) {
        throw body.error = _bodyTooLarge(max);
      }
      if (chunk.length > 0 || body.done) return chunk;
    }
    return undefined;
  }

  /** The slot that lets `upgradeWebSocket` take this connection over. */
  #slotFor(httpVersion: string): _UpgradeSlot {
    return new _ConnectionSlot(this, httpVersion, this.#context);
  }

  /** For the slot: the connection as the WebSocket's duplex. */
  _duplex(): ByteDuplex {
    return new _DenoConnDuplex(this.#conn);
  }

  /** For the slot: a copy of what was read past the upgrade request. */
  _leftover(): Uint8Array {
    return this.#start === this.#end ? _EMPTY : this.#buffer.slice(this.#start, this.#end);
  }

  /** Hand the connection to the WebSocket when `response` is its 101. */
  #upgrade(slot: _UpgradeSlot, response: Response): Promise<boolean> {
    // Promise callbacks rather than an async method: one layer less of
    // garbage on every upgrade.
    return _completeUpgrade(slot, response, (bytes) => this.#write(bytes)).then((upgraded) => {
      if (upgraded) {
        // From here on the WebSocket owns the conn (and tells `disconnected`),
        // and closes it: a shutdown timer armed while the handler ran must
        // not close it under the WebSocket's closing handshake.
        this.#phase = "done";
        clearTimeout(this.#shutdownTimer);
        this.#shutdownTimer = undefined;
        // No read is pending (an upgrade request has no body, the leftover is a
        // copy): the buffer goes to the next connection.
        if (_readBuffers.length < _POOLED_BUFFERS && this.#buffer.length === _READ_SIZE) {
          _readBuffers.push(this.#buffer);
        }
        this.#buffer = _EMPTY;
        this.#context.released(this);
        this.#released();
      }
      return upgraded;
    }, () => {
      this.#close();
      return true;
    });
  }

  /**
   * Send `response`; resolves with whether the connection may carry
   * another request.
   */
  async #respond(
    response: Response,
    request: Request,
    body: _Body,
    httpVersion: string,
    upgradeRequest: boolean,
  ): Promise<boolean> {
    let keepAlive = body.framing.keepAlive && !upgradeRequest && body.error === undefined &&
      !this.#context.stopping() && this.#shutdownTimer === undefined;
    // A body the handler left unread is dropped to keep the connection, if
    // it is small (or chunked) and the client is not waiting for a 100.
    if (
      !body.done &&
      (body.framing.expectContinue && !body.continueSent ||
        body.chunked === undefined && body.remaining > _DRAIN_LIMIT)
    ) {
      keepAlive = false;
    }
    const writer = new _ResponseWriter(
      (bytes, complete) => this.#write(bytes, complete),
      request.method === "HEAD",
      httpVersion === "HTTP/1.0",
    );
    this.#writer = writer;
    let sent: boolean;
    try {
      sent = await writer.write(response, keepAlive);
    } finally {
      this.#writer = undefined;
    }
    if (!sent) {
      this.#abortRequest(new Error("The response could not be sent"));
      return false;
    }
    if (!writer.keepAlive) keepAlive = false;
    // The request is over: its body stream, if still open, ends here.
    if (body.controller !== undefined) {
      try {
        body.controller.error(new Error("The response was sent before the body was read"));
      } catch {
        // Already closed.
      }
      body.controller = undefined;
    }
    if (!body.done) {
      if (!keepAlive) {
        await this.#linger();
        return false;
      }
      try {
        let dropped = 0;
        while (!body.done && dropped <= _DRAIN_LIMIT) {
          dropped += (await this.#readBody(body))?.length ?? 0;
        }
      } catch {
        return false;
      }
      if (!body.done) {
        await this.#linger();
        return false;
      }
    }
    return keepAlive;
  }

  /** The response for a handler that threw: `onError`'s, or a 500 (413 for a body over the limit). */
  async #errorResponse(error: unknown, body: _Body): Promise<Response> {
    // A body that broke the rules (400, 413) explains whatever the handler then threw.
    if (body.error !== undefined) {
      return new Response(`${body.error.message}\n`, { status: body.error.status });
    }
    const onError = this.#context.options.onError;
    if (onError === undefined) {
      console.error("serve: the handler failed:", error);
    } else {
      try {
        const response = await onError(error);
        if (response instanceof Response) return response;
      } catch (failure) {
        console.error("serve: onError failed:", failure);
      }
    }
    return new Response("Internal Server Error\n", { status: 500 });
  }

  /** Answer a bad request head with its status, then close. */
  #fail(error: unknown): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#phase = "active";
    return this.#failing ??= this.#answerAndClose(error);
  }

  async #answerAndClose(error: unknown): Promise<void> {
    const status = error instanceof HttpHeadError ? error.status : 400;
    const message = error instanceof Error ? error.message : "Bad request";
    const writer = new _ResponseWriter((bytes) => this.#write(bytes), false, false);
    this.#writer = writer;
    if (await writer.write(new Response(`${message}\n`, { status }), false)) await this.#linger();
    this.#close();
  }

  /**
   * Write `bytes`. The last write of a response that keeps the connection
   * is held while another pipelined request waits in the read buffer, so
   * that a batch of requests is answered in one system call (up to
   * 64 KiB); what is held goes out before anything else is written or read.
   */
  #write(bytes: Uint8Array, complete = false): Promise<void> {
    if (complete && this.#start < this.#end && this.#outSize + bytes.length <= _CORK_LIMIT) {
      this.#out.push(bytes);
      this.#outSize += bytes.length;
      return _DONE;
    }
    if (this.#outSize > 0) {
      this.#out.push(bytes);
      bytes = concatBytes(this.#out, this.#outSize + bytes.length);
      this.#out = [];
      this.#outSize = 0;
    }
    return this.#writeAll(bytes);
  }

  /** Write what is held (see `#write`). */
  #flush(): Promise<void> {
    if (this.#outSize === 0) return _DONE;
    return this.#write(_EMPTY);
  }

  /** Write all of `bytes` (a promise callback per write, not an async method's garbage). */
  #writeAll(bytes: Uint8Array): Promise<void> {
    if (bytes.length === 0) return _DONE;
    return this.#conn.write(bytes).then((n) => {
      if (n < bytes.length) return this.#writeAll(bytes.subarray(n));
    });
  }

  /** Close after an error response: the client may still be sending (see `_lingeringClose`). */
  #linger(): Promise<void> {
    const conn = this.#conn;
    return _lingeringClose({
      closeWrite: () => conn.closeWrite(),
      read: (buffer) => conn.read(buffer),
      close: () => this.#close(),
    }, this.#buffer);
  }

  #abortRequest(reason: unknown): void {
    if (this.#request !== undefined) _ServerRequest.abort(this.#request, reason);
  }

  async #flushAndClose(): Promise<void> {
    try {
      await this.#flush();
    } catch {
      // The client is gone.
    }
    this.#close();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#shutdownTimer);
    this.#abortRequest(new Error("The connection closed"));
    this.#writer?.cancel(new Error("The connection closed"));
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
    if (this.#phase !== "done") {
      this.#phase = "done";
      this.#context.released(this);
      this.#released();
    }
  }
}

/**
 * The slot of an upgrade request, while the handler answers it. A class
 * rather than an object literal with getters: on Deno such a literal costs
 * 1.2–3 µs and about 700 bytes each time it is made (its accessors are made
 * with it), the class 0.1 µs and 90 bytes.
 */
class _ConnectionSlot implements _UpgradeSlot {
  readonly #http: _HttpConnection;
  readonly httpVersion: string;
  upgrade: _UpgradeSlot["upgrade"] = undefined;
  // The server's own functions, shared by every connection: a closure made
  // here would keep this object alive as long as the WebSocket.
  readonly connected: _UpgradeSlot["connected"];
  readonly disconnected: _UpgradeSlot["disconnected"];

  constructor(http: _HttpConnection, httpVersion: string, context: _ServerContext) {
    this.#http = http;
    this.httpVersion = httpVersion;
    this.connected = context.connected;
    this.disconnected = context.disconnected;
  }

  get duplex(): ByteDuplex {
    return this.#http._duplex();
  }

  get leftover(): Uint8Array {
    return this.#http._leftover();
  }
}

/**
 * The slot of an upgrade request once the handler has answered. The
 * request may outlive its connection, and on Deno a `Request` survives
 * young-generation collections far more often than plain objects (about
 * 260 of its 2,200 bytes promoted per `Request` that nothing holds), taking
 * whatever it references along to the old generation: through its slot,
 * the whole connection (1.5–2 KB promoted per handshake and close cycle).
 * So it leads nowhere; an `upgradeWebSocket` called this late gets a
 * socket that fails without opening.
 */
const _SPENT_SLOT: _UpgradeSlot = {
  get duplex(): never {
    throw new Error("The response to this request was already chosen");
  },
  leftover: _EMPTY,
  httpVersion: "HTTP/1.1",
  get upgrade() {
    return undefined;
  },
  set upgrade(upgrade: _UpgradeSlot["upgrade"]) {
    upgrade?.reject(
      new Error("Cannot upgrade: the handler had already answered this request"),
    );
  },
  connected: () => {},
  disconnected: () => {},
};

/**
 * The slot of requests without an `Upgrade` header: shared, as nothing is
 * taken over (`upgradeWebSocket` answers them with the handshake's 400 or
 * 426, which it decides before it asks for the connection).
 */
const _PLAIN_SLOT: _UpgradeSlot = {
  get duplex(): never {
    throw new Error("A request without Upgrade has no connection to take over");
  },
  leftover: _EMPTY,
  httpVersion: "HTTP/1.1",
  connected: () => {},
  disconnected: () => {},
};
