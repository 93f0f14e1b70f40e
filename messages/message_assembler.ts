import { CloseCode } from "../errors/close_code.ts";
import type { Frame, FrameHandler, FrameHeader } from "../frames/frame.ts";
import { DEFAULT_MAX_PAYLOAD } from "../frames/frame_decoder.ts";
import { Opcode } from "../frames/opcode.ts";
import { WebSocketError } from "../errors/websocket_error.ts";
import { parseClosePayload } from "./close_payload.ts";
import type { Message } from "./message.ts";
import { Utf8Validator } from "./utf8_validator.ts";

/**
 * Options for {@linkcode MessageAssembler}.
 */
export interface MessageAssemblerOptions {
  /**
   * Largest message accepted, summed over its fragments. A frame that would
   * take a message past it fails with 1009 as soon as its header is read.
   * @default {67108864}
   */
  maxMessageSize?: number | undefined;
  /**
   * A per-message compression extension was negotiated (RFC 7692 §6): RSV1
   * on a message's first frame marks it, and it is reported as
   * `{ type: "compressed" }` for the caller to decompress and check
   * ({@linkcode decodeTextMessage}). RSV1 elsewhere fails with 1002.
   * @default {false}
   */
  compression?: boolean | undefined;
  /**
   * Deliver text and binary messages as `chunk` events while they arrive
   * (see `MessageChunk`), so that a message of any size passes in bounded
   * memory; text is still validated and `maxMessageSize` still applies.
   * Compressed messages are buffered whole (they inflate whole).
   * @default {false}
   */
  streamMessages?: boolean | undefined;
  /** @deprecated Use `streamMessages`. */
  streaming?: boolean | undefined;
}

// ignoreBOM: a text message that starts with U+FEFF keeps it. A decoder
// drops a leading byte order mark by default, which would change the
// message (Deno's WebSocket, ws and websockets keep it too).
const _decoder = new TextDecoder("utf-8", { ignoreBOM: true });
const _fatalDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * A message buffer is allocated at the length its frame header announces up
 * to this size even before the bytes arrive; beyond it, at most
 * {@linkcode _GROWTH} times the bytes that arrived. The read buffer reaches
 * the same size.
 */
const _EAGER_BYTES = 256 * 1024;
/**
 * How far past the bytes that arrived a buffer may grow toward what a header
 * announced: a 16 MiB message fills buffers of 256 KiB, 2 MiB and 16 MiB
 * (grown in place where `ArrayBuffer.prototype.transfer` exists, else 2.25
 * MiB copied again), and a header that lies costs eight times what it sent
 * at most.
 */
const _GROWTH = 8;

/** The least payload still to come for which {@linkcode MessageAssembler.payloadBuffer} offers a place. */
const _IN_PLACE_MIN = 64 * 1024;

/**
 * Decode a complete text message's bytes, failing with 1007 when they are
 * not UTF-8. The assembler checks text as it arrives; this is for text that
 * only becomes readable later, such as a message decompressed after
 * reassembly (RFC 7692 §6.2).
 *
 * @param bytes The whole message.
 * @returns The text.
 * @throws {WebSocketError} With 1007, saying where the invalid byte is.
 *
 * @example
 * ```ts
 * import { decodeTextMessage } from "@edgews/websocket/messages";
 * import assert from "node:assert/strict";
 *
 * assert.equal(decodeTextMessage(new Uint8Array([0x68, 0xc3, 0xa9])), "hé");
 * assert.throws(
 *   () => decodeTextMessage(new Uint8Array([0x68, 0xc0, 0x80])),
 *   { name: "WebSocketError", closeCode: 1007 },
 * );
 * ```
 */
export function decodeTextMessage(bytes: Uint8Array): string {
  try {
    return _fatalDecoder.decode(bytes);
  } catch {
    // Find the first bad byte for the message.
    const validator = new Utf8Validator();
    const bad = validator.write(bytes);
    throw new WebSocketError(
      CloseCode.InvalidPayload,
      bad !== -1
        ? `Invalid text message: not UTF-8 at byte ${bad}`
        : "Invalid text message: ends in the middle of a UTF-8 sequence",
    );
  }
}

/**
 * Reassembles messages from frames and reports them, with control frames
 * passed through as they interleave.
 *
 * A {@linkcode FrameHandler}: a `FrameDecoder` (which checks the frame-level
 * rules) feeds it payload slices as they arrive, so text fails with 1007 at
 * the first invalid byte, before the frame ends. Violations are thrown as
 * `WebSocketError`, which the decoder returns; the cases are in
 * `messages/message_assembler_test.ts`.
 *
 * @example
 * ```ts
 * import { FrameDecoder } from "@edgews/websocket/frames";
 * import { type Message, MessageAssembler } from "@edgews/websocket/messages";
 * import assert from "node:assert/strict";
 *
 * const messages: Message[] = [];
 * const decoder = new FrameDecoder(
 *   new MessageAssembler((message) => messages.push(message)),
 *   { role: "client" },
 * );
 * decoder.write(new Uint8Array([0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f]));
 * assert.deepEqual(messages, [{ type: "text", data: "Hello" }]);
 * ```
 */
export class MessageAssembler implements FrameHandler {
  #onMessage: (message: Message) => void;
  #maxMessageSize: number;
  #compression: boolean;
  #streaming: boolean;
  /** Streaming: the current message's first chunk was emitted. */
  #started = false;
  /** The data message being assembled is compressed (RSV1 on its first frame). */
  #compressed = false;
  #validator = new Utf8Validator();

  /** The frame being received. */
  #opcode = 0;
  #fin = false;
  #frameLength = 0;
  #frameFilled = 0;
  /** The data message being assembled: Text or Binary, or 0 when none. */
  #messageType = 0;
  /** Bytes in `#buffer` (or in the whole message so far). */
  #size = 0;
  #buffer: Uint8Array | undefined;
  /** Set when a single-frame message arrived in one slice and was emitted. */
  #done = false;
  /** Control frame body (at most 125 bytes). */
  /** Created on the first control frame: idle connections never need it. */
  #control: Uint8Array | undefined;

  /**
   * Create an assembler.
   *
   * @param onMessage Called with every complete message or control frame.
   * @param options Limits.
   */
  constructor(
    onMessage: (message: Message) => void,
    options: MessageAssemblerOptions = {},
  ) {
    this.#onMessage = onMessage;
    this.#maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_PAYLOAD;
    this.#compression = options.compression ?? false;
    this.#streaming = options.streamMessages ?? options.streaming ?? false;
  }

  /** Whether a fragmented data message is partly received. */
  get inMessage(): boolean {
    return this.#messageType !== 0;
  }

  /**
   * Feed one whole frame.
   *
   * @param frame A frame whose payload is already unmasked.
   * @throws {WebSocketError} On invalid UTF-8, a too-big message, a bad close body.
   */
  pushFrame(frame: Frame): void {
    this.onFrameStart({
      fin: frame.fin,
      rsv1: frame.rsv1,
      rsv2: frame.rsv2,
      rsv3: frame.rsv3,
      opcode: frame.opcode,
      mask: frame.mask,
      length: frame.payload.length,
    });
    if (frame.payload.length > 0) this.onFramePayload(frame.payload);
    this.onFrameEnd();
  }

  /** Start a frame: check the message size limit before any payload. */
  onFrameStart(header: FrameHeader): void {
    const opcode = header.opcode;
    this.#opcode = opcode;
    this.#fin = header.fin;
    this.#frameLength = header.length;
    this.#frameFilled = 0;
    if (header.rsv1 && this.#compression) this.#checkRsv1(opcode);
    if (opcode >= 0x8) return;
    if (opcode !== Opcode.Continuation) {
      if (this.#messageType !== 0) {
        throw new WebSocketError(
          CloseCode.ProtocolError,
          "Invalid frame: new data frame while a fragmented message is still open",
        );
      }
      this.#messageType = opcode;
      this.#size = 0;
      this.#done = false;
      this.#started = false;
      this.#compressed = header.rsv1 && this.#compression;
      this.#validator.reset();
    } else if (this.#messageType === 0) {
      throw new WebSocketError(
        CloseCode.ProtocolError,
        "Invalid frame: continuation frame without a message to continue",
      );
    }
    const total = this.#size + header.length;
    if (total > this.#maxMessageSize) {
      throw new WebSocketError(
        CloseCode.MessageTooBig,
        `Message too big: at least ${total} bytes, the limit is ${this.#maxMessageSize}`,
      );
    }
  }

  /** Take the next payload slice. */
  onFramePayload(chunk: Uint8Array): void {
    if (this.#opcode >= 0x8) {
      (this.#control ??= new Uint8Array(125)).set(chunk, this.#frameFilled);
      this.#frameFilled += chunk.length;
      return;
    }
    if (this.#messageType === Opcode.Text && !this.#compressed) {
      const bad = this.#validator.write(chunk);
      if (bad !== -1) {
        throw new WebSocketError(
          CloseCode.InvalidPayload,
          `Invalid text message: not UTF-8 at byte ${this.#size + bad}`,
        );
      }
    }
    if (this.#streaming && !this.#compressed) {
      this.#emitChunk(
        chunk.slice(),
        this.#fin && this.#frameFilled + chunk.length === this.#frameLength,
      );
      this.#frameFilled += chunk.length;
      this.#size += chunk.length;
      return;
    }
    // Fast path: a single-frame message whose payload came in one slice.
    if (
      this.#fin && this.#size === 0 && this.#frameFilled === 0 &&
      chunk.length === this.#frameLength && chunk.buffer !== this.#buffer?.buffer
    ) {
      this.#frameFilled = chunk.length;
      this.#size = chunk.length;
      this.#done = true;
      this.#emitData(chunk, false);
      return;
    }
    this.#append(chunk);
    this.#frameFilled += chunk.length;
  }

  /**
   * Where the rest of the current data frame's payload may be read, in
   * place in the buffer its message is assembled in: reading there saves
   * the copy from a read buffer. Offered only for at least 64 KiB still to
   * come, and never more than the buffer's capacity, which grows as in any
   * other case (a header that lies costs no more). Hand what was read to
   * {@linkcode MessageAssembler.onFramePayload} (through the frame decoder)
   * as usual: a chunk found in place is not copied.
   *
   * @returns A view to read into, or `undefined` when there is none.
   */
  payloadBuffer(): Uint8Array | undefined {
    const remaining = this.#frameLength - this.#frameFilled;
    if (
      this.#opcode >= 0x8 || this.#messageType === 0 || remaining < _IN_PLACE_MIN ||
      (this.#streaming && !this.#compressed)
    ) {
      return undefined;
    }
    const buffer = this.#reserve(this.#size + 1, this.#size);
    return buffer.subarray(this.#size, Math.min(buffer.length, this.#size + remaining));
  }

  /** Finish a frame: emit a control frame, or the message on its last frame. */
  onFrameEnd(): void {
    const opcode = this.#opcode;
    if (opcode >= 0x8) {
      const body = this.#control === undefined
        ? new Uint8Array(0)
        : this.#control.subarray(0, this.#frameFilled);
      if (opcode === Opcode.Close) {
        const { code, reason } = parseClosePayload(body);
        this.#onMessage({ type: "close", code, reason });
      } else {
        this.#onMessage({
          type: opcode === Opcode.Ping ? "ping" : "pong",
          data: body.slice(),
        });
      }
      return;
    }
    if (!this.#fin) return;
    if (this.#streaming && !this.#compressed) {
      if (!this.#done) this.#emitChunk(new Uint8Array(0), true);
    } else if (!this.#done) {
      this.#emitData(
        this.#buffer === undefined ? new Uint8Array(0) : this.#buffer.subarray(0, this.#size),
        true,
      );
    }
    this.#messageType = 0;
    this.#size = 0;
    this.#buffer = undefined;
    this.#done = false;
  }

  /**
   * RFC 7692 §6: RSV1 marks the first frame of a compressed message; on a
   * control frame or a continuation frame it has no meaning.
   */
  #checkRsv1(opcode: number): void {
    if (opcode >= 0x8) {
      throw new WebSocketError(
        CloseCode.ProtocolError,
        "Invalid frame: RSV1 set on a control frame (only a message's first frame may be compressed)",
      );
    }
    if (opcode === Opcode.Continuation) {
      throw new WebSocketError(
        CloseCode.ProtocolError,
        "Invalid frame: RSV1 set on a continuation frame (only a message's first frame may carry it)",
      );
    }
  }

  /** Streaming: emit a piece of the message (a copy), checking text is complete at its end. */
  #emitChunk(data: Uint8Array, last: boolean): void {
    const messageType = this.#messageType === Opcode.Text ? "text" : "binary";
    if (last) {
      if (messageType === "text" && !this.#validator.complete) {
        throw new WebSocketError(
          CloseCode.InvalidPayload,
          "Invalid text message: ends in the middle of a UTF-8 sequence",
        );
      }
      this.#done = true;
    }
    const first = !this.#started;
    this.#started = true;
    this.#onMessage({ type: "chunk", messageType, data, first, last });
  }

  /** Emit the message; `owned` bytes are ours to hand out, others are copied. */
  #emitData(bytes: Uint8Array, owned: boolean): void {
    if (this.#compressed) {
      this.#compressed = false;
      const messageType = this.#messageType === Opcode.Text ? "text" : "binary";
      this.#messageType = 0;
      this.#onMessage({ type: "compressed", messageType, data: owned ? bytes : bytes.slice() });
      return;
    }
    if (this.#messageType === Opcode.Text) {
      if (!this.#validator.complete) {
        throw new WebSocketError(
          CloseCode.InvalidPayload,
          "Invalid text message: ends in the middle of a UTF-8 sequence",
        );
      }
      this.#messageType = 0;
      this.#onMessage({ type: "text", data: _decoder.decode(bytes) });
    } else {
      this.#messageType = 0;
      this.#onMessage({ type: "binary", data: owned ? bytes : bytes.slice() });
    }
  }

  /** Copy `chunk` behind the message so far (unless it was read there), growing the buffer. */
  #append(chunk: Uint8Array): void {
    const buffer = this.#reserve(this.#size + chunk.length);
    if (chunk.buffer !== buffer.buffer || chunk.byteOffset !== buffer.byteOffset + this.#size) {
      buffer.set(chunk, this.#size);
    }
    this.#size += chunk.length;
  }

  /** The message buffer, grown (if needed) to hold at least `end` bytes, `arrived` of them here. */
  #reserve(end: number, arrived = end): Uint8Array {
    const buffer = this.#buffer;
    if (buffer !== undefined && buffer.length >= end) return buffer;
    // Sized by the frame header (the message's length on its last frame),
    // but at most _GROWTH times the bytes that arrived (or 256 KiB): a peer
    // that announces 64 MiB and sends 10 bytes must not cost 64 MiB.
    const frameEnd = this.#size - this.#frameFilled + this.#frameLength;
    const wanted = this.#fin
      ? frameEnd
      : Math.min(Math.max(frameEnd, (buffer?.length ?? 0) * 2), this.#maxMessageSize);
    const capacity = Math.max(end, Math.min(wanted, Math.max(arrived * _GROWTH, _EAGER_BYTES)));
    // Grown in place where the runtime can: `transfer` (ES2024; not in
    // Node 20) reallocates, so what arrived is not copied and only the new
    // bytes are zeroed.
    const inPlace = buffer !== undefined && buffer.byteOffset === 0 &&
      buffer.length === buffer.buffer.byteLength &&
      typeof (buffer.buffer as { transfer?: unknown }).transfer === "function";
    let next: Uint8Array;
    try {
      next = inPlace
        ? new Uint8Array((buffer.buffer as ArrayBuffer).transfer(capacity))
        : new Uint8Array(capacity);
    } catch (error) {
      throw new WebSocketError(
        CloseCode.MessageTooBig,
        `Message too big: cannot allocate ${capacity} bytes to hold it`,
        { cause: error },
      );
    }
    if (buffer !== undefined && !inPlace) next.set(buffer.subarray(0, this.#size));
    this.#buffer = next;
    return next;
  }
}
