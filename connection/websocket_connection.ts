/**
 * Runs the sans-I/O {@linkcode WebSocketProtocol} over a byte duplex: the one
 * place where bytes are read and written. The public APIs
 * (`WebSocketStream`, `WebSocket`) are views onto this engine.
 *
 * @module
 */

import type { PerMessageDeflate } from "../compression/per_message_deflate.ts";
import type { PerMessageDeflateParams } from "../handshake/permessage_deflate.ts";
import { CloseCode } from "../errors/close_code.ts";
import { WebSocketError } from "../errors/websocket_error.ts";
import { encodeClosePayload } from "../messages/close_payload.ts";
import type { Message, MessageChunk } from "../messages/message.ts";
import { WebSocketProtocol } from "../protocol/websocket_protocol.ts";
import type { WebSocketCloseInfo } from "./close_info.ts";
import { type _ByteChannel, _openChannel } from "./_byte_channel.ts";
import { _connectionFrames } from "./_frame_hook.ts";
import type { ByteDuplex } from "./duplex.ts";
import { CONNECTION_DEFAULTS, type WebSocketConnectionOptions } from "./connection_options.ts";
import { _Heartbeat, _SERVER_HEARTBEAT } from "./_heartbeat.ts";
import { _CodecInbox, type _InboxOwner } from "./_codec_inbox.ts";
import { _CodecOutbox, type _OutboxOwner } from "./_codec_outbox.ts";
import { _countPings, _PongLedger } from "./_pong_ledger.ts";

/**
 * The close outcome, plus whether the closing handshake completed.
 */
export interface ConnectionCloseEvent extends WebSocketCloseInfo {
  /** True when both close frames were exchanged and the transport then closed. */
  wasClean: boolean;
  /** The failure, when the connection failed. */
  error: WebSocketError | undefined;
}

/**
 * Receives what a {@linkcode WebSocketConnection} observes.
 */
export interface ConnectionHandler {
  /** A complete text or binary message. */
  onMessage(data: string | Uint8Array): void;
  /** With `streamMessages`: a piece of a text or binary message (instead of `onMessage`). */
  onChunk?(chunk: MessageChunk): void;
  /** A pong arrived (answers to pings are sent automatically). */
  onPong?(data: Uint8Array): void;
  /** The peer's close frame arrived; the closing handshake is under way. */
  onCloseFrame?(code: number, reason: string): void;
  /** The connection ended; called exactly once. */
  onClose(event: ConnectionCloseEvent): void;
}

/**
 * A WebSocket connection over a byte duplex, after the opening handshake.
 *
 * Reading is one `read()` per transport chunk, however many frames it holds;
 * writing coalesces small frames into one chunk. Call
 * {@linkcode WebSocketConnection.start} once a handler is attached.
 *
 * @example
 * ```ts
 * import { WebSocketConnection } from "@edgews/websocket/connection";
 * import assert from "node:assert/strict";
 *
 * // Two in-memory pipes stand in for a TCP connection.
 * const toServer = new TransformStream<Uint8Array, Uint8Array>();
 * const toClient = new TransformStream<Uint8Array, Uint8Array>();
 * const received: (string | Uint8Array)[] = [];
 * const server = new WebSocketConnection(
 *   { readable: toServer.readable, writable: toClient.writable },
 *   { onMessage: (data) => server.send(data), onClose() {} },
 *   { role: "server" },
 * );
 * const client = new WebSocketConnection(
 *   { readable: toClient.readable, writable: toServer.writable },
 *   { onMessage: (data) => { received.push(data); client.close(1000); }, onClose() {} },
 *   { role: "client" },
 * );
 * server.start();
 * client.start();
 * client.send("echo me");
 * const info = await client.closed;
 * assert.deepEqual(received, ["echo me"]);
 * assert.equal(info.closeCode, 1000);
 * ```
 */
export class WebSocketConnection {
  #duplex: ByteDuplex;
  #handler: ConnectionHandler;
  #protocol: WebSocketProtocol;
  #role: "client" | "server";
  #leftover: Uint8Array | undefined;
  #channel: _ByteChannel;
  #closeTimeout: number;
  #writeHighWaterMark: number;
  #maxQueuedPongs: number;
  /** Bytes handed to the channel so far: the offset the queued pongs end at. */
  #written = 0;
  /** Pongs not yet accepted by the transport; made at the first ping. */
  #pongs: _PongLedger | undefined;

  #started = false;
  #finished = false;
  #transportClosed = false;
  #resumeReading: (() => void) | undefined;
  #paused: Promise<void> | undefined;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #heartbeat: _Heartbeat<WebSocketConnection> | undefined;
  #signal: AbortSignal | undefined;
  #onAbort: (() => void) | undefined;
  /** Made when first asked for: an idle connection need not hold it. */
  #closed: Promise<ConnectionCloseEvent> | undefined;
  #resolveClosed: ((event: ConnectionCloseEvent) => void) | undefined;
  #closeEvent: ConnectionCloseEvent | undefined;
  #compression: PerMessageDeflate | undefined;
  /**
   * With a codec: received events waiting behind a message being
   * decompressed. Every compressed message passes through it when the
   * codec is asynchronous (`CompressionStream`, no zlib); with zlib, only
   * messages too long to inflate at once.
   */
  #inbox: _CodecInbox | undefined;
  /** With an asynchronous codec: messages waiting to be compressed and sent. */
  #outbox: _CodecOutbox | undefined;
  /** Messages go out as single frames (no `fragmentSize`). */
  #wholeFrames: boolean;

  /**
   * Wrap an upgraded transport.
   *
   * @param duplex The transport; its streams are locked by the connection.
   * @param handler Receives messages and the close.
   * @param options Role, leftover bytes and limits.
   */
  constructor(
    duplex: ByteDuplex,
    handler: ConnectionHandler,
    options: WebSocketConnectionOptions,
  ) {
    this.#duplex = duplex;
    this.#handler = handler;
    this.#role = options.role;
    this.#leftover = options.leftover;
    const compression = options.compression;
    this.#compression = compression;
    this.#wholeFrames = (options.fragmentSize ?? Infinity) === Infinity;
    this.#protocol = new WebSocketProtocol({
      role: options.role,
      maxMessageSize: options.maxMessageSize,
      maxFrameSize: options.maxFrameSize,
      fragmentSize: options.fragmentSize,
      keys: options.keys,
      streamMessages: options.streamMessages,
      // Replies to the messages read with the peer's close go out before the echo.
      deferCloseReply: true,
      // A synchronous codec runs inside the protocol, but a message that
      // inflates past one slice is finished here; an asynchronous codec
      // runs here.
      compression: compression === undefined ? undefined : compression.synchronous
        ? {
          compress: (payload) => compression.compress(payload),
          decompress: (payload, maxSize) => compression.tryDecompress(payload, maxSize),
        }
        : {},
    });
    if (compression !== undefined) {
      const owner = this.#codecOwner();
      this.#inbox = new _CodecInbox(
        compression,
        options.maxMessageSize ?? CONNECTION_DEFAULTS.maxMessageSize,
        options.streamMessages ?? false,
        owner,
      );
      if (!compression.synchronous) {
        this.#outbox = new _CodecOutbox(compression, this.#protocol, owner);
      }
    }
    this.#closeTimeout = options.closeTimeout ?? CONNECTION_DEFAULTS.closeTimeout;
    const heartbeat = options.heartbeat ??
      (options.role === "server" ? _SERVER_HEARTBEAT : false);
    if (heartbeat !== false) {
      this.#heartbeat = new _Heartbeat<WebSocketConnection>(
        heartbeat,
        this,
        WebSocketConnection.#pongsUnseen,
      );
    }
    this.#signal = options.signal;
    this.#writeHighWaterMark = options.writeHighWaterMark ?? CONNECTION_DEFAULTS.writeHighWaterMark;
    this.#maxQueuedPongs = options.maxQueuedPongs ?? CONNECTION_DEFAULTS.maxQueuedPongs;
    this.#channel = _openChannel(
      duplex,
      WebSocketConnection.#writeFailed,
      this,
      this.#writeHighWaterMark,
    );
  }

  /** The transport is gone: nothing more can be sent. */
  static #writeFailed(connection: WebSocketConnection): void {
    if (!connection.#finished) connection.terminate("Transport write failed");
  }

  /** Pongs cannot be seen while reading waits, nor count once closing. */
  static #pongsUnseen(connection: WebSocketConnection): boolean {
    return connection.#paused !== undefined || connection.#inbox?.draining !== undefined ||
      connection.#protocol.state !== "open";
  }

  /** What the codec queues call back (made only for connections that compress). */
  #codecOwner(): _InboxOwner & _OutboxOwner {
    return {
      dispatch: (event) => this.#dispatch(event),
      finished: () => this.#finished,
      fail: (error, what) => this.#failAsync(error, what),
      flush: () => this.#flush(),
      close: (code, reason) => this.close(code, reason),
    };
  }

  /** Resolves once, when the connection has ended and the transport is closed. */
  get closed(): Promise<ConnectionCloseEvent> {
    return this.#closed ??= this.#closeEvent !== undefined
      ? Promise.resolve(this.#closeEvent)
      : new Promise((resolve) => this.#resolveClosed = resolve);
  }

  /** Wire bytes handed to the transport and not yet accepted by it. */
  get bufferedAmount(): number {
    const outbox = this.#outbox;
    return this.#channel.bufferedAmount + (outbox === undefined ? 0 : outbox.bytes);
  }

  /**
   * Milliseconds between the last answered heartbeat ping and its pong, or
   * `undefined` before the first (or with the heartbeat off).
   */
  get lastRoundTripTime(): number | undefined {
    return this.#heartbeat?.lastRoundTripTime;
  }

  /** The protocol state: `open`, `closing` or `closed`. */
  get state(): "open" | "closing" | "closed" {
    return this.#finished ? "closed" : this.#protocol.state;
  }

  /**
   * Resolves when the transport can take more bytes: await it between sends
   * to apply backpressure.
   */
  get ready(): Promise<void> {
    const sending = this.#outbox?.sending;
    if (sending !== undefined) return sending.then(() => this.#channel.ready());
    return this.#channel.ready();
  }

  /** Start reading. Call once, after the handler is ready for events. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    // Already over (the transport failed on a write made before reading
    // started): nothing to arm, and an abort listener added now would never
    // be removed.
    if (this.#finished) return;
    this.#heartbeat?.start();
    const signal = this.#signal;
    if (signal !== undefined) {
      this.#onAbort = () => this.close(CloseCode.NormalClosure, "Aborted");
      if (signal.aborted) queueMicrotask(this.#onAbort);
      else signal.addEventListener("abort", this.#onAbort, { once: true });
    }
    const leftover = this.#leftover;
    this.#leftover = undefined;
    if (leftover !== undefined && leftover.length > 0) {
      try {
        this.#receive(leftover);
      } catch {
        this.#readFailed();
        return;
      }
    }
    this.#readNext();
  }

  /**
   * Send a message: a string as text, bytes as binary.
   *
   * @param data The message.
   * @throws {WebSocketError} When the connection is closing or closed.
   */
  send(data: string | Uint8Array): void {
    if (this.#finished) {
      throw new WebSocketError(
        CloseCode.AbnormalClosure,
        "Cannot send: the connection is closed",
      );
    }
    const outbox = this.#outbox;
    if (outbox !== undefined) {
      outbox.send(data);
      return;
    }
    if (typeof data === "string") this.#protocol.sendText(data);
    else this.#protocol.sendBinary(data);
    this.#flush();
  }

  /**
   * Send a piece of a message (see `WebSocketProtocol.sendChunk`): the
   * first call starts a message, the call with `last` ends it, and no
   * other message may be sent in between. Await
   * {@linkcode WebSocketConnection.ready} between chunks for backpressure.
   * Text must be valid UTF-8 once joined; the caller checks it.
   *
   * @param type `"text"` or `"binary"`, the same for all chunks of a message.
   * @param data The next bytes.
   * @param last Whether this chunk ends the message.
   * @throws {WebSocketError} When the connection is closing or closed.
   * @throws {TypeError} While whole messages are still being compressed
   * (await `ready` first), or for a chunk of another type.
   */
  sendChunk(type: "text" | "binary", data: Uint8Array, last: boolean): void {
    if (this.#finished) {
      throw new WebSocketError(
        CloseCode.AbnormalClosure,
        "Cannot send: the connection is closed",
      );
    }
    if (this.#outbox?.sending !== undefined) {
      throw new TypeError(
        "Cannot send a chunk while earlier messages are being compressed: await ready first",
      );
    }
    this.#protocol.sendChunk(type, data, last);
    this.#flush();
  }

  /**
   * Send a ping.
   *
   * @param data Up to 125 bytes.
   */
  ping(data?: Uint8Array): void {
    if (this.#finished || this.#protocol.state !== "open") return;
    this.#protocol.sendPing(data);
    this.#flush();
  }

  /**
   * Start the closing handshake; the connection ends when the peer answers or
   * after `closeTimeout`.
   *
   * @param code A close code valid on the wire, or none.
   * @param reason At most 123 UTF-8 bytes.
   * @throws {RangeError} For an invalid code or reason.
   */
  close(code?: number, reason?: string): void {
    if (this.#finished || this.#protocol.closeSent) return;
    const outbox = this.#outbox;
    if (outbox?.sending !== undefined) {
      // Queued messages go first: no data frame may follow a close frame.
      encodeClosePayload(code ?? CloseCode.NoStatusReceived, reason ?? ""); // Validate now.
      outbox.closeAfterSending(code, reason);
      return;
    }
    this.#protocol.sendClose(code, reason);
    this.#flush();
    this.#afterProtocolStep();
    this.#armCloseTimer();
  }

  /**
   * Drop the transport now, without a closing handshake (close code 1006).
   *
   * @param reason Why, reported in the close event.
   */
  terminate(reason = "Connection terminated"): void {
    if (this.#finished) return;
    this.#protocol.receiveEof();
    void this.#finish(reason);
  }

  /** Stop reading from the transport until {@linkcode WebSocketConnection.resume}. */
  pause(): void {
    if (this.#paused !== undefined) return;
    this.#paused = new Promise((resolve) => this.#resumeReading = resolve);
  }

  /** Resume reading after {@linkcode WebSocketConnection.pause}. */
  resume(): void {
    const resume = this.#resumeReading;
    this.#paused = undefined;
    this.#resumeReading = undefined;
    resume?.();
  }

  static {
    _connectionFrames.compression = (connection) =>
      (connection as WebSocketConnection).#frameCompression();
    _connectionFrames.write = (connection, frame) =>
      (connection as WebSocketConnection).#writeFrame(frame);
  }

  /** See `_FrameHook.compression`: servers only, whose frames are unmasked. */
  #frameCompression(): PerMessageDeflateParams | null | undefined {
    if (this.#role !== "server" || !this.#wholeFrames) return undefined;
    return this.#compression === undefined ? null : this.#compression.params;
  }

  /**
   * See `_FrameHook.write`: a whole message's frame, when one may start now.
   * Servers only, as for `#frameCompression`: a client's frames must be
   * masked with a key of their own (§5.3), so a shared frame never fits.
   */
  #writeFrame(frame: Uint8Array): boolean {
    const protocol = this.#protocol;
    if (
      this.#role !== "server" || !this.#wholeFrames ||
      this.#finished || this.#transportClosed || this.#outbox?.sending !== undefined ||
      protocol.closeSent || protocol.state !== "open"
    ) {
      return false;
    }
    this.#write(frame);
    return true;
  }

  /**
   * Reading is a chain of callbacks (read, receive, read again), not an async
   * loop: an idle connection waits in the transport's pending read alone.
   */
  #readNext(): void {
    if (this.#finished || this.#shouldStopReading()) {
      void this.#readingEnded();
      return;
    }
    const draining = this.#inbox?.draining;
    if (draining !== undefined) {
      // Decompressing asynchronously: read on once the queue is empty.
      draining.then(() => this.#readNext(), this.#readFailed);
      return;
    }
    if (this.#paused !== undefined) {
      this.#paused.then(() => this.#readNext());
      return;
    }
    if (this.#role === "server" && this.#channel.bufferedAmount >= this.#writeHighWaterMark) {
      // The peer does not read what it is sent. One that floods pings is
      // failed; any other is read from again once that has drained, so
      // that TCP slows it down rather than our memory taking what it sends
      // and what we answer. (Clients read on: if both ends stopped reading
      // while their writes wait, a large echo would deadlock them.)
      const pongs = this.#pongs?.taken(this.#written - this.#channel.bufferedAmount) ?? 0;
      if (pongs > this.#maxQueuedPongs) {
        this.#protocol.fail(
          CloseCode.PolicyViolation,
          `Too many pongs waiting to be sent: ${pongs}, the limit is ${this.#maxQueuedPongs} (the peer pings and does not read)`,
        );
        this.#flush();
        void this.#readingEnded();
        return;
      }
      this.#channel.ready().then(() => this.#readNext());
      return;
    }
    const channel = this.#channel;
    // Where the next bytes are a large message's payload, they are read in place.
    const into = channel.readsInto ? this.#protocol.receiveBuffer() : undefined;
    channel.read(into).then(this.#chunkRead, this.#readFailed);
  }

  /** One function per connection for every read. */
  #chunkRead = (result: unknown): void => {
    const chunk = this.#channel.chunkOf(result);
    if (chunk === null) {
      this.#protocol.receiveEof();
      void this.#readingEnded();
      return;
    }
    try {
      this.#receive(chunk);
    } catch {
      this.#readFailed();
      return;
    }
    this.#readNext();
  };

  /**
   * The transport failed (reset, closed under us): an abnormal closure,
   * unless it says why with a `WebSocketError` (see `ByteDuplex.readable`).
   */
  #readFailed = (error?: unknown): void => {
    if (error instanceof WebSocketError) this.#protocol.fail(error.closeCode, error.message);
    this.#protocol.receiveEof();
    void this.#readingEnded();
  };

  async #readingEnded(): Promise<void> {
    // Messages still being decompressed are delivered before the close.
    const draining = this.#inbox?.draining;
    if (draining !== undefined) await draining.catch(() => {});
    await this.#finish();
  }

  /**
   * The protocol expects the transport to close; a server (or a failing
   * endpoint) closes it first (§7.1.1), a client waits for the server's
   * (bounded by the close timer, see `#afterProtocolStep`).
   */
  #shouldStopReading(): boolean {
    const protocol = this.#protocol;
    return protocol.closeExpected() && (this.#role === "server" || protocol.error !== undefined);
  }

  #receive(chunk: Uint8Array): void {
    const protocol = this.#protocol;
    protocol.receiveData(chunk);
    const events = protocol.eventsReceived();
    let pings = 0;
    try {
      const inbox = this.#inbox;
      if (inbox !== undefined && (this.#outbox !== undefined || inbox.draining !== undefined)) {
        pings = _countPings(events, 0);
        inbox.queue(events, 0);
      } else {
        for (let i = 0; i < events.length; i++) {
          const event = events[i]!;
          if (event.type === "compressed") {
            // A long message to inflate: it and what follows go through the queue.
            pings += _countPings(events, i);
            inbox!.queue(events, i);
            break;
          }
          if (event.type === "ping") pings++;
          this.#dispatch(event);
        }
      }
    } finally {
      // Pongs, the application's replies and then the close frame go out
      // in the order the frames came in: the peer's close, or a violation
      // later in the chunk, is answered only now (deferCloseReply). (With
      // an asynchronous codec the events are still queued: their replies
      // come after the close.)
      protocol.eventsHandled();
      this.#flush();
    }
    if (pings > 0) {
      const written = this.#written;
      (this.#pongs ??= new _PongLedger()).add(
        pings,
        written,
        written - this.#channel.bufferedAmount,
      );
    }
    this.#afterProtocolStep();
  }

  /** Fail the connection from the asynchronous codec's side. */
  #failAsync(error: unknown, what: string): void {
    if (this.#finished) return;
    const failure = error instanceof WebSocketError ? error : new WebSocketError(
      CloseCode.InternalError,
      `${what}: ${error instanceof Error ? error.message : String(error)}`,
    );
    this.#protocol.fail(failure.closeCode, failure.message);
    this.#flush();
    // A failing endpoint closes TCP first, and the read loop may be parked
    // on a read: finish now (queued bytes, the close frame included, are
    // flushed before the transport closes).
    void this.#finish();
  }

  #dispatch(event: Message): void {
    const handler = this.#handler;
    switch (event.type) {
      case "text":
      case "binary":
        handler.onMessage(event.data);
        break;
      case "chunk":
        handler.onChunk?.(event);
        break;
      case "pong":
        this.#heartbeat?.onPong(event.data);
        handler.onPong?.(event.data);
        break;
      case "close":
        handler.onCloseFrame?.(event.code, event.reason);
        break;
    }
  }

  /** After the protocol moved: a client waits (bounded) for the server's TCP close. */
  #afterProtocolStep(): void {
    if (this.#protocol.state === "closed" && this.#role === "client") this.#armCloseTimer();
  }

  #flush(): void {
    const chunks = this.#protocol.dataToSend();
    const count = chunks.length;
    if (count === 0 || this.#transportClosed) return;
    // The channel batches everything written in this task into one write.
    for (let i = 0; i < count; i++) this.#write(chunks[i]!);
  }

  #write(chunk: Uint8Array): void {
    this.#written += chunk.length;
    this.#channel.write(chunk);
  }

  #armCloseTimer(): void {
    if (this.#closeTimer !== undefined || this.#finished) return;
    this.#closeTimer = setTimeout(() => {
      this.#closeTimer = undefined;
      if (!this.#finished) {
        if (!this.#protocol.closeReceived) {
          this.terminate("Closing handshake timed out");
        } else {
          // Handshake done, the server just did not close TCP: close it ourselves.
          void this.#finish();
        }
      }
    }, this.#closeTimeout);
  }

  async #finish(reason?: string): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    this.#compression?.close();
    clearTimeout(this.#closeTimer);
    this.#heartbeat?.stop();
    if (this.#onAbort !== undefined) this.#signal?.removeEventListener("abort", this.#onAbort);
    this.resume();
    await this.#closeTransport();
    const protocol = this.#protocol;
    const closeCode = protocol.closeCode ?? CloseCode.AbnormalClosure;
    const wasClean = protocol.closeSent && protocol.closeReceived && protocol.error === undefined;
    const event: ConnectionCloseEvent = {
      closeCode,
      reason: reason !== undefined && closeCode === CloseCode.AbnormalClosure
        ? reason
        : protocol.closeReason,
      wasClean,
      error: protocol.error,
    };
    try {
      this.#handler.onClose(event);
    } finally {
      this.#closeEvent = event;
      this.#resolveClosed?.(event);
    }
  }

  async #closeTransport(): Promise<void> {
    if (this.#transportClosed) return;
    this.#transportClosed = true;
    // After a closing handshake the peer sends nothing more (§5.5.1): no
    // bytes can be left unread to turn the close into a reset, so no linger.
    await this.#channel.close(this.#closeTimeout, !this.#protocol.closeReceived);
  }
}
