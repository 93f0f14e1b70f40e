/**
 * Character classes and byte/string helpers shared by the handshake files
 * (RFC 9110 §5.5, §5.6; RFC 9112 §2.2). Not exported from `mod.ts`.
 *
 * @module
 */

/** `tchar` of RFC 9110 §5.6.2, indexed by character code (ASCII only). */
const _TCHAR = new Uint8Array(128);
for (const char of "!#$%&'*+-.^_`|~0123456789") _TCHAR[char.charCodeAt(0)] = 1;
for (let code = 0x41; code <= 0x5a; code++) {
  _TCHAR[code] = 1; // A-Z
  _TCHAR[code + 0x20] = 1; // a-z
}

/**
 * Whether a character code is a `tchar` (RFC 9110 §5.6.2).
 *
 * @param code A UTF-16 code unit.
 * @returns `true` for a token character.
 */
export function isTokenChar(code: number): boolean {
  return code < 128 && _TCHAR[code] === 1;
}

/**
 * Whether `value` is a non-empty `token` (RFC 9110 §5.6.2).
 *
 * @param value The string to test.
 * @returns `true` when every character is a `tchar`.
 */
export function isTokenString(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    if (!isTokenChar(value.charCodeAt(i))) return false;
  }
  return true;
}

/**
 * Whether a character code is allowed inside a field value or reason phrase:
 * HTAB, SP, VCHAR or obs-text (RFC 9110 §5.5, RFC 9112 §4).
 *
 * @param code A UTF-16 code unit.
 * @returns `true` when allowed.
 */
export function isFieldChar(code: number): boolean {
  return code === 0x09 || (code >= 0x20 && code !== 0x7f && code <= 0xff);
}

/**
 * Whether a character code is optional whitespace (`OWS`: SP or HTAB).
 *
 * @param code A UTF-16 code unit.
 * @returns `true` for SP or HTAB.
 */
export function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/**
 * Remove leading and trailing SP and HTAB (and nothing else).
 *
 * @param value The string to trim.
 * @returns The trimmed string.
 */
export function trimWhitespace(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isWhitespace(value.charCodeAt(start))) start++;
  while (end > start && isWhitespace(value.charCodeAt(end - 1))) end--;
  return value.slice(start, end);
}

/**
 * Lowercase A-Z only (RFC 6455 §2.1 "converting a string to ASCII
 * lowercase"), leaving every other character alone.
 *
 * @param value The string to convert.
 * @returns The converted string.
 */
export function asciiLowercase(value: string): string {
  // toLowerCase is exact on ASCII (header names, tokens): only text with
  // other characters needs the careful path.
  return _NON_ASCII.test(value)
    ? value.replace(/[A-Z]+/g, (upper) => upper.toLowerCase())
    : value.toLowerCase();
}

const _NON_ASCII = /[\u0080-\uffff]/;
const _encoder = new TextEncoder();

/** Longest piece of peer input quoted in an error message. */
const _QUOTE_MAX = 64;

/**
 * Quote a piece of (possibly hostile) input for an error message: JSON
 * escaped so control characters cannot break the line, and cut short.
 *
 * @param value The input to quote.
 * @returns A double-quoted, escaped string of bounded length.
 */
export function quote(value: string): string {
  return value.length > _QUOTE_MAX
    ? `${JSON.stringify(value.slice(0, _QUOTE_MAX))}...`
    : JSON.stringify(value);
}

/**
 * Decode bytes as ISO-8859-1 (every byte is the code point of the same
 * value). `TextDecoder("latin1")` is not used: WHATWG maps that label to
 * windows-1252, which changes 0x80-0x9F.
 *
 * @param bytes The bytes to decode.
 * @returns One character per byte.
 */
export function latin1Decode(bytes: Uint8Array): string {
  // ASCII (nearly every head) is the same in UTF-8: the native decoder makes
  // the string alone, where `apply` first copies the bytes into an argument
  // list of 8 bytes each (1.5 KB of garbage and 2.5 µs for a 160-byte head
  // on Deno, against 0.2 KB and 0.8 µs).
  if (_isAscii(bytes)) return _decoder.decode(bytes);
  // `apply` takes the typed array as it is; a spread would step an iterator
  // and build an array of numbers first (3 KB of garbage for a 300-byte head).
  let text = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    text += String.fromCharCode.apply(
      null,
      bytes.subarray(i, i + 4096) as unknown as number[],
    );
  }
  return text;
}

const _decoder = new TextDecoder();

/** Whether every byte is below 0x80. */
function _isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! > 0x7f) return false;
  return true;
}

/**
 * Encode a string whose characters are all at most U+00FF as ISO-8859-1.
 *
 * @param text The text to encode.
 * @returns One byte per character.
 * @throws {TypeError} When a character is above U+00FF.
 */
export function latin1Encode(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  // ASCII (nearly every head) is the same in UTF-8: the native encoder is
  // about twice as fast as the loop below. Any other character takes two
  // bytes or more in UTF-8, so it shows as text left unread (no regular
  // expression pass over the text first).
  if (_encoder.encodeInto(text, bytes).read === text.length) return bytes;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff) {
      throw new TypeError(
        `Cannot encode HTTP head: character U+${
          code.toString(16).toUpperCase().padStart(4, "0")
        } is outside ISO-8859-1`,
      );
    }
    bytes[i] = code;
  }
  return bytes;
}
