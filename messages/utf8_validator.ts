/**
 * A streaming UTF-8 validator (the well-formedness rules of Unicode table 3-7,
 * as in the WHATWG UTF-8 decoder): overlong forms, surrogates (U+D800–DFFF)
 * and code points above U+10FFFF are invalid. Feed bytes in any split with
 * {@linkcode Utf8Validator.write}; {@linkcode Utf8Validator.complete} tells
 * whether the input so far ends on a code point boundary.
 *
 * @example
 * ```ts
 * import { Utf8Validator } from "@edgews/websocket/messages";
 * import assert from "node:assert/strict";
 *
 * const validator = new Utf8Validator();
 * assert.equal(validator.write(new Uint8Array([0xce, 0xba])), -1); // "κ"
 * assert.equal(validator.write(new Uint8Array([0xe1])), -1); // first byte of 3
 * assert.equal(validator.complete, false);
 * assert.equal(validator.write(new Uint8Array([0x41])), 0); // "A" breaks it
 * ```
 */
export class Utf8Validator {
  /** Continuation bytes still expected for the current code point. */
  #needed = 0;
  /** Bounds for the next continuation byte (narrowed after E0, ED, F0, F4). */
  #lower = 0x80;
  #upper = 0xbf;

  /** Whether the bytes so far end on a code point boundary. */
  get complete(): boolean {
    return this.#needed === 0;
  }

  /** Forget all state, to validate a new text. */
  reset(): void {
    this.#needed = 0;
    this.#lower = 0x80;
    this.#upper = 0xbf;
  }

  /**
   * Validate the next bytes.
   *
   * @param bytes The next bytes of the text.
   * @returns The index in `bytes` of the first invalid byte, or -1 when all
   * are valid so far.
   */
  write(bytes: Uint8Array): number {
    const length = bytes.length;
    let needed = this.#needed;
    let lower = this.#lower;
    let upper = this.#upper;
    let i = 0;
    while (i < length) {
      const byte = bytes[i]!;
      if (needed === 0) {
        if (byte < 0x80) {
          i++;
          // ASCII run.
          while (i < length && bytes[i]! < 0x80) i++;
          continue;
        }
        if (byte >= 0xc2 && byte <= 0xdf) {
          needed = 1;
        } else if (byte >= 0xe0 && byte <= 0xef) {
          needed = 2;
          if (byte === 0xe0) lower = 0xa0;
          else if (byte === 0xed) upper = 0x9f;
        } else if (byte >= 0xf0 && byte <= 0xf4) {
          needed = 3;
          if (byte === 0xf0) lower = 0x90;
          else if (byte === 0xf4) upper = 0x8f;
        } else {
          this.#save(0, 0x80, 0xbf);
          return i;
        }
      } else {
        if (byte < lower || byte > upper) {
          this.#save(0, 0x80, 0xbf);
          return i;
        }
        lower = 0x80;
        upper = 0xbf;
        needed--;
      }
      i++;
    }
    this.#save(needed, lower, upper);
    return -1;
  }

  #save(needed: number, lower: number, upper: number): void {
    this.#needed = needed;
    this.#lower = lower;
    this.#upper = upper;
  }
}

/**
 * Whether `bytes` is complete, valid UTF-8.
 *
 * @param bytes The bytes to check.
 * @returns `true` when valid.
 *
 * @example
 * ```ts
 * import { isValidUtf8 } from "@edgews/websocket/messages";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isValidUtf8(new TextEncoder().encode("héllo")), true);
 * assert.equal(isValidUtf8(new Uint8Array([0xed, 0xa0, 0x80])), false); // surrogate
 * ```
 */
export function isValidUtf8(bytes: Uint8Array): boolean {
  const validator = new Utf8Validator();
  return validator.write(bytes) === -1 && validator.complete;
}
