/** A small seeded PRNG (xorshift32) so property tests are reproducible. */
export class SeededRandom {
  #state: number;

  constructor(seed: number) {
    this.#state = (seed >>> 0) || 0x9e3779b9;
  }

  /** A uint32. */
  nextUint32(): number {
    let x = this.#state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#state = x >>> 0;
    return this.#state;
  }

  /** An integer in [0, max). */
  int(max: number): number {
    return Math.floor((this.nextUint32() / 0x100000000) * max);
  }

  /** `length` random bytes. */
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.nextUint32() & 0xff;
    return out;
  }

  /** Split `bytes` into random chunks (each 1..maxChunk bytes), as copies. */
  split(bytes: Uint8Array, maxChunk: number): Uint8Array[] {
    const chunks: Uint8Array[] = [];
    let position = 0;
    while (position < bytes.length) {
      const size = 1 + this.int(maxChunk);
      chunks.push(bytes.slice(position, position + size));
      position += size;
    }
    return chunks;
  }
}

/** Concatenate byte arrays. */
export function concat(parts: Uint8Array[]): Uint8Array {
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
