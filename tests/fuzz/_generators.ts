/**
 * Seeded generators for the fuzzers: WebSocket frame streams built frame by
 * frame (so that mutations can aim at headers), byte-level mutations, random
 * chunk splits, HTTP heads and header values.
 *
 * Everything draws from a {@linkcode SeededRandom}, so one case seed
 * reproduces one input exactly.
 */

import { isValidCloseCode } from "../../errors/close_code.ts";
import type { Message } from "../../messages/message.ts";
import { concat, SeededRandom } from "../_random.ts";

export { concat, SeededRandom };

/** A per-case seed from a run seed and an iteration number (a 32-bit mix). */
export function caseSeed(seed: number, iteration: number): number {
  let x = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(iteration + 1, 0x85ebca77)) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  x ^= x >>> 16;
  return x >>> 0 || 1;
}

/** `true` with probability `p`. */
export function chance(rng: SeededRandom, p: number): boolean {
  return rng.nextUint32() / 0x100000000 < p;
}

/** One element of `items`. */
export function pick<T>(rng: SeededRandom, items: readonly T[]): T {
  return items[rng.int(items.length)]!;
}

/** A payload length: mostly small, sometimes around the 125/126/65535 boundaries. */
export function payloadLength(rng: SeededRandom): number {
  const roll = rng.int(100);
  if (roll < 55) return rng.int(16);
  if (roll < 80) return rng.int(130);
  if (roll < 92) return 120 + rng.int(20);
  if (roll < 98) return 200 + rng.int(800);
  return 65530 + rng.int(12);
}

/** A random string of valid code points (ASCII, 2-, 3- and 4-byte UTF-8). */
export function randomText(rng: SeededRandom, maxCodePoints: number): string {
  const n = rng.int(maxCodePoints + 1);
  let text = "";
  for (let i = 0; i < n; i++) {
    const kind = rng.int(10);
    let cp: number;
    if (kind < 6) cp = 0x20 + rng.int(0x5f);
    else if (kind < 7) cp = rng.int(0x80);
    else if (kind < 8) cp = 0x80 + rng.int(0x780);
    else if (kind < 9) {
      cp = 0x800 + rng.int(0xf800);
      if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    } else cp = 0x10000 + rng.int(0x100000);
    text += String.fromCodePoint(cp);
  }
  return text;
}

const _encoder = new TextEncoder();

/** Encode one frame exactly as asked: any opcode, any length form, lies included. */
export interface RawFrame {
  fin: boolean;
  /** The three reserved bits as a 3-bit number (RSV1 = 4). */
  rsv: number;
  opcode: number;
  /** `undefined` for unmasked. */
  maskKey: Uint8Array | undefined;
  payload: Uint8Array;
  /** 0: 7-bit length, 1: 16-bit, 2: 64-bit; the smallest that fits when absent. */
  lengthForm?: 0 | 1 | 2 | undefined;
}

/** The wire bytes of `frame` (payload masked with its key). */
export function encodeRawFrame(frame: RawFrame): Uint8Array {
  const length = frame.payload.length;
  let form = frame.lengthForm ?? (length <= 125 ? 0 : length <= 0xffff ? 1 : 2);
  if (form === 0 && length > 125) form = 1;
  if (form === 1 && length > 0xffff) form = 2;
  const masked = frame.maskKey !== undefined;
  const headerSize = 2 + (form === 1 ? 2 : form === 2 ? 8 : 0) + (masked ? 4 : 0);
  const out = new Uint8Array(headerSize + length);
  out[0] = (frame.fin ? 0x80 : 0) | ((frame.rsv & 7) << 4) | (frame.opcode & 0xf);
  out[1] = (masked ? 0x80 : 0) | (form === 0 ? length : form === 1 ? 126 : 127);
  let at = 2;
  if (form === 1) {
    out[2] = length >>> 8;
    out[3] = length & 0xff;
    at = 4;
  } else if (form === 2) {
    const high = Math.floor(length / 0x100000000);
    new DataView(out.buffer).setUint32(2, high);
    new DataView(out.buffer).setUint32(6, length >>> 0);
    at = 10;
  }
  if (masked) {
    out.set(frame.maskKey!, at);
    at += 4;
  }
  for (let i = 0; i < length; i++) {
    out[at + i] = frame.payload[i]! ^ (masked ? frame.maskKey![i & 3]! : 0);
  }
  return out;
}

/** How a generated stream should be framed. */
export interface StreamShape {
  /** Mask every frame (a client's frames), none (a server's), or at random (`"any"`). */
  masking: "masked" | "unmasked" | "random";
  /** Reserved bits that data frames may carry (what the receiver allows). */
  allowedRsv: number;
  /**
   * A permessage-deflate sender's compressor: most data messages are then
   * compressed with it (RSV1 on their first frame), the others sent plain.
   */
  compress?: ((payload: Uint8Array) => Uint8Array | undefined) | undefined;
}

/** A generated, valid frame stream and what a receiver should make of it. */
export interface FrameStream {
  /** The frames, in order. */
  frames: RawFrame[];
  /** Where each frame starts in `bytes`. */
  offsets: number[];
  bytes: Uint8Array;
  /** The messages a `MessageAssembler` reports, in order (limits ignored). */
  messages: Message[];
}

function _maskKey(rng: SeededRandom, shape: StreamShape): Uint8Array | undefined {
  if (shape.masking === "unmasked") return undefined;
  if (shape.masking === "random" && chance(rng, 0.5)) return undefined;
  // Sometimes the all-zero key, which leaves the payload readable on the wire.
  return chance(rng, 0.05) ? new Uint8Array(4) : rng.bytes(4);
}

function _lengthForm(rng: SeededRandom, length: number): 0 | 1 | 2 | undefined {
  if (!chance(rng, 0.15)) return undefined; // minimal
  // Non-minimal encodings are legal to receive (the MUST is on the sender).
  if (length <= 125) return pick(rng, [1, 2] as const);
  return 2;
}

function _rsv(rng: SeededRandom, allowed: number): number {
  return chance(rng, 0.3) ? rng.int(8) & allowed : 0;
}

function _closeBody(rng: SeededRandom): { body: Uint8Array; message: Message } {
  if (chance(rng, 0.2)) {
    return { body: new Uint8Array(0), message: { type: "close", code: 1005, reason: "" } };
  }
  let code: number;
  do {
    code = pick(rng, [
      1000,
      1001,
      1002,
      1003,
      1007,
      1008,
      1009,
      1010,
      1011,
      1012,
      1013,
      1014,
      3000,
      4999,
    ]) +
      (chance(rng, 0.2) ? rng.int(3) : 0);
  } while (!isValidCloseCode(code));
  let reason = randomText(rng, 30);
  let bytes = _encoder.encode(reason);
  while (bytes.length > 123) {
    reason = [...reason].slice(0, -1).join("");
    bytes = _encoder.encode(reason);
  }
  const body = new Uint8Array(2 + bytes.length);
  body[0] = code >>> 8;
  body[1] = code & 0xff;
  body.set(bytes, 2);
  return { body, message: { type: "close", code, reason } };
}

function _control(rng: SeededRandom, shape: StreamShape): { frame: RawFrame; message: Message } {
  const type = chance(rng, 0.5) ? "ping" : "pong";
  const data = rng.bytes(chance(rng, 0.1) ? 125 : rng.int(20));
  return {
    frame: {
      fin: true,
      rsv: 0,
      opcode: type === "ping" ? 0x9 : 0xa,
      maskKey: _maskKey(rng, shape),
      // Control frames must announce their length in the 7-bit field: the
      // decoder rejects a 126/127 length code on a control frame at once,
      // as Node's ws does (RFC 6455 §5.5).
      payload: data,
    },
    message: { type, data },
  };
}

/**
 * A valid stream: up to `maxMessages` text, binary, ping and pong messages,
 * data messages fragmented at random (fragment boundaries may split a UTF-8
 * sequence), control frames between fragments, and sometimes a close frame at
 * the end.
 */
export function generateFrameStream(
  rng: SeededRandom,
  shape: StreamShape,
  maxMessages = 6,
): FrameStream {
  const frames: RawFrame[] = [];
  const messages: Message[] = [];
  const count = rng.int(maxMessages + 1);
  for (let m = 0; m < count; m++) {
    const kind = rng.int(10);
    if (kind < 2) {
      const { frame, message } = _control(rng, shape);
      frames.push(frame);
      messages.push(message);
      continue;
    }
    const text = kind < 6;
    let payload: Uint8Array;
    let message: Message;
    if (text) {
      const length = payloadLength(rng);
      const data = length > 1000 ? "é".repeat(length >>> 1) : randomText(rng, length);
      payload = _encoder.encode(data);
      message = { type: "text", data };
    } else {
      payload = rng.bytes(payloadLength(rng));
      message = { type: "binary", data: payload };
    }
    // Compressed (RSV1 on the first frame), or sent as it is.
    const compressed = shape.compress !== undefined && chance(rng, 0.7)
      ? shape.compress(payload)
      : undefined;
    const wire = compressed ?? payload;
    // Cut into 1..4 fragments (empty ones allowed).
    const pieces = chance(rng, 0.5) ? 1 : 1 + rng.int(4);
    const cuts = [0];
    for (let i = 1; i < pieces; i++) cuts.push(rng.int(wire.length + 1));
    cuts.push(wire.length);
    cuts.sort((a, b) => a - b);
    const controls: Message[] = [];
    for (let i = 0; i < pieces; i++) {
      const fragment = wire.slice(cuts[i]!, cuts[i + 1]!);
      const rsv = shape.compress !== undefined
        ? (compressed !== undefined ? 4 : 0)
        : _rsv(rng, shape.allowedRsv);
      frames.push({
        fin: i === pieces - 1,
        rsv: i === 0 ? rsv : 0,
        opcode: i === 0 ? (text ? 0x1 : 0x2) : 0x0,
        maskKey: _maskKey(rng, shape),
        payload: fragment,
        lengthForm: _lengthForm(rng, fragment.length),
      });
      if (i < pieces - 1 && chance(rng, 0.3)) {
        const { frame, message: control } = _control(rng, shape);
        frames.push(frame);
        controls.push(control);
      }
    }
    // Control frames in the middle of a message are reported as they arrive.
    messages.push(...controls, message);
  }
  if (chance(rng, 0.3)) {
    const { body, message } = _closeBody(rng);
    frames.push({
      fin: true,
      rsv: 0,
      opcode: 0x8,
      maskKey: _maskKey(rng, shape),
      payload: body,
    });
    messages.push(message);
  }
  const parts = frames.map(encodeRawFrame);
  const offsets: number[] = [];
  let offset = 0;
  for (const part of parts) {
    offsets.push(offset);
    offset += part.length;
  }
  return { frames, offsets, bytes: concat(parts), messages };
}

/** A 64-bit length that lies: huge, with the top bit set, past 2^53, or near a limit. */
export function lyingLength(rng: SeededRandom, near: number): [number, number] {
  switch (rng.int(6)) {
    case 0:
      return [0x80000000 | rng.nextUint32(), rng.nextUint32()]; // top bit set: 1002
    case 1:
      return [0x7fffffff, 0xffffffff]; // 2^63 - 1
    case 2:
      return [0x00200000 + rng.int(0x1000), rng.nextUint32()]; // past 2^53
    case 3:
      return [rng.nextUint32() & 0x7fffffff, rng.nextUint32()];
    default: {
      const value = Math.max(0, Math.min(near + rng.int(5) - 2, 0x1fffffffffffff));
      return [Math.floor(value / 0x100000000), value >>> 0];
    }
  }
}

/**
 * Apply 1..`max` random mutations to a frame stream. Structure-aware ones
 * aim at a frame start: a lying length field, random opcode, reserved bits,
 * FIN or mask bit; byte-level ones flip bits, overwrite, insert, delete,
 * duplicate and truncate.
 */
export function mutateFrames(
  rng: SeededRandom,
  stream: FrameStream,
  near: number,
  max = 3,
): Uint8Array {
  let bytes: Uint8Array = stream.bytes.slice();
  const offsets = stream.offsets;
  const n = 1 + rng.int(max);
  for (let k = 0; k < n; k++) {
    const at = offsets.length > 0 && chance(rng, 0.6)
      ? pick(rng, offsets)
      : rng.int(bytes.length + 1);
    const roll = rng.int(12);
    if (at >= bytes.length && roll < 8) {
      bytes = concat([bytes, rng.bytes(1 + rng.int(16))]);
      continue;
    }
    switch (roll) {
      case 0: // opcode
        bytes[at] = (bytes[at]! & 0xf0) | rng.int(16);
        break;
      case 1: // reserved bits
        bytes[at] = (bytes[at]! & 0x8f) | (rng.int(8) << 4);
        break;
      case 2: // FIN
        bytes[at] = bytes[at]! ^ 0x80;
        break;
      case 3: // mask bit
        if (at + 1 < bytes.length) bytes[at + 1] = bytes[at + 1]! ^ 0x80;
        break;
      case 4: { // a lying 64-bit length, payload kept
        const [high, low] = lyingLength(rng, near);
        const b1 = bytes[at + 1] ?? 0;
        const header = new Uint8Array(10);
        header[0] = bytes[at]!;
        header[1] = (b1 & 0x80) | 127;
        new DataView(header.buffer).setUint32(2, high >>> 0);
        new DataView(header.buffer).setUint32(6, low >>> 0);
        const code = b1 & 0x7f;
        const skip = 2 + (code === 126 ? 2 : code === 127 ? 8 : 0);
        bytes = concat([
          bytes.subarray(0, at),
          header,
          bytes.subarray(Math.min(at + skip, bytes.length)),
        ]);
        break;
      }
      case 5: // a lying 7- or 16-bit length
        if (at + 1 < bytes.length) {
          bytes[at + 1] = (bytes[at + 1]! & 0x80) | rng.int(128);
        }
        break;
      case 6: // bit flip
        bytes[at] = bytes[at]! ^ (1 << rng.int(8));
        break;
      case 7: // overwrite
        bytes[at] = rng.int(256);
        break;
      case 8: // insert random bytes
        bytes = concat([bytes.subarray(0, at), rng.bytes(1 + rng.int(8)), bytes.subarray(at)]);
        break;
      case 9: { // delete a range
        const end = Math.min(bytes.length, at + 1 + rng.int(8));
        bytes = concat([bytes.subarray(0, at), bytes.subarray(end)]);
        break;
      }
      case 10: { // duplicate a range (e.g. a whole frame)
        const end = Math.min(bytes.length, at + 1 + rng.int(40));
        bytes = concat([bytes.subarray(0, end), bytes.subarray(at, end), bytes.subarray(end)]);
        break;
      }
      default: // truncate
        bytes = bytes.slice(0, at);
    }
  }
  return bytes;
}

/**
 * Split a fresh copy of `bytes` into chunks of 1..`maxChunk` bytes (views of
 * the one copy: cheaper than a copy per chunk, and the receiver may still
 * modify them in place).
 */
export function splitCopy(rng: SeededRandom, bytes: Uint8Array, maxChunk: number): Uint8Array[] {
  const copy = bytes.slice();
  const chunks: Uint8Array[] = [];
  let position = 0;
  while (position < copy.length) {
    const size = maxChunk === 1 ? 1 : 1 + rng.int(maxChunk);
    chunks.push(copy.subarray(position, position + size));
    position += size;
  }
  return chunks;
}

/** Split a copy of `bytes` into chunks: 1-byte, small random, or large random pieces. */
export function randomSplit(rng: SeededRandom, bytes: Uint8Array): Uint8Array[] {
  const roll = rng.int(4);
  if (roll === 0 && bytes.length <= 4096) return splitCopy(rng, bytes, 1);
  if (roll === 1) return splitCopy(rng, bytes, 4);
  if (roll === 2) return splitCopy(rng, bytes, 32);
  return splitCopy(rng, bytes, 1 + rng.int(Math.max(1, bytes.length)));
}

// ---------------------------------------------------------------------------
// HTTP heads and header values

const _TCHAR = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** A random token (1..max tchars). */
export function randomToken(rng: SeededRandom, max = 12): string {
  const n = 1 + rng.int(max);
  let out = "";
  for (let i = 0; i < n; i++) out += _TCHAR[rng.int(_TCHAR.length)];
  return out;
}

/** A field value: visible ASCII, spaces and tabs inside, sometimes obs-text (U+0080-U+00FF). */
export function randomFieldValue(rng: SeededRandom, max = 24): string {
  const n = rng.int(max + 1);
  let out = "";
  for (let i = 0; i < n; i++) {
    const roll = rng.int(20);
    if (roll === 0) out += " ";
    else if (roll === 1) out += "\t";
    else if (roll === 2) out += String.fromCharCode(0x80 + rng.int(0x80));
    else out += String.fromCharCode(0x21 + rng.int(0x5e));
  }
  return out.trim();
}

/** Latin-1 bytes of `text`. */
export function latin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** Byte-level mutations of a text protocol (CR, LF, colon, space, NUL, high bytes). */
export function mutateText(rng: SeededRandom, bytes: Uint8Array, max = 3): Uint8Array {
  let out: Uint8Array = bytes.slice();
  const n = 1 + rng.int(max);
  const specials = [0x0d, 0x0a, 0x3a, 0x20, 0x09, 0x00, 0x7f, 0xff, 0x80, 0x22, 0x2c, 0x3b, 0x3d];
  for (let k = 0; k < n; k++) {
    const at = rng.int(out.length + 1);
    const roll = rng.int(7);
    if (roll === 0 || at >= out.length) {
      const insert = chance(rng, 0.5)
        ? new Uint8Array([pick(rng, specials)])
        : rng.bytes(1 + rng.int(4));
      out = concat([out.subarray(0, at), insert, out.subarray(at)]);
    } else if (roll === 1) {
      out[at] = pick(rng, specials);
    } else if (roll === 2) {
      out[at] = out[at]! ^ (1 << rng.int(8));
    } else if (roll === 3) {
      const end = Math.min(out.length, at + 1 + rng.int(6));
      out = concat([out.subarray(0, at), out.subarray(end)]);
    } else if (roll === 4) {
      const end = Math.min(out.length, at + 1 + rng.int(30));
      out = concat([out.subarray(0, end), out.subarray(at, end), out.subarray(end)]);
    } else if (roll === 5) {
      out = out.slice(0, at);
    } else {
      out[at] = rng.int(256);
    }
  }
  return out;
}
