import { CloseCode } from "../errors/close_code.ts";
import {
  DEFAULT_MAX_PAYLOAD,
  FrameDecoder,
  ReservedBits,
  type Role,
} from "../frames/frame_decoder.ts";
import { FrameEncoder } from "../frames/frame_encoder.ts";
import type { FrameInit } from "../frames/frame.ts";
import { Opcode } from "../frames/opcode.ts";
import { WebSocketError } from "../errors/websocket_error.ts";
import type { MaskKeyGenerator } from "../masking/mask_key_generator.ts";
import { encodeClosePayload } from "../messages/close_payload.ts";
import type { Message } from "../messages/message.ts";
import { decodeTextMessage, MessageAssembler } from "../messages/message_assembler.ts";
import { MessageEncoder } from "../messages/message_encoder.ts";
import { Utf8Validator } from "../messages/utf8_validator.ts";

/**
 * Where a connection stands (RFC 6455 §4, §7): `open` after the handshake;
 * `closing` once a close frame was sent or received; `closed` when the
 * closing handshake completed, the connection failed, or the transport ended.
 */
export type ProtocolState = "open" | "closing" | "closed";

/**
 * A negotiated per-message compression extension (RFC 7692), as
 * {@linkcode WebSocketProtocol} uses it: RSV1 is accepted on the first frame
 * of a data message, and the protocol compresses and decompresses through
 * these synchronous functions. Leave one out to do that step outside (an
 * asynchronous codec): without `decompress`, compressed messages come out of
 * `eventsReceived()` as `{ type: "compressed" }`; without `compress`,
 * messages go out uncompressed unless sent with `sendCompressed`.
 * `PerMessageDeflate` (in `compression/`) implements it.
 */
export interface MessageCompression {
  /**
   * Compress an outgoing payload (text as UTF-8), or return `undefined` to
   * send it uncompressed.
   */
  compress?: ((payload: Uint8Array) => Uint8Array | undefined) | undefined;
  /**
   * Decompress an incoming payload, throwing a `WebSocketError` (1007 for
   * corrupt data, 1009 past `maxSize`) to fail the connection; or return
   * `undefined` to finish it outside (a message too long to inflate at
   * once): it then comes out as `{ type: "compressed" }`, as without
   * `decompress`.
   */
  decompress?: ((payload: Uint8Array, maxSize: number) => Uint8Array | undefined) | undefined;
}

/**
 * Message size limits: one family from the protocol up to `serve`'s
 * sockets (`ConnectionOptions` extends it).
 */
export interface MessageLimits {
  /** Largest incoming message in bytes; bigger ones fail with 1009. @default {67108864} */
  maxMessageSize?: number | undefined;
  /** Largest incoming frame in bytes. @default {maxMessageSize} */
  maxFrameSize?: number | undefined;
  /** Split outgoing messages into fragments of this many bytes. @default {Infinity} */
  fragmentSize?: number | undefined;
}

/**
 * Options for {@linkcode WebSocketProtocol}.
 */
export interface WebSocketProtocolOptions extends MessageLimits {
  /** This endpoint's role: a client masks what it sends, a server requires masked input. */
  role: "client" | "server";
  /** Source of masking keys (clients), injectable for tests. */
  keys?: MaskKeyGenerator | undefined;
  /**
   * The negotiated per-message compression (permessage-deflate), if any.
   * Without it, RSV1 fails the connection with 1002.
   */
  compression?: MessageCompression | undefined;
  /**
   * Deliver text and binary messages as `chunk` events while they arrive
   * (see `MessageChunk`) instead of whole, so that no message is ever
   * buffered whole. Compressed messages are buffered and decompressed
   * whole (up to `maxMessageSize`) and then delivered as one chunk.
   * @default {false}
   */
  streamMessages?: boolean | undefined;
  /**
   * Send the close frame that answers a chunk (the echo of the peer's
   * close, or the failure for a violation found after other frames) only
   * at {@linkcode WebSocketProtocol.eventsHandled}, so that replies to the
   * events before it, sent while the caller handles them, go out first (as
   * in `ws` and Deno; §5.5.1 allows either order). Until then `state` stays
   * `open`. Without it, the close is answered as it is parsed (as in
   * Python's `websockets`).
   * @default {false}
   */
  deferCloseReply?: boolean | undefined;
}

/**
 * One WebSocket connection's protocol state, after the opening handshake.
 *
 * Bytes in with `receiveData`/`receiveEof`, events out with
 * `eventsReceived`; `send*` in, bytes out with `dataToSend`; close the
 * transport once `closeExpected()` (a server first, §7.1.1). It answers
 * pings and echoes a close by itself; a peer's violation never throws: it
 * sends the close code, records {@linkcode WebSocketProtocol.error} and
 * discards further input (`protocol/websocket_protocol_test.ts`).

 *
 * @example
 * ```ts
 * import { WebSocketProtocol } from "@edgews/websocket/protocol";
 * import assert from "node:assert/strict";
 *
 * const client = new WebSocketProtocol({ role: "client" });
 * const server = new WebSocketProtocol({ role: "server" });
 * client.sendText("Hello");
 * for (const bytes of client.dataToSend()) server.receiveData(bytes);
 * assert.deepEqual(server.eventsReceived(), [{ type: "text", data: "Hello" }]);
 *
 * server.sendClose(1000, "bye");
 * for (const bytes of server.dataToSend()) client.receiveData(bytes);
 * for (const bytes of client.dataToSend()) server.receiveData(bytes); // the echo
 * assert.equal(server.state, "closed");
 * assert.equal(server.closeExpected(), true);
 * ```
 */
export class WebSocketProtocol {
  #role: "client" | "server";
  #decoder: FrameDecoder;
  #assembler: MessageAssembler;
  #frames: FrameEncoder;
  #messages: MessageEncoder;
  #events: Message[] = [];
  #output: Uint8Array[] = [];
  #state: ProtocolState = "open";
  #closeSent = false;
  #closeReceived = false;
  #closeCode: number | undefined;
  #closeReason = "";
  #error: WebSocketError | undefined;
  /** A violation found after events the caller has not taken yet (see receiveData). */
  #pendingError: WebSocketError | undefined;
  #deferCloseReply: boolean;
  /** The peer's close frame waits for `eventsHandled()` to be answered. */
  #closeReplyDue = false;
  #eof = false;
  #compression: MessageCompression | undefined;
  #maxMessageSize: number;
  #streamMessages: boolean;
  /** Whether messages go out as single frames (no `fragmentSize`). */
  #unfragmented: boolean;
  /** The type of the message being sent with `sendChunk`, until its last chunk. */
  #sendingChunks: "text" | "binary" | undefined;

  /**
   * Create the protocol for an open connection.
   *
   * @param options Role and limits.
   */
  constructor(options: WebSocketProtocolOptions) {
    this.#role = options.role;
    const maxMessageSize = options.maxMessageSize;
    const decoderRole: Role = options.role;
    const compression = options.compression;
    this.#compression = compression;
    this.#maxMessageSize = maxMessageSize ?? DEFAULT_MAX_PAYLOAD;
    this.#streamMessages = options.streamMessages ?? false;
    this.#deferCloseReply = options.deferCloseReply ?? false;
    this.#assembler = new MessageAssembler((message) => this.#onMessage(message), {
      maxMessageSize,
      compression: compression !== undefined,
      streamMessages: this.#streamMessages,
    });
    this.#decoder = new FrameDecoder(
      this.#assembler,
      {
        role: decoderRole,
        maxFrameSize: options.maxFrameSize ?? maxMessageSize,
        allowedReservedBits: compression !== undefined ? ReservedBits.Rsv1 : 0,
      },
    );
    this.#frames = new FrameEncoder({ role: options.role, keys: options.keys });
    this.#messages = new MessageEncoder({ fragmentSize: options.fragmentSize });
    this.#unfragmented = (options.fragmentSize ?? Infinity) === Infinity;
  }

  /** The connection's state. */
  get state(): ProtocolState {
    return this.#state;
  }

  /** This endpoint's role. */
  get role(): "client" | "server" {
    return this.#role;
  }

  /**
   * The close code of the connection (RFC 6455 §7.1.5): the code in the
   * peer's close frame (1005 when it had none), the code this endpoint failed
   * with, or 1006 when the transport ended without a closing handshake.
   * `undefined` until the connection starts closing.
   */
  get closeCode(): number | undefined {
    return this.#closeCode;
  }

  /** The close reason that goes with {@linkcode WebSocketProtocol.closeCode}. */
  get closeReason(): string {
    return this.#closeReason;
  }

  /** The error that failed the connection, if it failed. */
  get error(): WebSocketError | undefined {
    return this.#error;
  }

  /** Whether a close frame has been sent. */
  get closeSent(): boolean {
    return this.#closeSent;
  }

  /** Whether a close frame has been received. */
  get closeReceived(): boolean {
    return this.#closeReceived;
  }

  /**
   * Parse received bytes. Masked input is unmasked in place. A violation
   * found after messages not yet taken with `eventsReceived()` fails the
   * connection once they are taken (at the next `dataToSend()`), so the
   * caller's replies to them are sent before the close frame.
   *
   * @param chunk The next bytes from the transport.
   */
  receiveData(chunk: Uint8Array): void {
    if (this.#closeReceived || this.#error !== undefined || this.#eof) return;
    if (this.#pendingError !== undefined) return;
    const error = this.#decoder.write(chunk);
    // Bytes after the peer's close frame in the same chunk are discarded
    // (§5.5.1: nothing follows a close), so a violation there is no failure.
    if (error === undefined || this.#closeReceived) return;
    // Frames take effect in order, however TCP split them: events decoded
    // before the violation are delivered first, and the connection fails
    // once they were taken (at the next dataToSend(), closeExpected() or
    // receiveEof()), so replies to them go out before the close frame.
    if (this.#events.length > 0) this.#pendingError = error;
    else this.#failWith(error);
  }

  /**
   * Where the next bytes may be read so that they land in place: the rest
   * of a large data frame's payload, in the buffer its message is assembled
   * in (see `MessageAssembler.payloadBuffer`). Reading there and passing the
   * bytes read to {@linkcode WebSocketProtocol.receiveData} as usual saves a
   * copy of every byte of a large message.
   *
   * @returns A view to read into, or `undefined` (read anywhere).
   */
  receiveBuffer(): Uint8Array | undefined {
    if (
      this.#closeReceived || this.#error !== undefined || this.#eof ||
      this.#pendingError !== undefined
    ) {
      return undefined;
    }
    return this.#assembler.payloadBuffer();
  }

  /** Fail with a pending violation once the events before it were taken. */
  #settle(): void {
    const error = this.#pendingError;
    if (error === undefined || this.#events.length > 0 || this.#deferCloseReply) return;
    this.#pendingError = undefined;
    this.#failWith(error);
  }

  /**
   * Report that the events taken with `eventsReceived()` were handled and
   * the replies to them sent. With `deferCloseReply`, the close frame that
   * answers them (the echo of the peer's close, or a pending failure) is
   * queued now; otherwise this does nothing.
   */
  eventsHandled(): void {
    const error = this.#pendingError;
    if (error !== undefined) {
      this.#pendingError = undefined;
      this.#failWith(error);
    }
    if (!this.#closeReplyDue) return;
    this.#closeReplyDue = false;
    this.#answerClose();
  }

  /** §5.5.1: answer the peer's close frame, echoing its status code. */
  #answerClose(): void {
    const code = this.#closeCode;
    if (!this.#closeSent) this.sendClose(code === CloseCode.NoStatusReceived ? undefined : code);
    this.#state = "closed";
  }

  /**
   * Report that the transport's byte stream ended. Without a completed
   * closing handshake, the connection closed abnormally (1006, §7.1.5).
   */
  receiveEof(): void {
    if (this.#eof) return;
    const pending = this.#pendingError;
    this.#pendingError = undefined;
    if (pending !== undefined) this.#failWith(pending);
    this.#eof = true;
    if (!this.#closeReceived && this.#error === undefined) {
      this.#closeCode = CloseCode.AbnormalClosure;
      this.#closeReason = this.#decoder.idle
        ? "Connection closed without a close frame"
        : "Connection closed in the middle of a frame";
    }
    this.#state = "closed";
  }

  /**
   * Take the messages and control frames received so far.
   *
   * @returns The events in arrival order; the internal list is emptied.
   */
  eventsReceived(): Message[] {
    const events = this.#events;
    if (events.length === 0) return events;
    this.#events = [];
    return events;
  }

  /**
   * Take the bytes to write to the transport.
   *
   * @returns Chunks in order; the internal list is emptied.
   */
  dataToSend(): Uint8Array[] {
    this.#settle();
    const output = this.#output;
    if (output.length === 0) return output;
    this.#output = [];
    return output;
  }

  /**
   * Whether the transport should now be closed: the closing handshake is
   * complete, or the connection failed.
   *
   * @returns `true` when the I/O layer should close the transport.
   */
  closeExpected(): boolean {
    this.#settle();
    return this.#state === "closed" || this.#error !== undefined;
  }

  /**
   * Send a text message.
   *
   * @param data The text.
   * @throws {WebSocketError} When the connection is closing or closed.
   */
  sendText(data: string): void {
    if (this.#compression?.compress !== undefined) this.#sendBytes("text", _encoder.encode(data));
    else if (this.#unfragmented && this.#sendingChunks === undefined && this.#canSend()) {
      // The common case: one frame, encoded from the string in place.
      const chunks = this.#frames.encodeText(data);
      for (let i = 0; i < chunks.length; i++) this.#output.push(chunks[i]!);
    } else this.#sendMessage({ type: "text", data });
  }

  /** Whether a data message may be sent now (the slow path throws the error). */
  #canSend(): boolean {
    return !this.#closeSent && this.#state === "open";
  }

  /**
   * Send a binary message. The bytes are not modified.
   *
   * @param data The bytes.
   * @throws {WebSocketError} When the connection is closing or closed.
   */
  sendBinary(data: Uint8Array): void {
    if (this.#compression?.compress !== undefined) this.#sendBytes("binary", data);
    else this.#sendMessage({ type: "binary", data });
  }

  /**
   * Send a message whose payload was compressed outside the protocol (by
   * an asynchronous codec): RSV1 goes on its first frame.
   *
   * @param type What the message was before compression.
   * @param payload The compressed payload.
   * @throws {WebSocketError} When the connection is closing or closed.
   * @throws {TypeError} When no compression was negotiated.
   */
  sendCompressed(type: "text" | "binary", payload: Uint8Array): void {
    if (this.#compression === undefined) {
      throw new TypeError("Cannot send a compressed message: no compression was negotiated");
    }
    this.#sendMessage({ type: "compressed", messageType: type, data: payload });
  }

  /**
   * Send a piece of a message as it becomes available: the first call
   * starts a text or binary message, later ones continue it (as
   * continuation frames, split by `fragmentSize`), and the call with
   * `last` ends it. Control frames (pings, pongs, a close) may go out in
   * between; other messages may not until it ends. Chunks are never
   * compressed (RFC 7692 lets a sender leave any message uncompressed).
   * Text must be UTF-8, which the caller checks (`Utf8Validator`).
   *
   * @param type The message's type; the same for all its chunks.
   * @param data The next bytes; may be empty.
   * @param last Whether this chunk ends the message.
   * @throws {WebSocketError} When the connection is closing or closed.
   * @throws {TypeError} When `type` differs from the message's.
   */
  sendChunk(type: "text" | "binary", data: Uint8Array, last: boolean): void {
    const sending = this.#sendingChunks;
    if (sending !== undefined && sending !== type) {
      throw new TypeError(`Cannot send a ${type} chunk: a ${sending} message is being sent`);
    }
    this.#sendMessage({
      type: "chunk",
      messageType: type,
      data,
      first: sending === undefined,
      last,
    });
    this.#sendingChunks = last ? undefined : type;
  }

  /**
   * Send a ping.
   *
   * @param data Up to 125 bytes of application data.
   */
  sendPing(data: Uint8Array = new Uint8Array(0)): void {
    this.#sendMessage({ type: "ping", data });
  }

  /**
   * Send an unsolicited pong (a heartbeat that expects no answer, §5.5.3).
   *
   * @param data Up to 125 bytes of application data.
   */
  sendPong(data: Uint8Array = new Uint8Array(0)): void {
    this.#sendMessage({ type: "pong", data });
  }

  /**
   * Start the closing handshake (§7.1.2), or answer the peer's close.
   * Does nothing when a close frame was already sent.
   *
   * @param code A code valid on the wire, or 1005 / none for an empty close.
   * @param reason At most 123 UTF-8 bytes.
   * @throws {RangeError} For an invalid code or a reason too long.
   */
  sendClose(code: number = CloseCode.NoStatusReceived, reason = ""): void {
    if (this.#closeSent || this.#eof) return;
    const payload = encodeClosePayload(code, reason);
    this.#closeSent = true;
    this.#write({ opcode: Opcode.Close, payload });
    if (this.#closeCode === undefined) {
      this.#closeCode = code;
      this.#closeReason = reason;
    }
    this.#state = this.#closeReceived ? "closed" : "closing";
  }

  /**
   * Fail the connection (§7.1.7): send a close frame with `code` if none was
   * sent yet, and expect the transport to be closed.
   *
   * @param code The close code, e.g. 1002, 1008 or 1011.
   * @param reason Why, for the peer and the logs.
   */
  fail(code: number, reason = ""): void {
    this.#failWith(new WebSocketError(code, reason));
  }

  #failWith(error: WebSocketError): void {
    if (this.#error !== undefined) return;
    this.#error = error;
    if (!this.#closeSent && !this.#eof) {
      // The reason is for people: cut it to the 123 bytes a close frame holds.
      this.sendClose(error.closeCode, _truncateUtf8(error.message, 123));
    }
    this.#closeCode = error.closeCode;
    this.#closeReason = error.message;
    this.#state = "closed";
  }

  #sendMessage(message: Message): void {
    if (this.#closeSent || this.#state !== "open") {
      throw new WebSocketError(
        CloseCode.AbnormalClosure,
        `Cannot send ${message.type}: the connection is ${this.#state}`,
      );
    }
    this.#checkNotChunking(message.type);
    for (const frame of this.#messages.encode(message)) this.#write(frame);
  }

  /** Send text (as UTF-8) or binary through the synchronous compressor. */
  #sendBytes(type: "text" | "binary", payload: Uint8Array): void {
    if (this.#closeSent || this.#state !== "open") {
      throw new WebSocketError(
        CloseCode.AbnormalClosure,
        `Cannot send ${type}: the connection is ${this.#state}`,
      );
    }
    this.#checkNotChunking(type);
    const compressed = this.#compression!.compress!(payload);
    const frames = compressed === undefined
      ? this.#messages.encodePayload(type, payload)
      : this.#messages.encodePayload(type, compressed, true);
    for (const frame of frames) this.#write(frame);
  }

  /** §5.4: a message's fragments may not be interleaved with another message's. */
  #checkNotChunking(type: string): void {
    if (
      this.#sendingChunks === undefined || type === "chunk" || type === "ping" || type === "pong" ||
      type === "close"
    ) return;
    throw new TypeError(
      `Cannot send ${type}: a ${this.#sendingChunks} message sent with sendChunk has not ended (send its last chunk first)`,
    );
  }

  #write(frame: FrameInit): void {
    const chunks = this.#frames.encode(frame);
    for (let i = 0; i < chunks.length; i++) this.#output.push(chunks[i]!);
  }

  #onMessage(message: Message): void {
    // Whatever followed the close frame in the same chunk is ignored, as it
    // would be in a later chunk: the outcome must not depend on how TCP
    // split the bytes.
    if (this.#closeReceived) return;
    switch (message.type) {
      case "compressed": {
        // RFC 7692 §6.2: decompress, then the message is what it was sent as.
        const compression = this.#compression;
        if (compression?.decompress === undefined) break;
        const bytes = compression.decompress(message.data, this.#maxMessageSize);
        if (bytes === undefined) break;
        if (this.#streamMessages) {
          // Whole, then as one chunk: the text is checked before it is handed out.
          if (message.messageType === "text") {
            const validator = new Utf8Validator();
            // decodeTextMessage throws the 1007 that says where the bad byte is.
            if (validator.write(bytes) !== -1 || !validator.complete) decodeTextMessage(bytes);
          }
          this.#events.push({
            type: "chunk",
            messageType: message.messageType,
            data: bytes,
            first: true,
            last: true,
          });
          return;
        }
        this.#events.push(
          message.messageType === "text"
            ? { type: "text", data: decodeTextMessage(bytes) }
            : { type: "binary", data: bytes },
        );
        return;
      }
      case "ping":
        // §5.5.2: answer with a pong carrying the same data, unless closing.
        if (!this.#closeSent) this.#write({ opcode: Opcode.Pong, payload: message.data });
        break;
      case "close":
        // §7.1.5: the connection's close code is the one in the close frame
        // received, even when this endpoint started the closing handshake.
        this.#closeReceived = true;
        this.#closeCode = message.code;
        this.#closeReason = message.reason;
        if (this.#deferCloseReply && !this.#closeSent) this.#closeReplyDue = true;
        else this.#answerClose();
        break;
    }
    this.#events.push(message);
  }
}

const _encoder = new TextEncoder();

/** Cut `text` to at most `limit` UTF-8 bytes without splitting a character. */
function _truncateUtf8(text: string, limit: number): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= limit) return text;
  let end = limit;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes.subarray(0, end));
}
