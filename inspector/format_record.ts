import type { InspectedFrame, InspectionProblem, InspectorRecord } from "./inspector_record.ts";

/**
 * Options for {@linkcode formatInspectorRecord}.
 */
export interface FormatRecordOptions {
  /**
   * Show whole payloads. Otherwise text is cut after 200 characters and
   * binary after 64 bytes, saying how much was left out.
   * @default {false}
   */
  full?: boolean | undefined;
}

const _CLOSE_NAMES: Record<number, string> = {
  1000: "normal closure",
  1001: "going away",
  1002: "protocol error",
  1003: "unsupported data",
  1005: "no status received",
  1006: "abnormal closure",
  1007: "invalid payload data",
  1008: "policy violation",
  1009: "message too big",
  1010: "mandatory extension",
  1011: "internal error",
  1012: "service restart",
  1013: "try again later",
  1014: "bad gateway",
  1015: "TLS handshake",
};

const _TEXT_LIMIT = 200;
const _HEX_LIMIT = 64;
const _decoder = new TextDecoder("utf-8", { ignoreBOM: true });

function _closeName(code: number): string {
  const name = _CLOSE_NAMES[code] ??
    (code >= 3000 && code <= 3999
      ? "registered"
      : code >= 4000 && code <= 4999
      ? "private use"
      : "not valid on the wire");
  return `${code} (${name})`;
}

function _hex(bytes: Uint8Array, full: boolean): string {
  const shown = full ? bytes : bytes.subarray(0, _HEX_LIMIT);
  let out = "";
  for (let i = 0; i < shown.length; i++) {
    if (i > 0) out += " ";
    out += shown[i]!.toString(16).padStart(2, "0");
  }
  if (shown.length < bytes.length) out += ` ... (${bytes.length - shown.length} more bytes)`;
  return out;
}

function _quoted(text: string, full: boolean): string {
  const points = [...text];
  if (full || points.length <= _TEXT_LIMIT) return JSON.stringify(text);
  const shown = points.slice(0, _TEXT_LIMIT).join("");
  const rest = new TextEncoder().encode(text).length - new TextEncoder().encode(shown).length;
  return `${JSON.stringify(shown)}... (${rest} more bytes)`;
}

/** Text when the bytes are valid UTF-8, else `undefined`. */
function _utf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function _payload(frame: InspectedFrame, textual: boolean, full: boolean): string {
  const payload = frame.payload;
  if (payload.length === 0) return "(empty)";
  if (textual) return _quoted(_decoder.decode(payload), full);
  const hex = `hex ${_hex(payload, full)}`;
  if (frame.opcode >= 0x8) {
    const text = _utf8(payload);
    // deno-lint-ignore no-control-regex
    if (text !== undefined && !/[\x00-\x1f\x7f]/.test(text)) {
      return `${hex}  ${_quoted(text, full)}`;
    }
  }
  return hex;
}

function _frame(frame: InspectedFrame, full: boolean, context: FrameContext): string {
  const rsv = `${+frame.rsv1}${+frame.rsv2}${+frame.rsv3}`;
  const mask = frame.maskKey === undefined ? "none" : _hex(frame.maskKey, true).replaceAll(" ", "");
  const lines = [
    `#${frame.index} @${frame.offset} ${frame.opcodeName} fin=${+frame
      .fin} rsv=${rsv} len=${frame.length} mask=${mask}`,
  ];
  if (frame.opcode === 0x8) {
    if (frame.close !== undefined) {
      lines.push(
        frame.close.code === 1005
          ? "   close without a status code"
          : `   close ${_closeName(frame.close.code)}${
            frame.close.reason === "" ? "" : ` ${_quoted(frame.close.reason, full)}`
          }`,
      );
    } else {
      lines.push(`   ${_payload(frame, false, full)}`);
    }
  } else {
    // Text frames show as text unless compressed (then the message does).
    lines.push(`   ${_payload(frame, context.text && !context.compressed, full)}`);
  }
  const message = frame.message;
  if (message !== undefined && (message.frames > 1 || message.compressed)) {
    const how = [
      message.frames > 1 ? `${message.frames} frames` : "",
      message.compressed ? `inflated ${message.wireLength} -> ${message.data.length} bytes` : "",
    ].filter((part) => part !== "").join(", ");
    const content = message.text !== undefined
      ? _quoted(message.text, full)
      : message.data.length === 0
      ? "(empty)"
      : `hex ${_hex(message.data, full)}`;
    lines.push(`   = ${message.type} message (${how}): ${content}`);
  }
  return lines.join("\n");
}

function _context(frame: InspectedFrame): FrameContext {
  return { text: frame.opcode === 0x1, compressed: frame.opcode < 0x8 && frame.rsv1 };
}

function _problem(problem: InspectionProblem): string {
  const then = problem.fatal
    ? problem.closeCode === 1006
      ? "the capture is cut short here"
      : `a receiver fails the connection here; nothing from byte ${problem.offset} on is decoded`
    : `a receiver closes with ${problem.closeCode} here; inspection goes on`;
  return `!! @${problem.offset} ${_closeName(problem.closeCode)}: ${problem.message}\n   (${then})`;
}

/**
 * What a data frame belongs to, which continuation frames do not say.
 */
export interface FrameContext {
  /** The frame is part of a text message: its payload shows as text. */
  text: boolean;
  /** The message is compressed: its frames show as hex, the message as inflated. */
  compressed: boolean;
}

/**
 * Format a record as the inspector command prints it: a header line per
 * frame (`#index @offset opcode fin= rsv= len= mask=`), the demasked payload
 * (text as text, binary as hex, close frames as code and reason), a `=`
 * line for a message of several frames or an inflated one, and `!!` lines
 * for problems with the close code a receiver would use.
 *
 * @param record A record from a {@linkcode FrameInspector}.
 * @param options Whether to show whole payloads.
 * @param context For a data frame, the message it belongs to; by default
 * what the frame's own opcode and RSV1 say, which is right for all but
 * continuation frames. {@linkcode RecordFormatter} tracks it for you.
 * @returns The text, without a final newline.
 *
 * @example
 * ```ts
 * import { FrameInspector, formatInspectorRecord } from "@edgews/websocket/inspector";
 * import assert from "node:assert/strict";
 *
 * const bytes = new Uint8Array([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
 * const [record] = await new FrameInspector().write(bytes);
 * assert.equal(
 *   formatInspectorRecord(record!),
 *   '#1 @0 text fin=1 rsv=000 len=5 mask=37fa213d\n   "Hello"',
 * );
 * ```
 */
export function formatInspectorRecord(
  record: InspectorRecord,
  options: FormatRecordOptions = {},
  context?: FrameContext,
): string {
  const full = options.full ?? false;
  if (record.kind === "problem") return _problem(record);
  return _frame(record, full, context ?? _context(record));
}

/**
 * Formats a stream of records in order, remembering whether continuation
 * frames belong to a text message so that their payload shows as text.
 *
 * @example
 * ```ts
 * import { FrameInspector, RecordFormatter } from "@edgews/websocket/inspector";
 * import assert from "node:assert/strict";
 *
 * // "Hel" + "lo", unmasked, in two frames (RFC 6455 §5.7).
 * const bytes = new Uint8Array([0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f]);
 * const formatter = new RecordFormatter();
 * const text = (await new FrameInspector().write(bytes)).map((r) => formatter.format(r));
 * assert.deepEqual(text, [
 *   '#1 @0 text fin=0 rsv=000 len=3 mask=none\n   "Hel"',
 *   '#2 @5 continuation fin=1 rsv=000 len=2 mask=none\n   "lo"\n' +
 *   '   = text message (2 frames): "Hello"',
 * ]);
 * ```
 */
export class RecordFormatter {
  #options: FormatRecordOptions;
  #context: FrameContext = { text: false, compressed: false };

  /**
   * Create a formatter.
   *
   * @param options Whether to show whole payloads.
   */
  constructor(options: FormatRecordOptions = {}) {
    this.#options = options;
  }

  /**
   * Format the next record.
   *
   * @param record The next record of the stream.
   * @returns Its text, without a final newline.
   */
  format(record: InspectorRecord): string {
    if (record.kind === "frame" && (record.opcode === 0x1 || record.opcode === 0x2)) {
      this.#context = _context(record);
    }
    const context = record.kind === "frame" && record.opcode >= 0x8
      ? _context(record)
      : this.#context;
    return formatInspectorRecord(record, this.#options, context);
  }
}
