import { CloseCode } from "../errors/close_code.ts";
import type { FrameHandler, FrameHeader } from "../frames/frame.ts";
import {
  DEFAULT_MAX_PAYLOAD,
  FrameDecoder,
  ReservedBits,
  type Role,
} from "../frames/frame_decoder.ts";
import { Opcode } from "../frames/opcode.ts";
import { WebSocketError } from "../errors/websocket_error.ts";
import { parseClosePayload } from "../messages/close_payload.ts";
import { Utf8Validator } from "../messages/utf8_validator.ts";
import { _MessageInflater } from "./_message_inflater.ts";
import type { InspectedFrame, InspectionProblem, InspectorRecord } from "./inspector_record.ts";

/**
 * How the inspected peer compressed with permessage-deflate (RFC 7692), as
 * negotiated in the handshake.
 */
export interface InspectorDeflateOptions {
  /**
   * The sender resets its compressor after each message
   * (`client_no_context_takeover` for a client's frames,
   * `server_no_context_takeover` for a server's).
   * @default {false}
   */
  noContextTakeover?: boolean | undefined;
  /**
   * The sender's LZ77 window as a power of two, 8 to 15
   * (`client_max_window_bits` / `server_max_window_bits`).
   * @default {15}
   */
  windowBits?: number | undefined;
}

/**
 * Options for {@linkcode FrameInspector}.
 */
export interface FrameInspectorOptions {
  /**
   * Who wrote the bytes: a client's frames must be masked and a server's
   * must not (RFC 6455 §5.1), and a frame that breaks that is reported as a
   * receiver would (1002). Absent: either is accepted.
   */
  sender?: "client" | "server" | undefined;
  /**
   * Inflate permessage-deflate messages (RSV1 on their first frame):
   * `true` for the defaults (context takeover, 15 window bits).
   * @default {false}
   */
  deflate?: boolean | InspectorDeflateOptions | undefined;
  /**
   * Largest frame payload; a header announcing more is a fatal 1009.
   * @default {67108864}
   */
  maxFrameSize?: number | undefined;
  /**
   * Largest message, before or after inflating; more is reported with 1009
   * (its data is then not kept).
   * @default {67108864}
   */
  maxMessageSize?: number | undefined;
  /**
   * The stream offset of the first byte written, for offsets that refer to
   * a whole capture file (say, after an HTTP head that was skipped).
   * @default {0}
   */
  startOffset?: number | undefined;
}

/** A frame whose payload is complete, waiting for the async part. */
interface _Complete {
  header: FrameHeader;
  maskKey: Uint8Array | undefined;
  offset: number;
  headerLength: number;
  parts: Uint8Array[];
}

/** The data message being followed. */
interface _OpenMessage {
  type: "text" | "binary";
  compressed: boolean;
  frames: number;
  wireLength: number;
  parts: Uint8Array[] | undefined;
  /** For uncompressed text: checked frame by frame, as a receiver does. */
  validator: Utf8Validator | undefined;
  /** A problem was reported for its text already. */
  invalid: boolean;
}

const _OPCODE_NAMES: Record<number, string> = {
  [Opcode.Continuation]: "continuation",
  [Opcode.Text]: "text",
  [Opcode.Binary]: "binary",
  [Opcode.Close]: "close",
  [Opcode.Ping]: "ping",
  [Opcode.Pong]: "pong",
};

/** Shows the bytes as they are: a leading BOM is kept. */
const _TEXT = new TextDecoder("utf-8", { ignoreBOM: true });

function _concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Reads a captured byte stream of one direction of a WebSocket connection
 * and reports every frame (flags, masking key, demasked payload), every
 * message put back together (and inflated), and every problem with the
 * close code a receiver would use and its byte offset. It parses with
 * {@linkcode FrameDecoder}, so it applies the receiver's rules: a framing
 * error is fatal, problems inside a frame (bad UTF-8, a bad close body) are
 * reported and inspection goes on (`inspector/frame_inspector_test.ts`).
 * Input chunks are not modified.

 *
 * @example Demask a client's frame
 * ```ts
 * import { FrameInspector } from "@edgews/websocket/inspector";
 * import assert from "node:assert/strict";
 *
 * // "Hello" from a client, masked with 37 fa 21 3d (RFC 6455 §5.7).
 * const bytes = new Uint8Array([
 *   0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
 * ]);
 * const inspector = new FrameInspector({ sender: "client" });
 * const [frame] = [...await inspector.write(bytes), ...await inspector.end()];
 * assert.ok(frame?.kind === "frame");
 * assert.equal(frame.opcodeName, "text");
 * assert.deepEqual([...frame.maskKey!], [0x37, 0xfa, 0x21, 0x3d]);
 * assert.equal(frame.message?.text, "Hello");
 * ```
 *
 * @example A protocol error, with its close code and offset
 * ```ts
 * import { FrameInspector } from "@edgews/websocket/inspector";
 * import assert from "node:assert/strict";
 *
 * const inspector = new FrameInspector();
 * const records = await inspector.write(new Uint8Array([0x8a, 0x00, 0x09, 0x00]));
 * assert.equal(records[0]?.kind, "frame"); // a pong
 * assert.deepEqual(records[1], {
 *   kind: "problem",
 *   offset: 2,
 *   closeCode: 1002,
 *   message: "Invalid frame: control frame is fragmented (FIN not set)",
 *   fatal: true,
 * });
 * ```
 */
export class FrameInspector {
  #decoder: FrameDecoder;
  #deflate: boolean;
  #inflater: _MessageInflater | undefined;
  #maxMessageSize: number;

  /** Stream offset of the next byte to be written. */
  #offset: number;
  /** Stream offset of the frame being read (or the next one). */
  #frameStart: number;
  /** The chunk being parsed, unmodified, and where it starts. */
  #chunk: Uint8Array = new Uint8Array(0);
  #chunkOffset = 0;
  /** The last bytes before `#chunk`: a header may have started there. */
  #tail: Uint8Array = new Uint8Array(0);

  #current: _Complete | undefined;
  #complete: _Complete[] = [];
  #index = 0;
  #message: _OpenMessage | undefined;
  #failed = false;
  #ignored = 0;

  /**
   * Create an inspector.
   *
   * @param options Who sent the bytes, permessage-deflate, limits, offsets.
   */
  constructor(options: FrameInspectorOptions = {}) {
    const deflate = options.deflate;
    this.#deflate = deflate !== undefined && deflate !== false;
    this.#maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_PAYLOAD;
    if (this.#deflate) {
      const settings = typeof deflate === "object" ? deflate : {};
      const windowBits = settings.windowBits ?? 15;
      if (!Number.isInteger(windowBits) || windowBits < 8 || windowBits > 15) {
        throw new RangeError(`Invalid deflate windowBits: ${windowBits} is not 8 to 15`);
      }
      this.#inflater = new _MessageInflater({
        noContextTakeover: settings.noContextTakeover ?? false,
        windowBits,
        maxSize: this.#maxMessageSize,
      });
    }
    this.#offset = this.#frameStart = options.startOffset ?? 0;
    const role: Role = options.sender === "client"
      ? "server"
      : options.sender === "server"
      ? "client"
      : "any";
    const handler: FrameHandler = {
      onFrameStart: (header) => this.#onFrameStart(header),
      onFramePayload: (chunk) => this.#current!.parts.push(chunk),
      onFrameEnd: () => this.#onFrameEnd(),
    };
    this.#decoder = new FrameDecoder(handler, {
      role,
      allowedReservedBits: this.#deflate ? ReservedBits.Rsv1 : 0,
      maxFrameSize: options.maxFrameSize,
    });
  }

  /** How many bytes were ignored after a fatal problem. */
  get ignoredBytes(): number {
    return this.#ignored;
  }

  /**
   * Inspect the next bytes of the stream. `chunk` is not modified. The
   * work is done before this returns; the result is a promise so that an
   * asynchronous inflater can take its place where `node:zlib` is missing.
   *
   * @param chunk The next captured bytes, split anywhere.
   * @returns The frames completed by these bytes and the problems found, in
   * stream order.
   */
  write(chunk: Uint8Array): Promise<InspectorRecord[]> {
    if (this.#failed) {
      this.#ignored += chunk.length;
      this.#offset += chunk.length;
      return Promise.resolve([]);
    }
    this.#chunk = chunk;
    this.#chunkOffset = this.#offset;
    // The decoder demasks in place: give it a copy, and keep views of it.
    const error = this.#decoder.write(chunk.slice());
    const rsv1AtFault = error !== undefined && (this.#byteAt(this.#frameStart) & 0x40) !== 0;
    this.#offset += chunk.length;
    const tail = new Uint8Array(Math.min(14, this.#tail.length + chunk.length));
    const fromChunk = Math.min(tail.length, chunk.length);
    tail.set(this.#tail.subarray(this.#tail.length - (tail.length - fromChunk)));
    tail.set(chunk.subarray(chunk.length - fromChunk), tail.length - fromChunk);
    this.#tail = tail;

    const complete = this.#complete;
    this.#complete = [];
    const records: InspectorRecord[] = [];
    for (const frame of complete) this.#report(frame, records);
    if (error !== undefined) {
      this.#failed = true;
      // Everything after the frame at fault is not decoded.
      this.#ignored = this.#offset - this.#frameStart;
      let message = error.message;
      if (!this.#deflate && rsv1AtFault) {
        message += " (if permessage-deflate was negotiated, inspect with deflate on)";
      }
      records.push(this.#problem(this.#frameStart, error.closeCode, message, true));
    }
    return Promise.resolve(records);
  }

  /**
   * Say that the stream ended. Reports a frame or a fragmented message that
   * the capture cut short (1006, as a receiver would report the connection
   * ending there) and releases the inflater.
   *
   * @returns The problems at the end, if any.
   */
  end(): Promise<InspectorRecord[]> {
    const records: InspectorRecord[] = [];
    if (!this.#failed) {
      if (!this.#decoder.idle) {
        if (this.#current !== undefined) records.push(...this.#partialProblems(this.#current));
        const got = this.#offset - this.#frameStart;
        records.push(this.#problem(
          this.#frameStart,
          CloseCode.AbnormalClosure,
          `The capture ends inside frame ${this.#index + 1}: ${got} byte(s) of it are there`,
          true,
        ));
      } else if (this.#message !== undefined) {
        records.push(this.#problem(
          this.#offset,
          CloseCode.AbnormalClosure,
          `The capture ends inside a fragmented ${this.#message.type} message (${this.#message.frames} frame(s) so far)`,
          false,
        ));
      }
    }
    this.close();
    return Promise.resolve(records);
  }

  /** Release the inflater's window (also done by {@linkcode FrameInspector.end}). */
  close(): void {
    this.#inflater?.close();
  }

  /** A byte of the stream at `offset` in the current chunk or just before it. */
  #byteAt(offset: number): number {
    const inChunk = offset - this.#chunkOffset;
    if (inChunk >= 0) return this.#chunk[inChunk] ?? 0;
    return this.#tail[this.#tail.length + inChunk] ?? 0;
  }

  /**
   * What a receiver would already have failed on in a frame the capture
   * cuts short: its header (RSV1 misuse, the message size) and the text
   * that did arrive.
   */
  #partialProblems(current: _Complete): InspectionProblem[] {
    const { header, offset } = current;
    const problem = (code: number, message: string) => this.#problem(offset, code, message, false);
    const rsv1 = this.#rsv1Problem(header);
    if (rsv1 !== undefined) return [problem(CloseCode.ProtocolError, rsv1)];
    if (header.opcode >= 0x8) return [];
    const message = header.opcode === Opcode.Continuation ? this.#message : undefined;
    const total = (message?.wireLength ?? 0) + header.length;
    if (message?.parts !== undefined || header.opcode !== Opcode.Continuation) {
      if (total > this.#maxMessageSize) {
        return [problem(CloseCode.MessageTooBig, this.#tooBig(total))];
      }
    }
    const text = header.opcode === Opcode.Text && !(this.#deflate && header.rsv1);
    const validator = text
      ? new Utf8Validator()
      : message?.invalid
      ? undefined
      : message?.validator;
    if (validator !== undefined) {
      const before = message === undefined ? 0 : message.wireLength;
      let seen = 0;
      for (const part of current.parts) {
        const bad = validator.write(part);
        if (bad !== -1) {
          return [problem(
            CloseCode.InvalidPayload,
            `Invalid text message: not UTF-8 at byte ${before + seen + bad}`,
          )];
        }
        seen += part.length;
      }
    }
    return [];
  }

  /** RFC 7692 §6.1: RSV1 marks the first frame of a compressed message only. */
  #rsv1Problem(header: FrameHeader): string | undefined {
    if (!header.rsv1 || (header.opcode < 0x8 && header.opcode !== Opcode.Continuation)) {
      return undefined;
    }
    return `Invalid frame: RSV1 set on a ${
      _OPCODE_NAMES[header.opcode]
    } frame (permessage-deflate allows it on the first frame of a message only)`;
  }

  #tooBig(size: number): string {
    return `Message too big: ${size} bytes, the limit is ${this.#maxMessageSize}`;
  }

  #onFrameStart(header: FrameHeader): void {
    const b1 = this.#byteAt(this.#frameStart + 1);
    const code = b1 & 0x7f;
    const headerLength = 2 + (code === 126 ? 2 : code === 127 ? 8 : 0) +
      (header.mask === undefined ? 0 : 4);
    this.#current = {
      header: { ...header, mask: undefined },
      maskKey: header.mask?.slice(),
      offset: this.#frameStart,
      headerLength,
      parts: [],
    };
  }

  #onFrameEnd(): void {
    const frame = this.#current!;
    this.#current = undefined;
    this.#frameStart = frame.offset + frame.headerLength + frame.header.length;
    this.#complete.push(frame);
  }

  #problem(offset: number, closeCode: number, message: string, fatal: boolean): InspectionProblem {
    return { kind: "problem", offset, closeCode, message, fatal };
  }

  /** Turn a complete frame into its record (and its message's), checking what the decoder leaves to the layers above. */
  #report(complete: _Complete, records: InspectorRecord[]): void {
    const { header, offset } = complete;
    const payload = _concat(complete.parts);
    const frame: InspectedFrame = {
      kind: "frame",
      index: ++this.#index,
      offset,
      headerLength: complete.headerLength,
      fin: header.fin,
      rsv1: header.rsv1,
      rsv2: header.rsv2,
      rsv3: header.rsv3,
      opcode: header.opcode,
      opcodeName: _OPCODE_NAMES[header.opcode] ?? `0x${header.opcode.toString(16)}`,
      length: header.length,
      maskKey: complete.maskKey,
      payload: payload.length === 0 ? new Uint8Array(0) : payload,
      close: undefined,
      message: undefined,
    };
    records.push(frame);
    const problems: InspectionProblem[] = [];
    const problem = (code: number, message: string) =>
      problems.push(this.#problem(offset, code, message, false));
    const rsv1 = this.#rsv1Problem(header);
    if (rsv1 !== undefined) problem(CloseCode.ProtocolError, rsv1);
    if (header.opcode === Opcode.Close) {
      try {
        frame.close = parseClosePayload(payload);
      } catch (error) {
        if (!(error instanceof WebSocketError)) throw error;
        problem(error.closeCode, error.message);
      }
    } else if (header.opcode < 0x8) {
      this.#data(frame, payload, problem);
    }
    records.push(...problems);
  }

  #data(
    frame: InspectedFrame,
    payload: Uint8Array,
    problem: (code: number, message: string) => void,
  ): void {
    let message = this.#message;
    if (frame.opcode !== Opcode.Continuation) {
      const compressed = this.#deflate && frame.rsv1;
      const text = frame.opcode === Opcode.Text;
      message = this.#message = {
        type: text ? "text" : "binary",
        compressed,
        frames: 0,
        wireLength: 0,
        parts: [],
        validator: text && !compressed ? new Utf8Validator() : undefined,
        invalid: false,
      };
    }
    if (message === undefined) return; // the decoder fails this case before
    message.frames++;
    message.wireLength += payload.length;
    if (message.parts !== undefined) {
      if (message.wireLength > this.#maxMessageSize) {
        message.parts = undefined;
        problem(CloseCode.MessageTooBig, this.#tooBig(message.wireLength));
      } else {
        message.parts.push(payload);
      }
    }
    // The size is checked first, as a receiver does on the frame's header.
    // Text is checked frame by frame, so the problem shows at the frame a
    // receiver would fail on (RFC 6455 §8.1), not at the message's end.
    if (message.validator !== undefined && !message.invalid && message.parts !== undefined) {
      const bad = message.validator.write(payload);
      if (bad !== -1) {
        message.invalid = true;
        problem(
          CloseCode.InvalidPayload,
          `Invalid text message: not UTF-8 at byte ${message.wireLength - payload.length + bad}`,
        );
      }
    }
    if (!frame.fin) return;
    this.#message = undefined;
    if (message.parts === undefined) return;
    let data = _concat(message.parts);
    let inflated = message.compressed;
    if (message.compressed) {
      try {
        data = this.#inflater!.inflate(data);
      } catch (error) {
        if (!(error instanceof WebSocketError)) throw error;
        problem(error.closeCode, error.message);
        inflated = false;
      }
    }
    let text: string | undefined;
    if (message.type === "text" && (inflated || !message.compressed)) {
      let validator = message.validator;
      if (validator === undefined) {
        // Inflated text is checked whole.
        validator = new Utf8Validator();
        const bad = validator.write(data);
        if (bad !== -1) {
          message.invalid = true;
          problem(CloseCode.InvalidPayload, `Invalid text message: not UTF-8 at byte ${bad}`);
        }
      }
      if (!message.invalid && !validator.complete) {
        message.invalid = true;
        problem(
          CloseCode.InvalidPayload,
          "Invalid text message: ends in the middle of a UTF-8 sequence",
        );
      }
      if (!message.invalid) text = _TEXT.decode(data);
    }
    frame.message = {
      type: message.type,
      data,
      text,
      frames: message.frames,
      wireLength: message.wireLength,
      compressed: inflated,
    };
  }
}
