/**
 * The judge's own raw DEFLATE decoder (RFC 1951), for permessage-deflate
 * messages from the peer (RFC 7692 §7.2.2). Written from the RFC, sharing no
 * code with the module under test nor with the runtime's zlib, and strict
 * where zlib is lenient:
 *
 * - a back-reference farther than the negotiated window (`*_max_window_bits`,
 *   RFC 7692 §7.1.2) is a violation;
 * - a back-reference before the start of the message is a violation when the
 *   peer agreed to `*_no_context_takeover` (§7.1.1);
 * - a message must end at a block boundary once `00 00 ff ff` is appended.
 *
 * Decoding is canonical-Huffman, bit by bit (like zlib's `puff`): slow but
 * plainly correct, and fast enough for the suite's message sizes.
 *
 * @module
 */

const LENGTH_BASE = [
  3,
  4,
  5,
  6,
  7,
  8,
  9,
  10,
  11,
  13,
  15,
  17,
  19,
  23,
  27,
  31,
  35,
  43,
  51,
  59,
  67,
  83,
  99,
  115,
  131,
  163,
  195,
  227,
  258,
];
const LENGTH_EXTRA = [
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  1,
  1,
  1,
  1,
  2,
  2,
  2,
  2,
  3,
  3,
  3,
  3,
  4,
  4,
  4,
  4,
  5,
  5,
  5,
  5,
  0,
];
const DIST_BASE = [
  1,
  2,
  3,
  4,
  5,
  7,
  9,
  13,
  17,
  25,
  33,
  49,
  65,
  97,
  129,
  193,
  257,
  385,
  513,
  769,
  1025,
  1537,
  2049,
  3073,
  4097,
  6145,
  8193,
  12289,
  16385,
  24577,
];
const DIST_EXTRA = [
  0,
  0,
  0,
  0,
  1,
  1,
  2,
  2,
  3,
  3,
  4,
  4,
  5,
  5,
  6,
  6,
  7,
  7,
  8,
  8,
  9,
  9,
  10,
  10,
  11,
  11,
  12,
  12,
  13,
  13,
];
const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** A canonical Huffman code: how many codes of each length, symbols in code order. */
interface Huffman {
  count: Uint16Array;
  symbol: Uint16Array;
}

function buildHuffman(lengths: ArrayLike<number>, n: number): Huffman {
  const count = new Uint16Array(16);
  for (let i = 0; i < n; i++) count[lengths[i]!]!++;
  // Over-subscribed sets are invalid; incomplete ones are allowed (RFC 1951 allows
  // a single distance code, and zlib emits incomplete codes for small inputs).
  let left = 1;
  for (let len = 1; len < 16; len++) {
    left = (left << 1) - count[len]!;
    if (left < 0) throw new Error("over-subscribed Huffman code");
  }
  const offsets = new Uint16Array(16);
  for (let len = 1; len < 15; len++) offsets[len + 1] = offsets[len]! + count[len]!;
  const symbol = new Uint16Array(n);
  for (let s = 0; s < n; s++) {
    const len = lengths[s]!;
    if (len !== 0) symbol[offsets[len]!++] = s;
  }
  count[0] = 0;
  return { count, symbol };
}

const FIXED_LITLEN = (() => {
  const lengths = new Uint8Array(288);
  lengths.fill(8, 0, 144);
  lengths.fill(9, 144, 256);
  lengths.fill(7, 256, 280);
  lengths.fill(8, 280, 288);
  return buildHuffman(lengths, 288);
})();
const FIXED_DIST = buildHuffman(new Uint8Array(30).fill(5), 30);

/** Options of {@linkcode StrictInflater}. */
export interface StrictInflaterOptions {
  /** The peer's negotiated LZ77 window, 8-15 bits. */
  windowBits: number;
  /** The peer agreed not to refer to earlier messages. */
  noContextTakeover: boolean;
  /** Largest decompressed message accepted. */
  maxOutput?: number;
}

/** Decompresses one peer's permessage-deflate messages, in order. */
export class StrictInflater {
  readonly #maxDistance: number;
  readonly #noContextTakeover: boolean;
  readonly #maxOutput: number;
  #history = new Uint8Array(0);

  constructor(options: StrictInflaterOptions) {
    this.#maxDistance = 1 << options.windowBits;
    this.#noContextTakeover = options.noContextTakeover;
    this.#maxOutput = options.maxOutput ?? 64 * 1024 * 1024;
  }

  /** Inflates one whole message payload (the `00 00 ff ff` tail is appended here). */
  inflate(compressed: Uint8Array): Uint8Array {
    // An empty payload inflates to nothing (zlib reads it as an incomplete block).
    if (compressed.length === 0) return new Uint8Array(0);
    const input = new Uint8Array(compressed.length + 4);
    input.set(compressed);
    input.set([0, 0, 0xff, 0xff], compressed.length);
    const history = this.#noContextTakeover ? new Uint8Array(0) : this.#history;
    const run = new Run(input, history, this.#maxDistance, this.#maxOutput);
    const output = run.decode();
    if (!this.#noContextTakeover) {
      const all = run.all();
      this.#history = all.slice(Math.max(0, all.length - 32768));
    }
    return output;
  }
}

/** One message's decoding state. */
class Run {
  readonly #input: Uint8Array;
  #pos = 0;
  #bitBuf = 0;
  #bitCount = 0;
  #out: Uint8Array;
  #outLen: number;
  readonly #start: number;
  readonly #maxDistance: number;
  readonly #maxOutput: number;

  constructor(input: Uint8Array, history: Uint8Array, maxDistance: number, maxOutput: number) {
    this.#input = input;
    this.#out = new Uint8Array(history.length + Math.max(1024, input.length * 4));
    this.#out.set(history);
    this.#outLen = history.length;
    this.#start = history.length;
    this.#maxDistance = maxDistance;
    this.#maxOutput = maxOutput;
  }

  /** History plus this message's output. */
  all(): Uint8Array {
    return this.#out.subarray(0, this.#outLen);
  }

  decode(): Uint8Array {
    for (;;) {
      const last = this.#bits(1);
      const type = this.#bits(2);
      if (type === 0) this.#stored();
      else if (type === 1) this.#codes(FIXED_LITLEN, FIXED_DIST);
      else if (type === 2) this.#dynamic();
      else throw new Error("block type 3 (reserved)");
      // A final block ends the stream; the appended tail is then ignored.
      if (last) break;
      // Done when only the padding bits of the last byte are left.
      if (this.#pos >= this.#input.length) break;
    }
    return this.#out.slice(this.#start, this.#outLen);
  }

  #bits(need: number): number {
    let value = this.#bitBuf;
    while (this.#bitCount < need) {
      if (this.#pos >= this.#input.length) {
        throw new Error("the message does not end at a DEFLATE block boundary");
      }
      value |= this.#input[this.#pos++]! << this.#bitCount;
      this.#bitCount += 8;
    }
    this.#bitBuf = value >>> need;
    this.#bitCount -= need;
    return value & ((1 << need) - 1);
  }

  #ensure(extra: number): void {
    const need = this.#outLen + extra;
    if (need - this.#start > this.#maxOutput) {
      throw new Error(`inflates to more than ${this.#maxOutput} bytes`);
    }
    if (need <= this.#out.length) return;
    const grown = new Uint8Array(Math.max(need, this.#out.length * 2));
    grown.set(this.#out.subarray(0, this.#outLen));
    this.#out = grown;
  }

  #stored(): void {
    this.#bitBuf = 0;
    this.#bitCount = 0;
    if (this.#pos + 4 > this.#input.length) {
      throw new Error("the message does not end at a DEFLATE block boundary");
    }
    const input = this.#input;
    const len = input[this.#pos]! | input[this.#pos + 1]! << 8;
    const nlen = input[this.#pos + 2]! | input[this.#pos + 3]! << 8;
    this.#pos += 4;
    if (len !== (~nlen & 0xffff)) {
      throw new Error("stored block length does not match its complement");
    }
    if (this.#pos + len > input.length) {
      throw new Error("the message does not end at a DEFLATE block boundary");
    }
    this.#ensure(len);
    this.#out.set(input.subarray(this.#pos, this.#pos + len), this.#outLen);
    this.#outLen += len;
    this.#pos += len;
  }

  #decodeSymbol(h: Huffman): number {
    let code = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len < 16; len++) {
      code |= this.#bits(1);
      const count = h.count[len]!;
      if (code - count < first) return h.symbol[index + (code - first)]!;
      index += count;
      first += count;
      first <<= 1;
      code <<= 1;
    }
    throw new Error("invalid Huffman code");
  }

  #dynamic(): void {
    const nlen = this.#bits(5) + 257;
    const ndist = this.#bits(5) + 1;
    const ncode = this.#bits(4) + 4;
    if (nlen > 286 || ndist > 30) throw new Error("too many length or distance codes");
    const lengths = new Uint8Array(320);
    for (let i = 0; i < ncode; i++) lengths[CODE_LENGTH_ORDER[i]!] = this.#bits(3);
    const lencode = buildHuffman(lengths, 19);
    const all = new Uint8Array(nlen + ndist);
    let index = 0;
    while (index < nlen + ndist) {
      const symbol = this.#decodeSymbol(lencode);
      if (symbol < 16) {
        all[index++] = symbol;
        continue;
      }
      let value = 0;
      let repeat: number;
      if (symbol === 16) {
        if (index === 0) throw new Error("repeat with no previous code length");
        value = all[index - 1]!;
        repeat = 3 + this.#bits(2);
      } else if (symbol === 17) {
        repeat = 3 + this.#bits(3);
      } else {
        repeat = 11 + this.#bits(7);
      }
      if (index + repeat > nlen + ndist) throw new Error("too many code lengths");
      all.fill(value, index, index + repeat);
      index += repeat;
    }
    if (all[256] === 0) throw new Error("no end-of-block code");
    this.#codes(buildHuffman(all.subarray(0, nlen), nlen), buildHuffman(all.subarray(nlen), ndist));
  }

  #codes(litlen: Huffman, dist: Huffman): void {
    for (;;) {
      const symbol = this.#decodeSymbol(litlen);
      if (symbol < 256) {
        this.#ensure(1);
        this.#out[this.#outLen++] = symbol;
        continue;
      }
      if (symbol === 256) return;
      const li = symbol - 257;
      if (li >= 29) throw new Error(`invalid length symbol ${symbol}`);
      const length = LENGTH_BASE[li]! + this.#bits(LENGTH_EXTRA[li]!);
      const di = this.#decodeSymbol(dist);
      if (di >= 30) throw new Error(`invalid distance symbol ${di}`);
      const distance = DIST_BASE[di]! + this.#bits(DIST_EXTRA[di]!);
      if (distance > this.#maxDistance) {
        throw new Error(
          `back-reference ${distance} bytes back, beyond the negotiated window of ${this.#maxDistance}`,
        );
      }
      if (distance > this.#outLen) {
        throw new Error(
          `back-reference ${distance} bytes back, before the start of ${
            this.#start === 0 ? "the message (no context takeover)" : "the stream"
          }`,
        );
      }
      this.#ensure(length);
      const out = this.#out;
      let from = this.#outLen - distance;
      for (let i = 0; i < length; i++) out[this.#outLen++] = out[from++]!;
    }
  }
}
