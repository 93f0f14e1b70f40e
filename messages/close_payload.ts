import { CloseCode, isValidCloseCode } from "../errors/close_code.ts";
import { WebSocketError } from "../errors/websocket_error.ts";
import { Utf8Validator } from "./utf8_validator.ts";

/**
 * Longest close reason: 125 control-frame bytes minus the 2-byte code.
 */
export const MAX_CLOSE_REASON_BYTES = 123;

/**
 * A close frame's content. A close frame with an empty body is reported with
 * code 1005 ("no status received", §7.1.5) and an empty reason.
 */
export interface ClosePayload {
  /** The status code. */
  code: number;
  /** The reason text, possibly empty. */
  reason: string;
}

// ignoreBOM: a reason that starts with U+FEFF keeps it.
const _decoder = new TextDecoder("utf-8", { ignoreBOM: true });
const _encoder = new TextEncoder();

/**
 * Parse and validate a received close frame body.
 *
 * Fails with 1002 for a 1-byte body or a code that may not appear on the
 * wire (0–999, 1004–1006, 1015, 1016–2999, 5000 and above), and with 1007
 * for a reason that is not valid UTF-8.
 *
 * @param payload The unmasked close frame payload.
 * @returns The code and reason.
 * @throws {WebSocketError} With the close code to answer with.
 *
 * @example
 * ```ts
 * import { parseClosePayload } from "@edgews/websocket/messages";
 * import assert from "node:assert/strict";
 *
 * const body = new Uint8Array([0x03, 0xe8, 0x62, 0x79, 0x65]);
 * assert.deepEqual(parseClosePayload(body), { code: 1000, reason: "bye" });
 * assert.deepEqual(parseClosePayload(new Uint8Array()), { code: 1005, reason: "" });
 * ```
 */
export function parseClosePayload(payload: Uint8Array): ClosePayload {
  if (payload.length === 0) {
    return { code: CloseCode.NoStatusReceived, reason: "" };
  }
  if (payload.length === 1) {
    throw new WebSocketError(
      CloseCode.ProtocolError,
      "Invalid close frame: 1-byte payload (a status code needs 2 bytes)",
    );
  }
  const code = (payload[0]! << 8) | payload[1]!;
  if (!isValidCloseCode(code)) {
    throw new WebSocketError(
      CloseCode.ProtocolError,
      `Invalid close frame: status code ${code} may not be sent on the wire`,
    );
  }
  const reasonBytes = payload.subarray(2);
  const validator = new Utf8Validator();
  if (validator.write(reasonBytes) !== -1 || !validator.complete) {
    throw new WebSocketError(
      CloseCode.InvalidPayload,
      "Invalid close frame: reason is not valid UTF-8",
    );
  }
  return { code, reason: _decoder.decode(reasonBytes) };
}

/**
 * Build a close frame body. Code 1005 (or no code) gives an empty body,
 * which is how "no status" is sent.
 *
 * @param code The status code to send; must be valid on the wire, or 1005.
 * @param reason A reason of at most 123 UTF-8 bytes; needs a code.
 * @returns The close frame payload.
 * @throws {RangeError} For a code that may not be sent or a reason too long.
 *
 * @example
 * ```ts
 * import { encodeClosePayload } from "@edgews/websocket/messages";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual([...encodeClosePayload(1000, "bye")], [0x03, 0xe8, 0x62, 0x79, 0x65]);
 * assert.equal(encodeClosePayload().length, 0);
 * ```
 */
export function encodeClosePayload(
  code: number = CloseCode.NoStatusReceived,
  reason = "",
): Uint8Array {
  if (code === CloseCode.NoStatusReceived) {
    if (reason !== "") {
      throw new RangeError("Cannot close: a reason needs a status code");
    }
    return new Uint8Array(0);
  }
  if (!isValidCloseCode(code)) {
    throw new RangeError(
      `Cannot close: status code ${code} may not be sent (use 1000, 1001, 1002, 1003, 1007-1014 or 3000-4999)`,
    );
  }
  const reasonBytes = _encoder.encode(reason);
  if (reasonBytes.length > MAX_CLOSE_REASON_BYTES) {
    throw new RangeError(
      `Cannot close: reason is ${reasonBytes.length} bytes, the limit is ${MAX_CLOSE_REASON_BYTES}`,
    );
  }
  const out = new Uint8Array(2 + reasonBytes.length);
  out[0] = code >>> 8;
  out[1] = code & 0xff;
  out.set(reasonBytes, 2);
  return out;
}
