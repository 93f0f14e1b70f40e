/**
 * A WHATWG `WebSocket`-compatible class, so browser code runs unchanged.
 *
 * @module
 */

import { CloseCode } from "../errors/close_code.ts";
import { WebSocketError } from "../errors/websocket_error.ts";
import { _abandon, _negotiatedCompression } from "./_compression_option.ts";
import { type _PendingTransport, _registerServerSocket } from "./_server_socket.ts";
import {
  _clampUnsignedShort,
  _isBlob,
  _parseWebSocketUrl,
  _protocolList,
  _toMessageData,
  _validateUserClose,
} from "./_user_input.ts";
import type { UpgradedTransport } from "./upgraded.ts";
import { _openClientTransport } from "./_client_transport.ts";
import { _checkHeartbeat } from "./_heartbeat.ts";
import { _connectionFrames, _frameHook } from "./_frame_hook.ts";
import type { ClientOptions, ConnectionOptions } from "./connection_options.ts";
import {
  type ConnectionCloseEvent,
  type ConnectionHandler,
  WebSocketConnection,
} from "./websocket_connection.ts";

/**
 * Options beyond the WHATWG constructor's `protocols`: limits and
 * keep-alive, and how to open the connection.
 */
export interface WebSocketOptions extends ConnectionOptions, ClientOptions {}

/** `CloseEvent` where the runtime has one (Deno, browsers), else a minimal stand-in (Node 20). */
const _CloseEvent: typeof CloseEvent = globalThis.CloseEvent ??
  class CloseEventShim extends Event {
    readonly code: number;
    readonly reason: string;
    readonly wasClean: boolean;
    constructor(type: string, init: CloseEventInit = {}) {
      super(type, init);
      this.code = init.code ?? 0;
      this.reason = init.reason ?? "";
      this.wasClean = init.wasClean ?? false;
    }
  } as unknown as typeof CloseEvent;

/**
 * Whether this runtime's `dispatchEvent` calls `on<type>` handler properties
 * by itself, as Cloudflare's workerd does for every `EventTarget`.
 */
const _DISPATCH_CALLS_HANDLERS: boolean = (() => {
  class Probe extends EventTarget {
    #handler: (() => void) | null = null;
    get onprobe(): (() => void) | null {
      return this.#handler;
    }
    set onprobe(handler: (() => void) | null) {
      this.#handler = handler;
    }
  }
  const probe = new Probe();
  let called = false;
  probe.onprobe = () => called = true;
  probe.dispatchEvent(new Event("probe"));
  return called;
})();

/**
 * An `on*` event handler property of {@linkcode WebSocket}.
 */
export type WebSocketEventHandler<E extends Event> =
  | ((this: WebSocket, event: E) => unknown)
  | null;

/** What {@linkcode _SocketEvents} may do to a `WebSocket`; set by its static block. */
let _socketInternals: {
  deliver(socket: WebSocket, data: string | Uint8Array): void;
  closeFrameReceived(socket: WebSocket): void;
  closeWith(socket: WebSocket, event: ConnectionCloseEvent): void;
};

/**
 * The WHATWG `WebSocket` API (an `EventTarget` with `onopen`, `onmessage`,
 * `onerror`, `onclose`, `send`, `close`, `readyState`, `bufferedAmount`,
 * `binaryType`, `protocol`, `extensions`) with this module's framing
 * underneath. A third constructor argument takes options browsers do not
 * have: headers, limits, keep-alive.
 *
 * @example Echo one message over a loopback server
 * ```ts
 * import { serve, upgradeWebSocket, WebSocket } from "@edgews/websocket";
 * import assert from "node:assert/strict";
 *
 * const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
 *   const { response, socket } = upgradeWebSocket(request);
 *   socket.onmessage = (event) => socket.send(event.data);
 *   return response;
 * });
 * const ws = new WebSocket(`ws://127.0.0.1:${server.addr.port}/`, [], {
 *   heartbeat: { interval: 30_000 },
 * });
 * const reply = new Promise<MessageEvent>((resolve) => ws.onmessage = resolve);
 * ws.onopen = () => ws.send("hello");
 * assert.equal((await reply).data, "hello");
 * const closed = new Promise<CloseEvent>((resolve) => ws.onclose = resolve);
 * ws.close(1000, "done");
 * const { code, wasClean } = await closed;
 * assert.deepEqual([code, wasClean], [1000, true]);
 * await server.shutdown();
 * ```
 */
export class WebSocket extends EventTarget {
  // The constants are defined below the class, read-only on the class and
  // its prototype as WebIDL makes them (class fields would be writable).
  /** The connection is being established. */
  declare static readonly CONNECTING: 0;
  /** The connection is open. */
  declare static readonly OPEN: 1;
  /** The closing handshake is under way. */
  declare static readonly CLOSING: 2;
  /** The connection is closed. */
  declare static readonly CLOSED: 3;
  /** The connection is being established. */
  declare readonly CONNECTING: 0;
  /** The connection is open. */
  declare readonly OPEN: 1;
  /** The closing handshake is under way. */
  declare readonly CLOSING: 2;
  /** The connection is closed. */
  declare readonly CLOSED: 3;

  #url: string;
  #onConnection: ((connection: WebSocketConnection) => void) | undefined;
  #onClosed: ((connection: WebSocketConnection) => void) | undefined;
  #role: "client" | "server" = "client";
  #readyState = 0;
  #protocol = "";
  #extensions = "";
  #binaryType: BinaryType = "blob";
  #connection: WebSocketConnection | undefined;
  #pendingClose: { code: number | undefined; reason: string | undefined } | undefined;
  #abortHandshake: (() => void) | undefined;
  /** Bytes passed to send() after the connection closed (WHATWG keeps counting them). */
  #discarded = 0;
  /** Sends waiting for a Blob to be read, to keep message order. */
  #sendQueue: Promise<void> | undefined;
  /** Bytes waiting in `#sendQueue`. */
  #waiting = 0;

  #onopen: WebSocketEventHandler<Event> = null;
  #onmessage: WebSocketEventHandler<MessageEvent> = null;
  #onerror: WebSocketEventHandler<Event> = null;
  #onclose: WebSocketEventHandler<CloseEvent> = null;

  /**
   * Connect to `url`.
   *
   * @param url A `ws:` or `wss:` URL (`http:`/`https:` are mapped).
   * @param protocols One subprotocol or a list, in order of preference.
   * @param options Headers, limits, keep-alive, the connector.
   * @throws {DOMException} `SyntaxError` for an invalid URL, or protocols that are not tokens or are listed twice.
   * @throws {TypeError} Without a URL.
   * @throws {RangeError} For `heartbeat` settings that cannot work.
   */
  constructor(
    url: string | URL,
    protocols: string | string[] = [],
    options: WebSocketOptions = {},
  ) {
    super();
    const pending = WebSocket.#serverPending;
    WebSocket.#serverPending = undefined;
    if (arguments.length === 0) {
      throw new TypeError(
        "Failed to construct 'WebSocket': 1 argument required, but only 0 present",
      );
    }
    let role: "client" | "server" = "client";
    this.#onConnection = pending?.onConnection;
    this.#onClosed = pending?.onClosed;
    let transport: Promise<UpgradedTransport>;
    if (pending !== undefined) {
      // A server socket's URL is its request's, already parsed and
      // serialized by the runtime (see `_socketUrl`): not parsed again.
      this.#url = String(url);
      _checkHeartbeat(options.heartbeat);
      role = this.#role = "server";
      // Deno's server sockets (Deno.upgradeWebSocket) deliver ArrayBuffers.
      this.#binaryType = "arraybuffer";
      transport = pending.transport;
    } else {
      const parsed = _parseWebSocketUrl(url);
      this.#url = parsed.href;
      const list = _protocolList(protocols);
      _checkHeartbeat(options.heartbeat);
      const opening = _openClientTransport("WebSocket", parsed, list, options);
      this.#abortHandshake = () => opening.abort();
      transport = opening.transport;
    }
    transport.then(
      (upgraded) => this.#open(upgraded, role, options),
      (error) => this.#failOpening(error),
    );
  }

  /** The URL. */
  get url(): string {
    return this.#url;
  }
  /** `CONNECTING`, `OPEN`, `CLOSING` or `CLOSED`. */
  get readyState(): number {
    return this.#readyState;
  }
  /** The negotiated subprotocol, or "". */
  get protocol(): string {
    return this.#protocol;
  }
  /** The negotiated extensions, or "". */
  get extensions(): string {
    return this.#extensions;
  }
  /**
   * Milliseconds between the last heartbeat ping and its pong (see the
   * `heartbeat` option), or `undefined` before the first.
   */
  get lastRoundTripTime(): number | undefined {
    return this.#connection?.lastRoundTripTime;
  }
  /** Bytes queued by `send()` and not yet handed to the network. */
  get bufferedAmount(): number {
    return (this.#connection?.bufferedAmount ?? 0) + this.#waiting + this.#discarded;
  }
  /**
   * How binary messages are delivered: `"blob"` or `"arraybuffer"`. Clients
   * start with `"blob"` (as browsers); server sockets with `"arraybuffer"`
   * (as Deno's from `Deno.upgradeWebSocket`).
   */
  get binaryType(): BinaryType {
    return this.#binaryType;
  }
  set binaryType(value: BinaryType) {
    // WebIDL: an enumeration value is converted to a string first.
    const name = `${value}`;
    if (name === "blob" || name === "arraybuffer") this.#binaryType = name;
  }

  /** Called when the connection opens. */
  get onopen(): WebSocketEventHandler<Event> {
    return this.#onopen;
  }
  set onopen(handler: WebSocketEventHandler<Event>) {
    this.#onopen = this.#replaceHandler("open", this.#onopen, handler);
  }
  /** Called for every message. */
  get onmessage(): WebSocketEventHandler<MessageEvent> {
    return this.#onmessage;
  }
  set onmessage(handler: WebSocketEventHandler<MessageEvent>) {
    this.#onmessage = this.#replaceHandler("message", this.#onmessage, handler);
  }
  /** Called when the connection fails. */
  get onerror(): WebSocketEventHandler<Event> {
    return this.#onerror;
  }
  set onerror(handler: WebSocketEventHandler<Event>) {
    this.#onerror = this.#replaceHandler("error", this.#onerror, handler);
  }
  /** Called once when the connection is closed. */
  get onclose(): WebSocketEventHandler<CloseEvent> {
    return this.#onclose;
  }
  set onclose(handler: WebSocketEventHandler<CloseEvent>) {
    this.#onclose = this.#replaceHandler("close", this.#onclose, handler);
  }

  /**
   * Send a message: text for strings, binary for buffers, views and Blobs.
   *
   * @param data The message.
   * @throws {DOMException} `InvalidStateError` while connecting.
   * @throws {TypeError} Without an argument, or for a Symbol.
   */
  send(data: string | ArrayBufferLike | ArrayBufferView | Blob): void {
    if (arguments.length === 0) {
      throw new TypeError("Failed to execute 'send' on 'WebSocket': 1 argument required");
    }
    if (this.#readyState === WebSocket.CONNECTING) {
      throw new DOMException("Cannot send: the connection is still opening", "InvalidStateError");
    }
    if (_isBlob(data) || this.#sendQueue !== undefined) {
      this.#sendBehindBlob(data);
      return;
    }
    this.#sendNow(_toMessageData(data), false);
  }

  /**
   * A Blob is read before it is sent, and what is sent after it waits its
   * turn: bytes are copied now (what `send` was given is what goes out, even
   * if the caller changes its buffer later), counted in `bufferedAmount`
   * while they wait, and a `close()` meanwhile goes out after them.
   */
  #sendBehindBlob(data: string | ArrayBufferLike | ArrayBufferView | Blob): void {
    if (this.#readyState !== WebSocket.OPEN) {
      // WHATWG: after closing starts, data is discarded but counted.
      this.#discarded += _byteSize(_isBlob(data) ? data : _toMessageData(data));
      return;
    }
    let item: Blob | string | Uint8Array;
    if (_isBlob(data)) item = data;
    else {
      const message = _toMessageData(data);
      item = typeof message === "string" ? message : message.slice();
    }
    const size = _byteSize(item);
    this.#waiting += size;
    const next = (this.#sendQueue ?? Promise.resolve()).then(async () => {
      let message: string | Uint8Array;
      try {
        message = _isBlob(item) ? new Uint8Array(await item.arrayBuffer()) : item;
      } catch (error) {
        // The Blob could not be read: what follows must not go out without it.
        this.#waiting -= size;
        this.#connection?.terminate(`Cannot send: reading a Blob failed (${error})`);
        return;
      }
      this.#waiting -= size;
      try {
        this.#sendNow(message, true);
      } catch {
        // The connection stopped taking messages while this one waited (its
        // close is pending behind a message still being compressed).
        this.#discarded += _byteSize(message);
      }
    });
    this.#sendQueue = next;
    next.finally(() => {
      if (this.#sendQueue === next) this.#sendQueue = undefined;
    }).catch(() => {});
  }

  /**
   * Send now, or count as discarded once closing has started; `accepted`:
   * `send` was called while open, so the message goes out if the close frame
   * has not (it was only waiting behind a Blob).
   */
  #sendNow(message: string | Uint8Array, accepted: boolean): void {
    const connection = this.#connection;
    // The peer's close frame may already have been answered while this
    // message's event was being dispatched: never throw, discard like a
    // browser does once closing has started.
    if (
      (this.#readyState !== WebSocket.OPEN && !accepted) || connection === undefined ||
      connection.state !== "open"
    ) {
      // WHATWG: after closing starts, data is discarded but counted.
      this.#discarded += _byteSize(message);
      return;
    }
    connection.send(message);
  }

  /**
   * Start the closing handshake.
   *
   * @param code 1000 or 3000–4999; on a server's socket (from
   * `upgradeWebSocket`) any code valid on the wire, e.g. 1008 or 1013.
   * @param reason At most 123 UTF-8 bytes.
   * @throws {DOMException} `InvalidAccessError` for another code, `SyntaxError` for a long reason.
   */
  close(code?: number, reason?: string): void {
    // WebIDL: the code is a [Clamp] unsigned short and the reason a string.
    if (code !== undefined) code = _clampUnsignedShort(code);
    if (reason !== undefined) reason = `${reason}`;
    _validateUserClose(code, reason, this.#role);
    if (this.#readyState >= WebSocket.CLOSING) return;
    const closeCode = code ?? (reason ? CloseCode.NormalClosure : undefined);
    this.#readyState = WebSocket.CLOSING;
    const connection = this.#connection;
    if (connection === undefined) {
      this.#pendingClose = { code: closeCode, reason };
      this.#abortHandshake?.();
      return;
    }
    // Messages still waiting behind a Blob were sent before: they go first.
    if (this.#sendQueue !== undefined) {
      this.#sendQueue.then(() => connection.close(closeCode, reason)).catch(() => {});
      return;
    }
    connection.close(closeCode, reason);
  }

  /**
   * Swap an `on<type>` handler. As HTML's event handlers do, the handler runs
   * through one listener of ours, added when the handler goes from null to a
   * function and removed when it goes back to null: assigning another
   * function keeps its place among the listeners, and the handler is neither
   * removed by `removeEventListener(type, handler)` nor merged with the same
   * function added by `addEventListener`.
   */
  #replaceHandler<E extends Event>(
    type: "open" | "message" | "error" | "close",
    old: WebSocketEventHandler<E>,
    handler: WebSocketEventHandler<E>,
  ): WebSocketEventHandler<E> {
    const next = typeof handler === "function" ? handler : null;
    // Where dispatchEvent calls on<type> itself (workerd), a listener would run it twice.
    if (_DISPATCH_CALLS_HANDLERS) return next;
    if (old === null && next !== null) this.addEventListener(type, WebSocket.#runHandler[type]);
    else if (old !== null && next === null) {
      this.removeEventListener(type, WebSocket.#runHandler[type]);
    }
    return next;
  }

  /**
   * The listeners that run the `on<type>` handlers, one per type shared by
   * every socket (no closure per socket), with `this` set to the socket.
   */
  static #runHandler = {
    open: (event: Event) => {
      const socket = event.currentTarget as WebSocket;
      socket.#onopen?.call(socket, event);
    },
    message: (event: Event) => {
      const socket = event.currentTarget as WebSocket;
      socket.#onmessage?.call(socket, event as MessageEvent);
    },
    error: (event: Event) => {
      const socket = event.currentTarget as WebSocket;
      socket.#onerror?.call(socket, event);
    },
    close: (event: Event) => {
      const socket = event.currentTarget as WebSocket;
      socket.#onclose?.call(socket, event as CloseEvent);
    },
  };

  #open(upgraded: UpgradedTransport, role: "client" | "server", options: WebSocketOptions): void {
    if (this.#pendingClose !== undefined && role === "client") {
      // Closed while connecting: the WHATWG spec fails the connection.
      upgraded.duplex.close?.();
      this.#closeWith({ closeCode: 1006, reason: "", wasClean: false, error: undefined });
      return;
    }
    let compression;
    try {
      compression = _negotiatedCompression(upgraded.extensions, role, options.perMessageDeflate);
    } catch (error) {
      // RFC 7692 §5.1: a response the client cannot accept fails the connection.
      _abandon(upgraded.duplex);
      this.#failOpening(error);
      return;
    }
    this.#protocol = upgraded.protocol;
    this.#extensions = upgraded.extensions;
    if (upgraded.url !== undefined) {
      this.#url = upgraded.url.href;
      this.#originValue = undefined;
    }
    const connection = new WebSocketConnection(upgraded.duplex, new _SocketEvents(this), {
      ...options,
      role,
      leftover: upgraded.leftover,
      compression,
    });
    this.#connection = connection;
    this.#onConnection?.(connection);
    this.#readyState = WebSocket.OPEN;
    this.dispatchEvent(new Event("open"));
    if (this.#pendingClose !== undefined) {
      this.#readyState = WebSocket.CLOSING;
      connection.close(this.#pendingClose.code, this.#pendingClose.reason);
    }
    // HTML fires every event in a task of its own. Messages that came in
    // with the handshake response are dispatched in a later task than open,
    // so that code which awaits the open event and then sets onmessage (a
    // microtask later) still gets them. Without such bytes, reading starts
    // now: what it reads arrives in a later task anyway, and a timer per
    // connection (Deno's are clamped to 1 ms) would add that to every
    // handshake and close cycle.
    if (upgraded.leftover.length === 0) connection.start();
    else setTimeout(() => connection.start(), 0);
  }

  #deliver(data: string | Uint8Array): void {
    let payload: string | ArrayBuffer | Blob;
    if (typeof data === "string") payload = data;
    else if (this.#binaryType === "arraybuffer") {
      payload = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
        ? data.buffer as ArrayBuffer
        : data.slice().buffer as ArrayBuffer;
    } else payload = new Blob([data as Uint8Array<ArrayBuffer>]);
    this.dispatchEvent(new MessageEvent("message", { data: payload, origin: this.#origin() }));
  }

  /** Set by the server socket factory for the one constructor call it makes. */
  static #serverPending: _PendingTransport | undefined;

  static {
    // `this`, not the class's name: TypeScript's ES2022 output binds that name after the static blocks.
    _registerServerSocket(this, (url, options, pending) => {
      WebSocket.#serverPending = pending;
      return new WebSocket(url, [], options);
    });
    _socketInternals = {
      deliver: (socket, data) => socket.#deliver(data),
      closeFrameReceived: (socket) => {
        if (socket.#readyState === WebSocket.OPEN) socket.#readyState = WebSocket.CLOSING;
      },
      closeWith: (socket, event) => socket.#closeWith(event),
    };
    _frameHook.compression = (socket) => {
      if (!(#connection in socket) || socket.#readyState !== WebSocket.OPEN) return undefined;
      const connection = socket.#connection;
      return connection === undefined ? undefined : _connectionFrames.compression(connection);
    };
    _frameHook.write = (socket, frame) => {
      // Behind a Blob being read, a frame would jump the queue.
      if (!(#connection in socket) || socket.#sendQueue !== undefined) return false;
      const connection = socket.#connection;
      return socket.#readyState === WebSocket.OPEN && connection !== undefined &&
        _connectionFrames.write(connection, frame);
    };
  }

  /** The `origin` of message events, computed once (not per message). */
  #originValue: string | undefined;

  #origin(): string {
    if (this.#originValue === undefined) {
      const url = new URL(this.#url);
      this.#originValue = `${url.protocol}//${url.host}`;
    }
    return this.#originValue;
  }

  #failOpening(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.#closeWith({
      closeCode: CloseCode.AbnormalClosure,
      reason: "",
      wasClean: false,
      error: error instanceof WebSocketError
        ? error
        : new WebSocketError(CloseCode.AbnormalClosure, message),
    });
  }

  #closeWith(event: ConnectionCloseEvent): void {
    if (this.#readyState === WebSocket.CLOSED) return;
    this.#readyState = WebSocket.CLOSED;
    if (this.#connection !== undefined) this.#onClosed?.(this.#connection);
    if (!event.wasClean) {
      const error = new Event("error");
      Object.defineProperty(error, "message", {
        value: event.error?.message ?? event.reason,
      });
      this.dispatchEvent(error);
    }
    this.dispatchEvent(
      new _CloseEvent("close", {
        code: event.closeCode,
        reason: event.reason,
        wasClean: event.wasClean,
      }),
    );
  }
}

/**
 * A socket's connection handler. A class rather than an object literal of
 * arrow functions: its methods live on the prototype, so an open socket
 * carries one small object instead of three closures and their context.
 */
class _SocketEvents implements ConnectionHandler {
  readonly #socket: WebSocket;

  constructor(socket: WebSocket) {
    this.#socket = socket;
  }

  onMessage(data: string | Uint8Array): void {
    _socketInternals.deliver(this.#socket, data);
  }

  onCloseFrame(): void {
    _socketInternals.closeFrameReceived(this.#socket);
  }

  onClose(event: ConnectionCloseEvent): void {
    _socketInternals.closeWith(this.#socket, event);
  }
}

for (const target of [WebSocket, WebSocket.prototype]) {
  Object.defineProperties(target, {
    CONNECTING: { value: 0, enumerable: true },
    OPEN: { value: 1, enumerable: true },
    CLOSING: { value: 2, enumerable: true },
    CLOSED: { value: 3, enumerable: true },
  });
}
Object.defineProperty(WebSocket.prototype, Symbol.toStringTag, {
  value: "WebSocket",
  configurable: true,
});

/** The bytes a message stands for: UTF-8 for text. */
function _byteSize(data: Blob | string | Uint8Array): number {
  if (typeof data === "string") return new TextEncoder().encode(data).length;
  return _isBlob(data) ? data.size : data.length;
}
