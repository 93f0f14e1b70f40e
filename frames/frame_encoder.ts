import { mask as applyMask, maskInto } from "../masking/mask.ts";
import { MaskKeyGenerator } from "../masking/mask_key_generator.ts";
import { _allocOutput, _SLAB_MAX, _trimOutput } from "./_output_slab.ts";
import type { FrameHeader, FrameInit } from "./frame.ts";
import { Opcode } from "./opcode.ts";

/**
 * Payloads up to this size are copied behind their header into one buffer;
 * larger unmasked payloads are handed out as a separate chunk, uncopied (a
 * transport that batches writes copies them once, into its batch).
 */
const _COALESCE_MAX = 1024;

/**
 * The number of header bytes a frame needs: 2, plus 2 or 8 for extended
 * lengths (always the minimal encoding, §5.2), plus 4 for a masking key.
 *
 * @param length Payload length in bytes.
 * @param masked Whether a masking key follows the length.
 * @returns The header size in bytes (2 to 14).
 *
 * @example
 * ```ts
 * import { frameHeaderSize } from "@edgews/websocket/frames";
 * import assert from "node:assert/strict";
 *
 * assert.equal(frameHeaderSize(125, false), 2);
 * assert.equal(frameHeaderSize(126, true), 8);
 * assert.equal(frameHeaderSize(65536, false), 10);
 * ```
 */
export function frameHeaderSize(length: number, masked: boolean): number {
  return (length <= 125 ? 2 : length <= 0xffff ? 4 : 10) + (masked ? 4 : 0);
}

/**
 * Write a frame header into `target` at `offset`.
 *
 * @param target Where the header bytes go; needs
 * {@linkcode frameHeaderSize} bytes of room.
 * @param offset Index of the first header byte.
 * @param header Flags, opcode, payload length and optional masking key.
 * @returns The number of bytes written.
 *
 * @example The 256-byte binary frame of RFC 6455 §5.7
 * ```ts
 * import { writeFrameHeader } from "@edgews/websocket/frames";
 * import assert from "node:assert/strict";
 *
 * const head = new Uint8Array(4);
 * writeFrameHeader(head, 0, {
 *   fin: true, rsv1: false, rsv2: false, rsv3: false,
 *   opcode: 2, mask: undefined, length: 256,
 * });
 * assert.deepEqual([...head], [0x82, 0x7e, 0x01, 0x00]);
 * ```
 */
export function writeFrameHeader(
  target: Uint8Array,
  offset: number,
  header: FrameHeader,
): number {
  const { length, mask } = header;
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(
      `Cannot encode frame: invalid payload length ${length}`,
    );
  }
  if (header.opcode < 0 || header.opcode > 0xf) {
    throw new RangeError(
      `Cannot encode frame: opcode ${header.opcode} is not 4 bits`,
    );
  }
  target[offset] = (header.fin ? 0x80 : 0) | (header.rsv1 ? 0x40 : 0) |
    (header.rsv2 ? 0x20 : 0) | (header.rsv3 ? 0x10 : 0) | header.opcode;
  const maskBit = mask !== undefined ? 0x80 : 0;
  let next = offset + 2;
  if (length <= 125) {
    target[offset + 1] = maskBit | length;
  } else if (length <= 0xffff) {
    target[offset + 1] = maskBit | 126;
    target[offset + 2] = length >>> 8;
    target[offset + 3] = length & 0xff;
    next += 2;
  } else {
    target[offset + 1] = maskBit | 127;
    const high = Math.floor(length / 0x100000000);
    target[offset + 2] = 0;
    target[offset + 3] = 0;
    target[offset + 4] = (high >>> 8) & 0xff;
    target[offset + 5] = high & 0xff;
    target[offset + 6] = (length >>> 24) & 0xff;
    target[offset + 7] = (length >>> 16) & 0xff;
    target[offset + 8] = (length >>> 8) & 0xff;
    target[offset + 9] = length & 0xff;
    next += 8;
  }
  if (mask !== undefined) {
    target[next] = mask[0]!;
    target[next + 1] = mask[1]!;
    target[next + 2] = mask[2]!;
    target[next + 3] = mask[3]!;
    next += 4;
  }
  return next - offset;
}

/**
 * Serialize one frame into a new buffer: header, then the payload, masked
 * with `frame.mask` when one is given. The caller's payload is not modified.
 *
 * @param frame The frame; `fin` defaults to `true`, reserved bits to `false`.
 * @returns The frame's bytes as they go on the wire.
 *
 * @example The masked "Hello" of RFC 6455 §5.7
 * ```ts
 * import { encodeFrame, Opcode } from "@edgews/websocket/frames";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeFrame({
 *   opcode: Opcode.Text,
 *   mask: new Uint8Array([0x37, 0xfa, 0x21, 0x3d]),
 *   payload: new TextEncoder().encode("Hello"),
 * });
 * assert.deepEqual(
 *   [...bytes],
 *   [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58],
 * );
 * ```
 */
export function encodeFrame(frame: FrameInit): Uint8Array {
  const payload = frame.payload;
  const header = _toHeader(frame, frame.mask);
  const size = frameHeaderSize(payload.length, frame.mask !== undefined);
  const out = new Uint8Array(size + payload.length);
  writeFrameHeader(out, 0, header);
  if (frame.mask !== undefined) maskInto(payload, out.subarray(size), frame.mask);
  else out.set(payload, size);
  return out;
}

/**
 * Options for {@linkcode FrameEncoder}.
 */
export interface FrameEncoderOptions {
  /**
   * The encoding endpoint's role. A client masks every frame with a fresh
   * key (§5.3); a server never masks unless a frame brings its own key.
   */
  role: "client" | "server";
  /**
   * Source of masking keys, injectable for tests. By default one generator
   * shared by every encoder of the process: keys only need to be
   * unpredictable (§10.3), and a shared 4 KiB pool costs nothing per
   * connection.
   */
  keys?: MaskKeyGenerator | undefined;
}

/**
 * Serializes frames for one endpoint, choosing masking by role.
 *
 * {@linkcode FrameEncoder.encode} returns one chunk for small frames and two
 * for large unmasked ones (header, then the caller's payload itself), so big
 * payloads are never copied on a server. A client must copy to mask without
 * touching the caller's bytes.
 *
 * @example
 * ```ts
 * import { FrameEncoder, Opcode } from "@edgews/websocket/frames";
 * import assert from "node:assert/strict";
 *
 * const encoder = new FrameEncoder({ role: "client" });
 * const [bytes] = encoder.encode({ opcode: Opcode.Text, payload: new Uint8Array(3) });
 * assert.equal(bytes!.length, 2 + 4 + 3);
 * assert.equal(bytes![1]! & 0x80, 0x80); // masked
 * ```
 */
export class FrameEncoder {
  #mask: boolean;
  #keys: MaskKeyGenerator | undefined;

  /**
   * Create an encoder.
   *
   * @param options The role and an optional key source.
   */
  constructor(options: FrameEncoderOptions) {
    this.#mask = options.role === "client";
    this.#keys = options.keys;
  }

  /**
   * Serialize `frame`.
   *
   * @param frame The frame to encode; its payload is never modified.
   * @returns The chunks to write, in order.
   */
  encode(frame: FrameInit): Uint8Array[] {
    const payload = frame.payload;
    let key = frame.mask;
    if (key === undefined && this.#mask) {
      key = _frameKey;
      (this.#keys ??= _sharedKeys()).nextInto(key, 0);
    }
    const header = _toHeader(frame, key);
    const size = frameHeaderSize(payload.length, key !== undefined);
    if (key === undefined && payload.length > _COALESCE_MAX) {
      const head = _allocOutput(size);
      writeFrameHeader(head, 0, header);
      return [head, payload];
    }
    const out = _allocOutput(size + payload.length);
    writeFrameHeader(out, 0, header);
    if (key !== undefined) maskInto(payload, out.subarray(size), key);
    else out.set(payload, size);
    return [out];
  }

  /**
   * Serialize a text message of one frame straight from a string: the UTF-8
   * bytes are encoded into the frame's own memory, with no intermediate
   * buffer (what `encode` of a `TextEncoder.encode` result would cost).
   *
   * @param text The message.
   * @returns The chunks to write, in order.
   *
   * @example
   * ```ts
   * import { FrameEncoder } from "@edgews/websocket/frames";
   * import assert from "node:assert/strict";
   *
   * const [bytes] = new FrameEncoder({ role: "server" }).encodeText("héllo");
   * assert.deepEqual([...bytes!], [0x81, 6, 0x68, 0xc3, 0xa9, 0x6c, 0x6c, 0x6f]);
   * ```
   */
  encodeText(text: string): Uint8Array[] {
    const masked = this.#mask;
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    const worst = text.length * 3;
    const room = frameHeaderSize(worst, masked);
    if (room + worst > _SLAB_MAX) {
      return this.encode({ opcode: Opcode.Text, payload: _textEncoder.encode(text) });
    }
    const view = _allocOutput(room + worst);
    const { written } = _textEncoder.encodeInto(text, view.subarray(room));
    let key: Uint8Array | undefined;
    if (masked) {
      key = _frameKey;
      (this.#keys ??= _sharedKeys()).nextInto(key, 0);
    }
    // The header goes right before the payload: it may be shorter than the
    // worst case reserved, leaving a few unused bytes in front.
    const size = frameHeaderSize(written, masked);
    const start = room - size;
    writeFrameHeader(view, start, {
      fin: true,
      rsv1: false,
      rsv2: false,
      rsv3: false,
      opcode: Opcode.Text,
      mask: key,
      length: written,
    });
    if (key !== undefined) applyMask(view.subarray(room, room + written), key);
    _trimOutput(view, room + written);
    return [view.subarray(start, room + written)];
  }
}

const _textEncoder = new TextEncoder();

/**
 * The key of the frame being encoded. Encoding is synchronous and the key is
 * copied into the frame's header before `encode` returns, so one buffer
 * serves every encoder (rather than one small allocation per connection).
 */
const _frameKey = new Uint8Array(4);

let _keys: MaskKeyGenerator | undefined;

/** The process-wide key generator, created on first use (servers never need it). */
function _sharedKeys(): MaskKeyGenerator {
  return _keys ??= new MaskKeyGenerator();
}

function _toHeader(
  frame: FrameInit,
  mask: Uint8Array | undefined,
): FrameHeader {
  return {
    fin: frame.fin ?? true,
    rsv1: frame.rsv1 ?? false,
    rsv2: frame.rsv2 ?? false,
    rsv3: frame.rsv3 ?? false,
    opcode: frame.opcode,
    mask,
    length: frame.payload.length,
  };
}
