/**
 * Node and Bun sockets for {@linkcode _connectWith} and the Node server:
 * `node:net`/`node:tls`, read from `'data'` events and written with
 * `socket.write`. Not exported from `mod.ts`.
 *
 * @module
 */

import * as net from "node:net";
import * as tls from "node:tls";
import type { ByteDuplex } from "../connection/duplex.ts";
import type { _SocketDriver, _TlsSettings } from "./_socket_connector.ts";

/** The Node driver. */
export const _nodeDriver: _SocketDriver<net.Socket> = {
  open(host, port, settings, _startTlsLater, signal) {
    const socket = settings === undefined
      ? net.connect({ host, port })
      : tls.connect({ host, port, ..._tlsOptions(host, settings) });
    return _whenConnected(socket, settings === undefined ? "connect" : "secureConnect", signal);
  },
  startTls(socket, settings, signal) {
    const secure = tls.connect({
      socket,
      host: settings.serverName,
      ..._tlsOptions(settings.serverName, settings),
    });
    return _whenConnected(secure, "secureConnect", signal);
  },
  read: _readOnce,
  write(socket, bytes) {
    return new Promise((resolve, reject) => {
      socket.write(bytes, (error) => error ? reject(error) : resolve());
    });
  },
  duplex: _nodeSocketDuplex,
  close(socket) {
    socket.destroy();
  },
};

/**
 * Bytes received from a Node socket and not yet read by the connection, past
 * which the socket is paused: Node then stops reading from the kernel once
 * its own buffer (the socket's `readableHighWaterMark`, 16 KiB on Node 20)
 * is full, and TCP flow control holds the peer. A connection that is not
 * reading (the application paused it, or a peer floods) holds at most this
 * plus one chunk (Node reads up to 64 KiB at a time). 64 KiB: above one
 * chunk, so that a connection reading into a small buffer (see
 * `connection/_byte_channel.ts`) does not pause and resume the socket.
 */
export const _READ_HIGH_WATER_MARK = 64 * 1024;

/** Where the socket's shared listeners find their duplex. */
const _OWNER: unique symbol = Symbol("nodeSocketDuplex");
type _OwnedSocket = net.Socket & { [_OWNER]?: _NodeSocketDuplex };

/**
 * A Node (or Bun) socket as a {@linkcode ByteDuplex} with the engine's fast
 * path: no web streams in between. `readChunk` hands the engine each
 * `'data'` chunk as Node allocated it (no copy, no read buffer kept per
 * connection); `read(buffer)` copies, for readers that bring a buffer (the
 * client's handshake). Chunks that arrive while no read waits queue,
 * bounded: past {@linkcode _READ_HIGH_WATER_MARK} the socket is paused
 * until reads bring the queue back under it. `write` resolves once Node has
 * handed the bytes to the kernel, so that the caller may reuse its buffer,
 * and a peer that does not read holds the writer there: that is the
 * backpressure (`'drain'` is not needed, as the connection keeps one write
 * in flight). Most writes reach the kernel within `socket.write` (nothing
 * is left in Node's buffer after it): those resolve at once, without
 * waiting for Node's write callback a tick later. The socket's listeners
 * are shared functions, so an idle connection carries this object and its
 * pending read, nothing else. `readable` and `writable` are built on first
 * use only, over the same queue.
 */
export class _NodeSocketDuplex implements ByteDuplex {
  readonly #socket: _OwnedSocket;
  /** Chunks received and not read yet; the first one from `#offset` on. */
  #chunks: Uint8Array[] | undefined;
  #offset = 0;
  #queued = 0;
  #paused = false;
  /** Set once the socket ended (`null`) or failed (the error). */
  #end: Error | null | undefined;
  /**
   * How to settle the read waiting for data (a failure settles it with a
   * rejected promise: an idle connection keeps one function, not two), and
   * its buffer (none for `readChunk`).
   */
  #resolve: ((result: Uint8Array | number | null | Promise<never>) => void) | undefined;
  #buffer: Uint8Array | undefined;
  #readable: ReadableStream<Uint8Array> | undefined;
  #writable: WritableStream<Uint8Array> | undefined;
  /**
   * Writes whose callback is still to come, in order: `undefined` for those
   * already resolved (the bytes reached the kernel within `socket.write`).
   */
  #writes:
    | ({ resolve: (n: number) => void; reject: (error: unknown) => void; n: number } | undefined)[]
    | undefined;
  /** The callback of every write, made on the first one. */
  #written: ((error?: Error | null) => void) | undefined;

  constructor(socket: net.Socket) {
    const owned = this.#socket = socket as _OwnedSocket;
    owned[_OWNER] = this;
    owned.on("data", _NodeSocketDuplex.#onData);
    owned.on("end", _NodeSocketDuplex.#onEnd);
    owned.on("close", _NodeSocketDuplex.#onEnd);
    owned.on("error", _NodeSocketDuplex.#onError);
    // After the HTTP server (or a proxy tunnel) let go of it, the socket may
    // be neither flowing nor paused: start it.
    owned.resume();
  }

  static #onData(this: _OwnedSocket, chunk: Uint8Array): void {
    this[_OWNER]!.#push(chunk);
  }

  static #onEnd(this: _OwnedSocket): void {
    this[_OWNER]!.#ended(null);
  }

  static #onError(this: _OwnedSocket, error: Error): void {
    this[_OWNER]!.#ended(error);
  }

  /** The next chunk as received (the caller owns it), or `null` at the end. */
  readChunk(): Promise<Uint8Array | null> {
    if (this.#queued > 0) return Promise.resolve(this.#shift());
    return this.#wait(undefined) as Promise<Uint8Array | null>;
  }

  read(buffer: Uint8Array): Promise<number | null> {
    if (this.#queued > 0) return Promise.resolve(this.#take(buffer));
    return this.#wait(buffer) as Promise<number | null>;
  }

  write(bytes: Uint8Array): Promise<number> {
    const socket = this.#socket;
    const writes = this.#writes ??= [];
    socket.write(bytes, this.#written ??= (error) => this.#afterWrite(error));
    // Nothing left in Node's buffer: the kernel has the bytes, the caller may
    // reuse its buffer. A write that failed destroyed the socket: it waits for
    // the callback, which brings the error.
    if (socket.writableLength === 0 && !socket.destroyed) {
      writes.push(undefined);
      return Promise.resolve(bytes.length);
    }
    return new Promise((resolve, reject) => writes.push({ resolve, reject, n: bytes.length }));
  }

  /** Node's callback for the oldest write: settle it, unless it was settled already. */
  #afterWrite(error: Error | null | undefined): void {
    const write = this.#writes!.shift();
    if (write === undefined) return;
    if (error) write.reject(error);
    else write.resolve(write.n);
  }

  close(): void {
    this.#socket.destroy();
  }

  /** Bytes from the socket, for readers that want a stream. */
  get readable(): ReadableStream<Uint8Array> {
    return this.#readable ??= new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const chunk = await this.readChunk();
        if (chunk === null) controller.close();
        else controller.enqueue(chunk);
      },
      cancel: () => this.close(),
    }, { highWaterMark: 0 });
  }

  /** Bytes to the socket, as a stream; closing it ends our side. */
  get writable(): WritableStream<Uint8Array> {
    return this.#writable ??= new WritableStream<Uint8Array>({
      write: async (chunk) => void await this.write(chunk),
      close: () => new Promise<void>((resolve) => this.#socket.end(resolve)),
      abort: () => this.close(),
    });
  }

  /** Nothing queued: the end, or a read that waits for the next chunk. */
  #wait(buffer: Uint8Array | undefined): Promise<Uint8Array | number | null> {
    const end = this.#end;
    if (end !== undefined) return end === null ? Promise.resolve(null) : Promise.reject(end);
    if (this.#resolve !== undefined) {
      return Promise.reject(new TypeError("Cannot read: another read is pending"));
    }
    return new Promise((resolve) => {
      this.#resolve = resolve;
      this.#buffer = buffer;
    });
  }

  #push(chunk: Uint8Array): void {
    const resolve = this.#resolve;
    if (resolve !== undefined) {
      // A read waits, so nothing is queued.
      const buffer = this.#buffer;
      this.#resolve = this.#buffer = undefined;
      if (buffer === undefined) return resolve(_plain(chunk));
      if (chunk.length <= buffer.length) {
        buffer.set(chunk);
        return resolve(chunk.length);
      }
      // What does not fit waits for the next read.
      const n = buffer.length;
      buffer.set(chunk.subarray(0, n));
      (this.#chunks ??= []).push(chunk);
      this.#offset = n;
      this.#queued = chunk.length - n;
      resolve(n);
    } else {
      (this.#chunks ??= []).push(chunk);
      this.#queued += chunk.length;
    }
    if (this.#queued >= _READ_HIGH_WATER_MARK && !this.#paused) {
      this.#paused = true;
      this.#socket.pause();
    }
  }

  /** The first queued chunk (what is left of it). */
  #shift(): Uint8Array {
    let chunk = this.#chunks!.shift()!;
    if (this.#offset > 0) {
      chunk = chunk.subarray(this.#offset);
      this.#offset = 0;
    }
    this.#dequeued(chunk.length);
    return _plain(chunk);
  }

  /** Copy queued bytes into `buffer`, as many as fit. */
  #take(buffer: Uint8Array): number {
    const chunks = this.#chunks!;
    let n = 0;
    let i = 0;
    let offset = this.#offset;
    while (i < chunks.length && n < buffer.length) {
      const chunk = chunks[i]!;
      const count = Math.min(chunk.length - offset, buffer.length - n);
      buffer.set(
        offset === 0 && count === chunk.length ? chunk : chunk.subarray(offset, offset + count),
        n,
      );
      n += count;
      offset += count;
      if (offset === chunk.length) {
        i++;
        offset = 0;
      }
    }
    if (i > 0) chunks.splice(0, i);
    this.#offset = offset;
    this.#dequeued(n);
    return n;
  }

  #dequeued(n: number): void {
    this.#queued -= n;
    if (this.#paused && this.#queued < _READ_HIGH_WATER_MARK) {
      this.#paused = false;
      this.#socket.resume();
    }
  }

  #ended(error: Error | null): void {
    if (this.#end !== undefined) return;
    this.#end = error;
    const resolve = this.#resolve;
    if (resolve === undefined) return;
    this.#resolve = this.#buffer = undefined;
    resolve(error === null ? null : Promise.reject(error));
  }
}

/**
 * A plain `Uint8Array` over a `Buffer`'s bytes: the engine copies with
 * `slice()`, which on a `Buffer` is a view.
 */
function _plain(chunk: Uint8Array): Uint8Array {
  return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** A Node socket as a {@linkcode ByteDuplex} (see {@linkcode _NodeSocketDuplex}). */
export function _nodeSocketDuplex(socket: net.Socket): ByteDuplex {
  return new _NodeSocketDuplex(socket);
}

function _tlsOptions(host: string, settings: _TlsSettings): tls.ConnectionOptions {
  return {
    // RFC 6066 forbids IP addresses as SNI; the certificate is still checked against `host`.
    ...(net.isIP(host) === 0 ? { servername: host } : {}),
    // Extra CAs are trusted in addition to the system's, as Deno's caCerts are.
    ...(settings.caCerts === undefined
      ? {}
      : { ca: [...tls.rootCertificates, ...settings.caCerts] }),
    ALPNProtocols: ["http/1.1"],
  };
}

function _whenConnected(
  socket: net.Socket,
  event: "connect" | "secureConnect",
  signal: AbortSignal,
): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const done = () => {
      socket.off(event, onConnect);
      socket.off("error", onError);
      signal.removeEventListener("abort", onAbort);
    };
    const onConnect = () => {
      done();
      socket.setNoDelay(true);
      resolve(socket);
    };
    const onError = (error: Error) => {
      done();
      socket.destroy();
      reject(error);
    };
    const onAbort = () => onError(signal.reason);
    socket.once(event, onConnect);
    socket.once("error", onError);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** One chunk from a paused socket: nothing is read ahead, so TLS can start after it. */
function _readOnce(socket: net.Socket): Promise<Uint8Array | null> {
  return new Promise((resolve, reject) => {
    const done = () => {
      socket.off("readable", attempt);
      socket.off("end", onEnd);
      socket.off("close", onEnd);
      socket.off("error", onError);
    };
    const attempt = () => {
      const chunk = socket.read() as Uint8Array | null;
      if (chunk !== null) {
        done();
        resolve(chunk);
      }
    };
    const onEnd = () => {
      done();
      resolve(null);
    };
    const onError = (error: Error) => {
      done();
      reject(error);
    };
    socket.on("readable", attempt);
    socket.once("end", onEnd);
    socket.once("close", onEnd);
    socket.once("error", onError);
    attempt();
  });
}
