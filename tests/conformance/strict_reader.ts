/**
 * The judge's frame reader: an independent, strict parser of what the peer
 * under test sends. It shares no code with the module under test (UTF-8 is
 * checked with the runtime's fatal `TextDecoder`) and flags every violation of
 * RFC 6455 by the sender:
 *
 * - masking: a client MUST mask every frame, a server MUST NOT (§5.1);
 * - RSV1-3 MUST be 0 unless an extension gives them a meaning (§5.2); with
 *   permessage-deflate, RSV1 only on the first frame of a data message
 *   (RFC 7692 §6);
 * - reserved opcodes (§5.2), the minimal length encoding and the 64-bit
 *   length's most significant bit (§5.2);
 * - control frames: FIN set, payload at most 125 bytes (§5.5);
 * - fragmentation: no continuation without a message, no new data message in
 *   the middle of one (§5.4);
 * - text messages are valid UTF-8 (§5.6, §8.1);
 * - close frames: no 1-byte body, a code allowed on the wire, a UTF-8 reason
 *   (§5.5.1, §7.4);
 * - nothing after the peer's close frame (§5.5.1).
 *
 * @module
 */

import { toHex } from "./wire.ts";

/** What the peer sent, frame by frame, reassembled into messages. */
export type PeerEvent =
  | { type: "message"; binary: boolean; data: Uint8Array; compressed: boolean; frames: number }
  | { type: "ping"; data: Uint8Array }
  | { type: "pong"; data: Uint8Array }
  | { type: "close"; code: number | undefined; reason: string; body: Uint8Array };

/** Decompresses one whole permessage-deflate message (RFC 7692 §7.2.2). */
export interface MessageInflater {
  inflate(compressed: Uint8Array): Uint8Array;
}

/** Options of {@linkcode StrictFrameReader}. */
export interface StrictReaderOptions {
  /** The role of the peer whose bytes are read. */
  peerRole: "client" | "server";
  /** Set when permessage-deflate was negotiated: RSV1 then marks compressed messages. */
  inflater?: MessageInflater | undefined;
}

/** Close codes an endpoint may send (RFC 6455 §7.4.1, §7.4.2, IANA registry). */
export function isSendableCloseCode(code: number): boolean {
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006;
}

const fatalUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** `true` when the bytes are valid UTF-8. */
export function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    fatalUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** One frame header as read, for the report's frame log. */
export interface FrameSummary {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  length: number;
  head: string;
}

/**
 * Incremental strict reader. Feed it with {@linkcode push}; it returns the
 * events completed by that chunk. After the first violation it stops and
 * {@linkcode violation} says what was wrong.
 */
export class StrictFrameReader {
  readonly #peerRole: "client" | "server";
  readonly #inflater: MessageInflater | undefined;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #violation: string | undefined;
  #closeReceived = false;
  #message: { binary: boolean; compressed: boolean; parts: Uint8Array[]; frames: number } | null =
    null;
  /** The first frames read (for the report). */
  readonly frames: FrameSummary[] = [];
  /** Total frames read. */
  frameCount = 0;

  constructor(options: StrictReaderOptions) {
    this.#peerRole = options.peerRole;
    this.#inflater = options.inflater;
  }

  /** The first violation, if any. */
  get violation(): string | undefined {
    return this.#violation;
  }

  /** Bytes buffered that do not yet make a whole frame. */
  get pendingBytes(): number {
    return this.#buffered;
  }

  /** Whether a message was started and not finished. */
  get inMessage(): boolean {
    return this.#message !== null;
  }

  /** Reads a chunk; returns the events it completed. */
  push(chunk: Uint8Array): PeerEvent[] {
    const events: PeerEvent[] = [];
    if (this.#violation !== undefined || chunk.length === 0) return events;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    while (this.#violation === undefined) {
      const frameEvents = this.#readFrame();
      if (frameEvents === null) break;
      events.push(...frameEvents);
    }
    return events;
  }

  #fail(message: string): PeerEvent[] {
    this.#violation ??= message;
    return [];
  }

  /** Copies the first `n` buffered bytes without consuming them (n <= buffered). */
  #peek(n: number): Uint8Array {
    const first = this.#chunks[0]!;
    if (first.length >= n) return first.subarray(0, n);
    const out = new Uint8Array(n);
    let offset = 0;
    for (const c of this.#chunks) {
      const take = Math.min(c.length, n - offset);
      out.set(c.subarray(0, take), offset);
      offset += take;
      if (offset === n) break;
    }
    return out;
  }

  #consume(n: number): void {
    this.#buffered -= n;
    while (n > 0) {
      const first = this.#chunks[0]!;
      if (first.length <= n) {
        n -= first.length;
        this.#chunks.shift();
      } else {
        this.#chunks[0] = first.subarray(n);
        n = 0;
      }
    }
  }

  /** One whole frame's events, or `null` when more bytes are needed. */
  #readFrame(): PeerEvent[] | null {
    if (this.#buffered < 2) return null;
    const head2 = this.#peek(2);
    const b0 = head2[0]!;
    const b1 = head2[1]!;
    const fin = (b0 & 0x80) !== 0;
    const rsv = (b0 >> 4) & 7;
    const opcode = b0 & 0x0f;
    const masked = (b1 & 0x80) !== 0;
    const len7 = b1 & 0x7f;
    const extra = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
    const headerLength = 2 + extra + (masked ? 4 : 0);
    if (this.#buffered < headerLength) return null;
    const header = this.#peek(headerLength);
    const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
    let length: number;
    if (len7 === 126) {
      length = view.getUint16(2);
      if (length < 126) {
        return this.#fail(`non-minimal length: ${length} encoded in 16 bits (RFC 6455 §5.2)`);
      }
    } else if (len7 === 127) {
      const big = view.getBigUint64(2);
      if (big >> 63n) return this.#fail("64-bit length with the most significant bit set (§5.2)");
      if (big < 65536n) {
        return this.#fail(`non-minimal length: ${big} encoded in 64 bits (RFC 6455 §5.2)`);
      }
      if (big > 256n * 1024n * 1024n) return this.#fail(`frame of ${big} bytes (judge limit)`);
      length = Number(big);
    } else {
      length = len7;
    }
    if (this.#buffered < headerLength + length) {
      // Check what can be checked before the payload arrives.
      return this.#checkHeader(fin, rsv, opcode, masked, length) ? null : [];
    }
    if (!this.#checkHeader(fin, rsv, opcode, masked, length)) return [];
    const frameBytes = this.#peek(headerLength + length);
    const payload = frameBytes.slice(headerLength);
    if (masked) {
      const key = frameBytes.subarray(headerLength - 4, headerLength);
      for (let i = 0; i < payload.length; i++) payload[i]! ^= key[i & 3]!;
    }
    this.#consume(headerLength + length);
    this.frameCount++;
    if (this.frames.length < 40) {
      this.frames.push({ fin, rsv, opcode, masked, length, head: toHex(payload, 16) });
    }
    return this.#onFrame(fin, rsv, opcode, payload);
  }

  /** Header rules; `false` (and a violation) when broken. */
  #checkHeader(
    fin: boolean,
    rsv: number,
    opcode: number,
    masked: boolean,
    length: number,
  ): boolean {
    if (this.#closeReceived) {
      this.#fail(`frame (opcode ${opcode}) after the peer's close frame (RFC 6455 §5.5.1)`);
      return false;
    }
    if (this.#peerRole === "client" && !masked) {
      this.#fail("unmasked frame from a client (RFC 6455 §5.1)");
      return false;
    }
    if (this.#peerRole === "server" && masked) {
      this.#fail("masked frame from a server (RFC 6455 §5.1)");
      return false;
    }
    if (opcode >= 3 && opcode <= 7 || opcode >= 11) {
      this.#fail(`reserved opcode ${opcode} (RFC 6455 §5.2)`);
      return false;
    }
    const control = opcode >= 8;
    const rsv1Ok = this.#inflater !== undefined && (opcode === 1 || opcode === 2);
    if ((rsv & 3) !== 0 || (rsv & 4) !== 0 && !rsv1Ok) {
      this.#fail(`RSV bits ${rsv.toString(2).padStart(3, "0")} on opcode ${opcode} (§5.2)`);
      return false;
    }
    if (control && !fin) {
      this.#fail(`fragmented control frame, opcode ${opcode} (RFC 6455 §5.5)`);
      return false;
    }
    if (control && length > 125) {
      this.#fail(`control frame with ${length} bytes of payload (RFC 6455 §5.5)`);
      return false;
    }
    if (opcode === 0 && this.#message === null) {
      this.#fail("continuation frame with no message to continue (RFC 6455 §5.4)");
      return false;
    }
    if ((opcode === 1 || opcode === 2) && this.#message !== null) {
      this.#fail("new data message inside a fragmented one (RFC 6455 §5.4)");
      return false;
    }
    return true;
  }

  #onFrame(fin: boolean, rsv: number, opcode: number, payload: Uint8Array): PeerEvent[] {
    switch (opcode) {
      case 9:
        return [{ type: "ping", data: payload }];
      case 10:
        return [{ type: "pong", data: payload }];
      case 8:
        return this.#onClose(payload);
      case 1:
      case 2:
        this.#message = {
          binary: opcode === 2,
          compressed: (rsv & 4) !== 0,
          parts: [],
          frames: 0,
        };
        break;
    }
    const message = this.#message!;
    message.parts.push(payload);
    message.frames++;
    if (!fin) return [];
    this.#message = null;
    let data = joinParts(message.parts);
    if (message.compressed) {
      try {
        data = this.#inflater!.inflate(data);
      } catch (error) {
        return this.#fail(`compressed message does not inflate: ${(error as Error).message}`);
      }
    }
    if (!message.binary && !isValidUtf8(data)) {
      return this.#fail(`text message that is not valid UTF-8: ${toHex(data, 32)}`);
    }
    return [{
      type: "message",
      binary: message.binary,
      data,
      compressed: message.compressed,
      frames: message.frames,
    }];
  }

  #onClose(body: Uint8Array): PeerEvent[] {
    this.#closeReceived = true;
    if (body.length === 1) return this.#fail("close frame with a 1-byte body (RFC 6455 §5.5.1)");
    if (body.length === 0) return [{ type: "close", code: undefined, reason: "", body }];
    const code = (body[0]! << 8) | body[1]!;
    if (!isSendableCloseCode(code)) {
      return this.#fail(`close code ${code} may not be sent (RFC 6455 §7.4)`);
    }
    const reasonBytes = body.subarray(2);
    if (!isValidUtf8(reasonBytes)) {
      return this.#fail(`close reason that is not valid UTF-8: ${toHex(reasonBytes)}`);
    }
    return [{ type: "close", code, reason: new TextDecoder().decode(reasonBytes), body }];
  }
}

function joinParts(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
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
