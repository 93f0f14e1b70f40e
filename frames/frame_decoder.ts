import { mask as applyMask } from "../masking/mask.ts";
import { CloseCode } from "../errors/close_code.ts";
import type { FrameHandler, FrameHeader } from "./frame.ts";
import { Opcode } from "./opcode.ts";
import { WebSocketError } from "../errors/websocket_error.ts";

/**
 * The default limit for one frame's and one message's payload: 64 MiB.
 */
export const DEFAULT_MAX_PAYLOAD = 64 * 1024 * 1024;

/**
 * Reserved bit flags for {@linkcode FrameDecoderOptions.allowedReservedBits}.
 */
export const ReservedBits = {
  /** RSV1 (0x40 in the first byte): permessage-deflate's "compressed" bit. */
  Rsv1: 0x4,
  /** RSV2 (0x20 in the first byte). */
  Rsv2: 0x2,
  /** RSV3 (0x10 in the first byte). */
  Rsv3: 0x1,
} as const;

/**
 * Which side of the connection decodes: a server receives masked frames from
 * clients, a client receives unmasked frames from servers (§5.1); `"any"`
 * accepts both, for tools that read captured traffic.
 */
export type Role = "client" | "server" | "any";

/**
 * Options for {@linkcode FrameDecoder}.
 */
export interface FrameDecoderOptions {
  /** The decoding endpoint's role; decides which mask bit is legal. */
  role: Role;
  /**
   * Reserved bits that a negotiated extension gives a meaning to, as a
   * combination of {@linkcode ReservedBits}. Any other set bit fails with 1002.
   * @default {0}
   */
  allowedReservedBits?: number | undefined;
  /**
   * Largest payload accepted in one frame; larger frames fail with 1009 as
   * soon as their header is read, before any payload is buffered.
   * @default {67108864}
   */
  maxFrameSize?: number | undefined;
}

const _STATE_HEADER = 0;
const _STATE_PAYLOAD = 1;
const _STATE_FAILED = 2;

/**
 * A synchronous, incremental frame parser that enforces every rule of
 * RFC 6455 §5 and reports violations as a {@linkcode WebSocketError} with the
 * close code to send. It never throws to its caller: `write` returns the
 * error, and after an error it ignores all further input. Chunks may be of
 * any size; payload slices are views into them, unmasked in place.

 *
 * Violations fail with 1002, a frame over `maxFrameSize` with 1009; each
 * rule is a row of `violations` in `frames/frame_decoder_test.ts`.

 *
 * @example Decode the RFC 6455 §5.7 fragmented "Hello", one byte at a time
 * ```ts
 * import { FrameDecoder } from "@edgews/websocket/frames";
 * import assert from "node:assert/strict";
 *
 * let text = "";
 * const decoder = new FrameDecoder({
 *   onFrameStart() {},
 *   onFramePayload(chunk) { text += new TextDecoder().decode(chunk); },
 *   onFrameEnd() {},
 * }, { role: "client" });
 * const wire = [0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f];
 * for (const byte of wire) decoder.write(new Uint8Array([byte]));
 * assert.equal(text, "Hello");
 * ```
 */
export class FrameDecoder {
  #handler: FrameHandler;
  #role: Role;
  #allowedRsv: number;
  #maxFrameSize: number;

  #state = _STATE_HEADER;
  /** Header bytes gathered across chunks (at most 14). */
  /** Created on the first header split over chunks (idle connections never need it). */
  #scratch: Uint8Array | undefined;
  #scratchLength = 0;
  /** Payload bytes of the current frame still to come. */
  #remaining = 0;
  /** Position inside the current payload, for the running mask offset. */
  #payloadOffset = 0;
  #mask: Uint8Array | undefined;
  /** The current frame's key; reused for every frame to avoid allocating. */
  /** Created on the first masked frame (a client never needs it). */
  #maskKey: Uint8Array | undefined;
  /** A text or binary message has started and not finished. */
  #inMessage = false;
  #error: WebSocketError | undefined;

  /**
   * Create a decoder.
   *
   * @param handler Receives each frame's header, payload slices and end.
   * @param options The role and limits.
   */
  constructor(handler: FrameHandler, options: FrameDecoderOptions) {
    this.#handler = handler;
    this.#role = options.role;
    this.#allowedRsv = options.allowedReservedBits ?? 0;
    // A length past 2^53 - 1 cannot be counted down exactly, and no buffer
    // could hold it: it is too big whatever the option says.
    this.#maxFrameSize = Math.min(
      options.maxFrameSize ?? DEFAULT_MAX_PAYLOAD,
      Number.MAX_SAFE_INTEGER,
    );
  }

  /** The error that stopped the decoder, if any. */
  get error(): WebSocketError | undefined {
    return this.#error;
  }

  /**
   * Whether the decoder stands between frames with no partial frame buffered
   * (a clean place for the byte stream to end).
   */
  get idle(): boolean {
    return this.#state === _STATE_HEADER && this.#scratchLength === 0;
  }

  /**
   * Whether a fragmented text or binary message has started and its final
   * frame has not arrived yet.
   */
  get inMessage(): boolean {
    return this.#inMessage;
  }

  /**
   * Change which reserved bits are legal, for example once an extension has
   * been negotiated.
   *
   * @param bits A combination of {@linkcode ReservedBits}.
   */
  setAllowedReservedBits(bits: number): void {
    this.#allowedRsv = bits;
  }

  /**
   * Parse the next chunk of the byte stream. Masked payloads are unmasked in
   * place, so `chunk` is modified.
   *
   * @param chunk The next bytes received.
   * @returns The error that failed the stream, now or earlier, or `undefined`.
   */
  write(chunk: Uint8Array): WebSocketError | undefined {
    if (this.#state === _STATE_FAILED) return this.#error;
    try {
      this.#parse(chunk);
    } catch (error) {
      if (!(error instanceof WebSocketError)) throw error;
      this.#fail(error);
    }
    return this.#error;
  }

  /** Record `error` and stop parsing. */
  #fail(error: WebSocketError): void {
    this.#error = error;
    this.#state = _STATE_FAILED;
  }

  #parse(chunk: Uint8Array): void {
    const handler = this.#handler;
    const length = chunk.length;
    let position = 0;
    while (position < length) {
      if (this.#state === _STATE_HEADER) {
        let header: FrameHeader | undefined;
        if (this.#scratchLength === 0) {
          // Fast path: the whole header sits in this chunk.
          const size = _headerSize(chunk, position, length);
          if (size > 0) {
            header = this.#readHeader(chunk, position);
            position += size;
          }
        }
        if (header === undefined) {
          // Gather header bytes in the scratch buffer across chunks.
          const scratch = this.#scratch ??= new Uint8Array(14);
          while (position < length) {
            scratch[this.#scratchLength++] = chunk[position++]!;
            if (_headerSize(scratch, 0, this.#scratchLength) > 0) break;
          }
          if (_headerSize(scratch, 0, this.#scratchLength) === 0) {
            // Validate what can be validated from the first two bytes early.
            if (this.#scratchLength >= 2) this.#checkFirstBytes(scratch, 0);
            return;
          }
          header = this.#readHeader(scratch, 0);
          this.#scratchLength = 0;
        }
        handler.onFrameStart(header);
        if (header.length === 0) {
          handler.onFrameEnd();
          continue;
        }
        this.#remaining = header.length;
        this.#payloadOffset = 0;
        this.#mask = header.mask;
        this.#state = _STATE_PAYLOAD;
      }
      if (this.#state === _STATE_PAYLOAD) {
        const available = length - position;
        const take = available < this.#remaining ? available : this.#remaining;
        const slice = chunk.subarray(position, position + take);
        position += take;
        if (this.#mask !== undefined) {
          this.#payloadOffset = applyMask(
            slice,
            this.#mask,
            this.#payloadOffset,
          );
        }
        this.#remaining -= take;
        handler.onFramePayload(slice);
        if (this.#remaining === 0) {
          this.#state = _STATE_HEADER;
          handler.onFrameEnd();
        }
      } else {
        // A handler failed the stream from inside a callback.
        return;
      }
    }
  }

  /** Check the rules that the first two header bytes decide (§5.2–§5.5). */
  #checkFirstBytes(bytes: Uint8Array, at: number): void {
    const b0 = bytes[at]!;
    const b1 = bytes[at + 1]!;
    const opcode = b0 & 0x0f;
    const rsv = (b0 >>> 4) & 0x7;
    if ((rsv & ~this.#allowedRsv) !== 0) {
      throw new WebSocketError(
        CloseCode.ProtocolError,
        `Invalid frame: reserved bits 0x${
          (rsv << 4).toString(16)
        } set without a negotiated extension`,
      );
    }
    if (opcode >= 0x8) {
      if (opcode > Opcode.Pong) {
        throw new WebSocketError(
          CloseCode.ProtocolError,
          `Invalid frame: reserved control opcode 0x${opcode.toString(16)}`,
        );
      }
      if ((b0 & 0x80) === 0) {
        throw new WebSocketError(
          CloseCode.ProtocolError,
          "Invalid frame: control frame is fragmented (FIN not set)",
        );
      }
      if ((b1 & 0x7f) > 125) {
        throw new WebSocketError(
          CloseCode.ProtocolError,
          "Invalid frame: control frame payload longer than 125 bytes",
        );
      }
    } else if (opcode === Opcode.Continuation) {
      if (!this.#inMessage) {
        throw new WebSocketError(
          CloseCode.ProtocolError,
          "Invalid frame: continuation frame without a message to continue",
        );
      }
    } else if (opcode <= Opcode.Binary) {
      if (this.#inMessage) {
        throw new WebSocketError(
          CloseCode.ProtocolError,
          "Invalid frame: new data frame while a fragmented message is still open",
        );
      }
    } else {
      throw new WebSocketError(
        CloseCode.ProtocolError,
        `Invalid frame: reserved data opcode 0x${opcode.toString(16)}`,
      );
    }
    const masked = (b1 & 0x80) !== 0;
    if (masked && this.#role === "client") {
      throw new WebSocketError(
        CloseCode.ProtocolError,
        "Invalid frame: masked frame received from the server",
      );
    }
    if (!masked && this.#role === "server") {
      throw new WebSocketError(
        CloseCode.ProtocolError,
        "Invalid frame: unmasked frame received from a client",
      );
    }
  }

  /** Parse and validate a complete header starting at `bytes[at]`. */
  #readHeader(bytes: Uint8Array, at: number): FrameHeader {
    this.#checkFirstBytes(bytes, at);
    const b0 = bytes[at]!;
    const b1 = bytes[at + 1]!;
    let length = b1 & 0x7f;
    let next = at + 2;
    if (length === 126) {
      length = (bytes[next]! << 8) | bytes[next + 1]!;
      next += 2;
    } else if (length === 127) {
      const high = ((bytes[next]! << 24) | (bytes[next + 1]! << 16) |
        (bytes[next + 2]! << 8) | bytes[next + 3]!) >>> 0;
      const low = ((bytes[next + 4]! << 24) | (bytes[next + 5]! << 16) |
        (bytes[next + 6]! << 8) | bytes[next + 7]!) >>> 0;
      if (high > 0x7fffffff) {
        throw new WebSocketError(
          CloseCode.ProtocolError,
          "Invalid frame: 64-bit payload length has its most significant bit set",
        );
      }
      length = high * 0x100000000 + low;
      next += 8;
    }
    if (length > this.#maxFrameSize) {
      throw new WebSocketError(
        CloseCode.MessageTooBig,
        `Frame too big: ${length} bytes announced, the limit is ${this.#maxFrameSize}`,
      );
    }
    let mask: Uint8Array | undefined;
    if ((b1 & 0x80) !== 0) {
      mask = this.#maskKey ??= new Uint8Array(4);
      mask[0] = bytes[next]!;
      mask[1] = bytes[next + 1]!;
      mask[2] = bytes[next + 2]!;
      mask[3] = bytes[next + 3]!;
    }
    const opcode = b0 & 0x0f;
    if (opcode < 0x8) this.#inMessage = (b0 & 0x80) === 0;
    return {
      fin: (b0 & 0x80) !== 0,
      rsv1: (b0 & 0x40) !== 0,
      rsv2: (b0 & 0x20) !== 0,
      rsv3: (b0 & 0x10) !== 0,
      opcode,
      mask,
      length,
    };
  }
}

/**
 * The size of the header that starts at `bytes[at]` when all of it lies
 * before `end`, else 0.
 */
function _headerSize(bytes: Uint8Array, at: number, end: number): number {
  if (end - at < 2) return 0;
  const b1 = bytes[at + 1]!;
  const code = b1 & 0x7f;
  const size = 2 + (code === 126 ? 2 : code === 127 ? 8 : 0) +
    ((b1 & 0x80) !== 0 ? 4 : 0);
  return end - at >= size ? size : 0;
}
