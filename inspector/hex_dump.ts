const _HEX_PAIRS = /^(?:[0-9a-fA-F]{2})+$/;
const _OFFSET = /^[0-9a-fA-F]{4,16}:?$/;

/** Parse a region of hex groups (`8185 37fa` or `81 85`), or `undefined` if it is not one. */
function _region(text: string): number[] | undefined {
  const bytes: number[] = [];
  for (const group of text.trim().split(/\s+/)) {
    if (!_HEX_PAIRS.test(group)) return undefined;
    for (let i = 0; i < group.length; i += 2) bytes.push(parseInt(group.slice(i, i + 2), 16));
  }
  return bytes;
}

/** One dump line: offset, then hex regions, then maybe an ASCII column. */
interface _DumpLine {
  number: number;
  offset: number;
  /** Hex regions (runs separated by two or more spaces), parsed in order. */
  regions: { text: string; bytes: number[] | undefined }[];
}

function _dumpLines(lines: { number: number; text: string }[]): _DumpLine[] | undefined {
  const out: _DumpLine[] = [];
  for (const { number, text } of lines) {
    const match = /^\s*([0-9a-fA-F]{4,16}):?(?:\s+|$)/.exec(text);
    if (match === null) return undefined;
    // hexdump -C puts the ASCII column between bars.
    const rest = text.slice(match[0].length).replace(/\s*\|.*\|\s*$/, "");
    const regions = rest.split(/ {2,}|\t+/).filter((part) => part.trim() !== "").map((part) => ({
      text: part,
      bytes: _region(part),
    }));
    out.push({ number, offset: parseInt(match[1]!, 16), regions });
  }
  return out;
}

/** Bytes of an offset dump, or `undefined` when the offsets do not count the bytes. */
function _fromDump(lines: _DumpLine[]): Uint8Array | undefined {
  const bytes: number[] = [];
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    if (line.offset !== bytes.length) return undefined;
    const next = lines[n + 1];
    // Hex regions up to the first that is not hex (the ASCII column).
    const regions: number[][] = [];
    for (const region of line.regions) {
      if (region.bytes === undefined) break;
      regions.push(region.bytes);
    }
    let count = regions.reduce((sum, r) => sum + r.length, 0);
    if (next !== undefined) {
      // The next offset says how many bytes this line holds: an ASCII column
      // that happens to look like hex ("cafe") is dropped.
      while (count > next.offset - line.offset && regions.length > 1) {
        count -= regions.pop()!.length;
      }
      if (count !== next.offset - line.offset) return undefined;
    } else if (regions.length > 1) {
      // Last line: an ASCII column has one character per byte.
      const last = line.regions[regions.length - 1]!;
      if (last.text.trim().length === count - regions[regions.length - 1]!.length) {
        regions.pop();
      }
    }
    for (const region of regions) bytes.push(...region);
  }
  return new Uint8Array(bytes);
}

/**
 * Parse a hex capture into bytes. Accepted: plain hex with any whitespace,
 * `:`, `,` or `;` between bytes and optional `0x` or `\x` prefixes; and
 * offset dumps whose lines start with an offset that counts the bytes
 * before it (`xxd`, `hexdump -C`, `od -A x -t x1`, Wireshark's hex dump),
 * with their ASCII column ignored. Lines starting with `#` are comments.
 *
 * @param text The dump.
 * @returns The bytes.
 * @throws {SyntaxError} Naming the first line that is not hex.
 *
 * @example
 * ```ts
 * import { parseHexDump } from "@edgews/websocket/inspector";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual([...parseHexDump("81 02 68 69")], [0x81, 0x02, 0x68, 0x69]);
 * assert.deepEqual([...parseHexDump("0x81, 0x02")], [0x81, 0x02]);
 * const xxd = "00000000: 8102 6869                                ..hi\n";
 * assert.deepEqual([...parseHexDump(xxd)], [0x81, 0x02, 0x68, 0x69]);
 * ```
 */
export function parseHexDump(text: string): Uint8Array {
  const lines = text.split(/\r?\n/).map((line, i) => ({ number: i + 1, text: line }))
    .filter(({ text }) => text.trim() !== "" && !text.trimStart().startsWith("#"));
  // An offset dump: every line starts with an offset, and the offsets count the bytes.
  const firstTokens = lines.map(({ text }) => text.trim().split(/\s+/)[0]!);
  if (
    lines.length > 0 && firstTokens.every((token) => _OFFSET.test(token)) &&
    lines.some(({ text }) => text.trim().split(/\s+/).length > 1)
  ) {
    const dump = _dumpLines(lines);
    const bytes = dump === undefined ? undefined : _fromDump(dump);
    if (bytes !== undefined) return bytes;
  }
  const bytes: number[] = [];
  for (const { number, text: line } of lines) {
    const hex = line.replace(/0x|\\x/gi, " ").replace(/[\s:,;]+/g, "");
    if (!/^[0-9a-fA-F]*$/.test(hex)) {
      const bad = /[^0-9a-fA-F]/.exec(hex)![0];
      throw new SyntaxError(`Invalid hex dump: line ${number} has ${JSON.stringify(bad)}`);
    }
    if (hex.length % 2 !== 0) {
      throw new SyntaxError(`Invalid hex dump: line ${number} has an odd number of hex digits`);
    }
    for (let i = 0; i < hex.length; i += 2) bytes.push(parseInt(hex.slice(i, i + 2), 16));
  }
  return new Uint8Array(bytes);
}

/**
 * Whether `bytes` look like a hex capture rather than raw frames: printable
 * ASCII and whitespace only, and {@linkcode parseHexDump} reads them. Raw
 * WebSocket traffic nearly always has bytes outside that range (every
 * frame header starts with 0x81, 0x82, 0x01, 0x02 or 0x88-0x8a, or is a
 * control character).
 *
 * @param bytes The start of a capture, or all of it.
 * @returns `true` for a hex dump.
 *
 * @example
 * ```ts
 * import { isHexDump } from "@edgews/websocket/inspector";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isHexDump(new TextEncoder().encode("81 02 68 69\n")), true);
 * assert.equal(isHexDump(new Uint8Array([0x81, 0x02, 0x68, 0x69])), false);
 * ```
 */
export function isHexDump(bytes: Uint8Array): boolean {
  let digits = 0;
  for (const byte of bytes) {
    if (byte !== 0x09 && byte !== 0x0a && byte !== 0x0d && (byte < 0x20 || byte > 0x7e)) {
      return false;
    }
    if ((byte >= 0x30 && byte <= 0x39) || ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x66)) {
      digits++;
    }
  }
  if (digits < 2) return false;
  try {
    parseHexDump(new TextDecoder().decode(bytes));
    return true;
  } catch {
    return false;
  }
}
