/**
 * The WHATWG `WebSocketStream` shape: messages as streams, with backpressure.
 *
 * @module
 */

import { CloseCode } from "../errors/close_code.ts";
import { WebSocketError } from "../errors/websocket_error.ts";
import type { WebSocketCloseInfo } from "./close_info.ts";
import { _abandon, _negotiatedCompression } from "./_compression_option.ts";
import { type _PendingTransport, _registerServerSocket } from "./_server_socket.ts";
import {
  _clampUnsignedShort,
  _parseWebSocketUrl,
  _protocolList,
  _toMessageData,
  _validateUserClose,
} from "./_user_input.ts";
import type { UpgradedTransport } from "./upgraded.ts";
import { _openClientTransport } from "./_client_transport.ts";
import { _IncomingMessages, _isStreamedMessage, _sendStreamedMessage } from "./_message_streams.ts";
import type { StreamedMessage, StreamedMessageInit } from "./streamed_message.ts";
import { _checkHeartbeat } from "./_heartbeat.ts";
import {
  type ClientOptions,
  type ConnectionOptions,
  WEBSOCKET_STREAM_DEFAULTS,
} from "./connection_options.ts";
import { WebSocketConnection } from "./websocket_connection.ts";

/**
 * What a `WebSocketStream`'s `readable` yields: `string` (text) and
 * `Uint8Array` (binary) messages, or with `streamMessages: true` a
 * {@linkcode StreamedMessage} per message.
 *
 * @typeParam S Whether messages are streamed (`streamMessages`).
 */
export type WebSocketIncoming<S extends boolean = false> = S extends true ? StreamedMessage
  : string | Uint8Array;

/**
 * What a `WebSocketStream`'s `writable` takes: a string (text), bytes
 * (binary), or a message to send from a stream (`ReadableStream<Uint8Array>`
 * for binary, or a {@linkcode StreamedMessageInit}).
 */
export type WebSocketOutgoing =
  | string
  | ArrayBufferLike
  | ArrayBufferView
  | ReadableStream<Uint8Array>
  | StreamedMessageInit;

/**
 * What `WebSocketStream.opened` resolves to.
 *
 * @typeParam S Whether messages are streamed (`streamMessages`).
 */
export interface WebSocketOpenInfo<S extends boolean = false> {
  /**
   * Incoming messages: `string` for text, `Uint8Array` for binary; with
   * `streamMessages: true`, a `StreamedMessage` per message.
   */
  readable: ReadableStream<WebSocketIncoming<S>>;
  /**
   * Outgoing messages: strings go as text, bytes as binary, and streams
   * (`ReadableStream<Uint8Array>`, `StreamedMessageInit`) as one message
   * sent in fragments as the stream produces them.
   */
  writable: WritableStream<WebSocketOutgoing>;
  /** The negotiated subprotocol, or "". */
  protocol: string;
  /** The negotiated extensions, or "". */
  extensions: string;
  /**
   * A client's socket: the headers of the server's `101` response (such as
   * `Set-Cookie`). A server's socket: `undefined` (its handler has the
   * `Request`).
   */
  headers?: Headers | undefined;
}

/**
 * Options for a client {@linkcode WebSocketStream}.
 *
 * @typeParam S Whether messages are streamed (`streamMessages`).
 */
export interface WebSocketStreamOptions<S extends boolean = boolean>
  extends ConnectionOptions, ClientOptions {
  /** Subprotocols to offer. */
  protocols?: string[] | undefined;
  /**
   * Messages buffered in `readable` before reading from the network pauses.
   * @default {16}
   */
  highWaterMark?: number | undefined;
  /**
   * Deliver each message as a {@linkcode StreamedMessage} as soon as it
   * starts to arrive, instead of whole: any size passes in bounded memory
   * (`maxMessageSize` still applies). Compressed messages are inflated
   * whole and come as one chunk.
   * @default {false}
   */
  streamMessages?: S | undefined;
}

/**
 * Options to close a {@linkcode WebSocketStream}.
 */
export interface WebSocketCloseOptions {
  /** 1000 or 3000–4999. @default {1000 when a reason is given, else none} */
  closeCode?: number | undefined;
  /** At most 123 UTF-8 bytes. */
  reason?: string | undefined;
}

/**
 * A WebSocket with the WHATWG `WebSocketStream` shape: `opened` gives a
 * readable of incoming messages and a writable for outgoing ones; reading
 * slowly slows the peer down (the connection stops reading from the network
 * while `highWaterMark` messages wait), and writes resolve when the
 * transport accepted the bytes. `closed` resolves with the close code and
 * reason after a clean closing handshake, and rejects with a
 * `WebSocketError` otherwise.
 *
 * @typeParam S Whether messages are streamed (`streamMessages`),
 * inferred from the options.
 *
 * @example Echo one message over a loopback server
 * ```ts
 * import { serve, upgradeWebSocketStream, WebSocketStream } from "@edgews/websocket";
 * import assert from "node:assert/strict";
 *
 * const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
 *   const { response, socket } = upgradeWebSocketStream(request);
 *   socket.opened.then(({ readable, writable }) => readable.pipeTo(writable));
 *   return response;
 * });
 * const wss = new WebSocketStream(`ws://127.0.0.1:${server.addr.port}/`);
 * const { readable, writable } = await wss.opened;
 * await writable.getWriter().write("hello");
 * // A reader, not `for await` with `break`: the break would close with 1000 first.
 * const reader = readable.getReader();
 * assert.equal((await reader.read()).value, "hello");
 * wss.close({ closeCode: 4000, reason: "done" });
 * assert.equal((await wss.closed).closeCode, 4000); // the server echoes the code
 * await server.shutdown();
 * ```
 */
export class WebSocketStream<S extends boolean = false> {
  #url: string;
  #onConnection: ((connection: WebSocketConnection) => void) | undefined;
  #onClosed: ((connection: WebSocketConnection) => void) | undefined;
  #role: "client" | "server" = "client";
  #opened: Promise<WebSocketOpenInfo<S>>;
  #closed: Promise<WebSocketCloseInfo>;
  #connection: WebSocketConnection | undefined;
  #pendingClose: WebSocketCloseOptions | undefined;
  #abortHandshake: ((reason: unknown) => void) | undefined;

  /** Set by the server socket factory for the one constructor call it makes. */
  static #serverPending: _PendingTransport | undefined;

  static {
    // `this`, not the class's name: TypeScript's ES2022 output binds that name after the static blocks.
    _registerServerSocket(this, (url, options, pending) => {
      WebSocketStream.#serverPending = pending;
      return new WebSocketStream(url, options as WebSocketStreamOptions<boolean>);
    });
  }

  /**
   * Open a client connection (`ws:` or `wss:`).
   *
   * @param url The server's URL.
   * @param options Subprotocols, headers, limits, the connector.
   * @throws {SyntaxError} For a URL that is not ws:, wss:, http: or https:, or has a fragment,
   * and for subprotocols that are not tokens or are listed twice.
   * @throws {RangeError} For `heartbeat` settings that cannot work.
   */
  constructor(url: string | URL, options: WebSocketStreamOptions<S> = {}) {
    const pending = WebSocketStream.#serverPending;
    WebSocketStream.#serverPending = undefined;
    const parsed = _parseWebSocketUrl(url);
    _checkHeartbeat(options.heartbeat);
    this.#url = parsed.href;
    let role: "client" | "server" = "client";
    this.#onConnection = pending?.onConnection;
    this.#onClosed = pending?.onClosed;
    let transport: Promise<UpgradedTransport>;
    if (pending !== undefined) {
      role = this.#role = "server";
      transport = pending.transport;
    } else {
      const opening = _openClientTransport(
        "WebSocketStream",
        parsed,
        _protocolList(options.protocols ?? []),
        options,
      );
      this.#abortHandshake = opening.abort;
      transport = opening.transport;
    }
    let resolveClosed!: (info: WebSocketCloseInfo) => void;
    let rejectClosed!: (error: unknown) => void;
    this.#closed = new Promise((resolve, reject) => {
      resolveClosed = resolve;
      rejectClosed = reject;
    });
    this.#closed.catch(() => {});
    this.#opened = transport.then(
      (upgraded) => {
        this.#abortHandshake = undefined;
        if (upgraded.url !== undefined) this.#url = upgraded.url.href;
        return this.#open(upgraded, role, options, resolveClosed, rejectClosed);
      },
      (error) => {
        this.#abortHandshake = undefined;
        const failure = error instanceof WebSocketError ? error : new WebSocketError(
          CloseCode.AbnormalClosure,
          `Opening handshake failed: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
        rejectClosed(failure);
        throw failure;
      },
    );
    this.#opened.catch(() => {});
  }

  /**
   * Milliseconds between the last heartbeat ping and its pong (see the
   * `heartbeat` option), or `undefined` before the first.
   */
  get lastRoundTripTime(): number | undefined {
    return this.#connection?.lastRoundTripTime;
  }

  /** The URL this socket connects (or was connected) to; after redirects, the final one. */
  get url(): string {
    return this.#url;
  }

  /** Resolves once the opening handshake succeeded. */
  get opened(): Promise<WebSocketOpenInfo<S>> {
    return this.#opened;
  }

  /** Resolves after a clean close; rejects with a `WebSocketError` otherwise. */
  get closed(): Promise<WebSocketCloseInfo> {
    return this.#closed;
  }

  /**
   * Start the closing handshake (or abort the opening one).
   *
   * @param options Close code and reason.
   * @throws {DOMException} `InvalidAccessError` for a code other than 1000 or
   * 3000–4999 (a server's stream may also use the other codes valid on the
   * wire, e.g. 1008 or 1013), `SyntaxError` for a reason over 123 bytes.
   */
  close(options: WebSocketCloseOptions = {}): void {
    // WebIDL: the code is a [Clamp] unsigned short and the reason a string.
    const closeCode = options.closeCode === undefined
      ? undefined
      : _clampUnsignedShort(options.closeCode);
    const reason = options.reason === undefined ? undefined : `${options.reason}`;
    _validateUserClose(closeCode, reason, this.#role);
    const code = closeCode ?? (reason ? CloseCode.NormalClosure : undefined);
    if (this.#connection === undefined) {
      this.#pendingClose = { closeCode: code, reason };
      this.#abortHandshake?.(
        new WebSocketError(CloseCode.AbnormalClosure, "Closed before the handshake completed"),
      );
      return;
    }
    this.#connection.close(code, reason);
  }

  #open(
    upgraded: UpgradedTransport,
    role: "client" | "server",
    options: WebSocketStreamOptions<S>,
    resolveClosed: (info: WebSocketCloseInfo) => void,
    rejectClosed: (error: unknown) => void,
  ): WebSocketOpenInfo<S> {
    let compression;
    try {
      compression = _negotiatedCompression(upgraded.extensions, role, options.perMessageDeflate);
    } catch (error) {
      // RFC 7692 §5.1: a response the client cannot accept fails the connection.
      _abandon(upgraded.duplex);
      rejectClosed(error);
      throw error;
    }
    let messages!: ReadableStreamDefaultController<string | Uint8Array | StreamedMessage>;
    let writableController: WritableStreamDefaultController | undefined;
    let readableDone = false;
    // With streamMessages: each message a stream of its own.
    let incoming: _IncomingMessages | undefined;
    const connection = new WebSocketConnection(upgraded.duplex, {
      onMessage(data) {
        if (readableDone) return;
        messages.enqueue(data);
        if ((messages.desiredSize ?? 1) <= 0) connection.pause();
      },
      onChunk(chunk) {
        if (!readableDone) incoming?.onChunk(chunk);
      },
      onClose: (event) => {
        this.#onClosed?.(connection);
        const info = { closeCode: event.closeCode, reason: event.reason };
        if (event.wasClean) {
          incoming?.end(undefined);
          if (!readableDone) messages.close();
          resolveClosed(info);
        } else {
          const error = event.error ?? new WebSocketError(event.closeCode, event.reason);
          incoming?.end(error);
          if (!readableDone) messages.error(error);
          writableController?.error(error);
          rejectClosed(error);
        }
        readableDone = true;
      },
    }, {
      ...options,
      role,
      leftover: upgraded.leftover,
      compression,
      streamMessages: options.streamMessages === true,
    });
    const readable = new ReadableStream<string | Uint8Array | StreamedMessage>(
      {
        start(controller) {
          messages = controller;
        },
        pull() {
          if (incoming !== undefined) incoming.resumeIfRoom();
          else connection.resume();
        },
        cancel() {
          readableDone = true;
          connection.close(CloseCode.NormalClosure);
        },
      },
      new CountQueuingStrategy({
        highWaterMark: options.highWaterMark ?? WEBSOCKET_STREAM_DEFAULTS.highWaterMark,
      }),
    );
    if (options.streamMessages === true) incoming = new _IncomingMessages(messages, connection);
    const writable = new WritableStream<WebSocketOutgoing>({
      start(controller) {
        writableController = controller;
      },
      async write(chunk) {
        if (_isStreamedMessage(chunk)) {
          await _sendStreamedMessage(connection, chunk);
          return;
        }
        connection.send(_toMessageData(chunk));
        await connection.ready;
      },
      async close() {
        connection.close();
        await connection.closed;
      },
      abort() {
        connection.close(CloseCode.NormalClosure);
      },
    });
    this.#connection = connection;
    this.#onConnection?.(connection);
    connection.start();
    if (this.#pendingClose !== undefined) {
      connection.close(this.#pendingClose.closeCode, this.#pendingClose.reason);
    }
    return {
      readable: readable as ReadableStream<WebSocketIncoming<S>>,
      writable,
      protocol: upgraded.protocol,
      extensions: upgraded.extensions,
      headers: upgraded.headers,
    };
  }
}
