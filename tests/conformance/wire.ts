/**
 * Raw-wire frame writer for the conformance fuzzer. Unlike the module's
 * `FrameEncoder` it writes whatever it is told, including what a correct
 * endpoint never would: reserved opcodes, RSV bits, fragmented control frames,
 * masked frames from a server, unmasked frames from a client, announced
 * lengths that do not match the payload, non-minimal length encodings and
 * 64-bit lengths with the most significant bit set (RFC 6455 §5.2).
 *
 * It shares no code with the module under test, on purpose.
 *
 * @module
 */

/** One frame as the fuzzer wants it on the wire. */
export interface RawFrame {
  /** Any 4-bit value, also the reserved ones (3-7, 11-15). */
  opcode: number;
  /** The FIN bit. Default `true`. */
  fin?: boolean;
  /** RSV1..RSV3 as a 3-bit number (4 = RSV1, 2 = RSV2, 1 = RSV3). Default 0. */
  rsv?: number;
  /** The payload as sent (before masking). Default empty. */
  payload?: Uint8Array | undefined;
  /**
   * `true` to mask with a random key, a 4-byte key to mask with that key,
   * `false` not to mask. The default is the fuzzer's role (set by the caller).
   */
  mask?: boolean | Uint8Array | undefined;
  /** Announce this length instead of the payload's (a lie, for bad-length cases). */
  announcedLength?: bigint | number;
  /** Force the length form: 7-bit, 16-bit or 64-bit (non-minimal encodings). */
  lengthForm?: 7 | 16 | 64;
}

/** Serializes one frame to bytes, exactly as described. */
export function encodeRawFrame(frame: RawFrame): Uint8Array {
  const payload = frame.payload ?? new Uint8Array(0);
  const announced = BigInt(frame.announcedLength ?? payload.length);
  const form = frame.lengthForm ?? (announced < 126n ? 7 : announced < 65536n ? 16 : 64);
  let key: Uint8Array | undefined;
  if (frame.mask instanceof Uint8Array) key = frame.mask;
  else if (frame.mask === true) key = crypto.getRandomValues(new Uint8Array(4));
  const headerLength = 2 + (form === 16 ? 2 : form === 64 ? 8 : 0) + (key ? 4 : 0);
  const out = new Uint8Array(headerLength + payload.length);
  const view = new DataView(out.buffer);
  out[0] = ((frame.fin ?? true) ? 0x80 : 0) | ((frame.rsv ?? 0) & 7) << 4 | (frame.opcode & 0x0f);
  const maskBit = key ? 0x80 : 0;
  let offset = 2;
  if (form === 7) {
    out[1] = maskBit | Number(announced & 0x7fn);
  } else if (form === 16) {
    out[1] = maskBit | 126;
    view.setUint16(2, Number(announced & 0xffffn));
    offset = 4;
  } else {
    out[1] = maskBit | 127;
    view.setBigUint64(2, BigInt.asUintN(64, announced));
    offset = 10;
  }
  if (key) {
    out.set(key, offset);
    offset += 4;
    for (let i = 0; i < payload.length; i++) out[offset + i] = payload[i]! ^ key[i & 3]!;
  } else {
    out.set(payload, offset);
  }
  return out;
}

/** The payload of a close frame: a 2-byte code and a reason (either may be absent). */
export function closePayload(code?: number, reason: string | Uint8Array = ""): Uint8Array {
  if (code === undefined) return new Uint8Array(0);
  const reasonBytes = typeof reason === "string" ? utf8(reason) : reason;
  const out = new Uint8Array(2 + reasonBytes.length);
  new DataView(out.buffer).setUint16(0, code);
  out.set(reasonBytes, 2);
  return out;
}

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Bytes from hex ("cebae1bd" → [0xce, 0xba, 0xe1, 0xbd]). */
export function hex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Hex of bytes, for reports. */
export function toHex(bytes: Uint8Array, max = 64): string {
  let s = "";
  for (let i = 0; i < Math.min(bytes.length, max); i++) {
    s += bytes[i]!.toString(16).padStart(2, "0");
  }
  return bytes.length > max ? `${s}… (${bytes.length} bytes)` : s;
}

/** `length` bytes repeating `pattern` (Autobahn's "payload_len"). */
export function repeatTo(pattern: Uint8Array | string, length: number): Uint8Array {
  const unit = typeof pattern === "string" ? utf8(pattern) : pattern;
  const out = new Uint8Array(length);
  if (unit.length === 0) return out;
  for (let i = 0; i < length; i += unit.length) {
    out.set(unit.subarray(0, Math.min(unit.length, length - i)), i);
  }
  return out;
}

/** Splits bytes into chops of `size` (the last one shorter). */
export function chop(bytes: Uint8Array, size: number): Uint8Array[] {
  if (size <= 0 || bytes.length <= size) return [bytes];
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

/** Concatenates byte arrays. */
export function concat(parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Byte-wise equality. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
