/**
 * The close codes this module sends or reports, by name (RFC 6455 §7.4.1,
 * plus 1012–1014 from the IANA registry).
 */
export const CloseCode = {
  /** 1000: the purpose of the connection has been fulfilled. */
  NormalClosure: 1000,
  /** 1001: the endpoint is going away (server shutdown, page navigation). */
  GoingAway: 1001,
  /** 1002: the peer broke the protocol. */
  ProtocolError: 1002,
  /** 1003: a data type the endpoint cannot accept. */
  UnsupportedData: 1003,
  /** 1005: reported locally when a close frame carried no code; never sent. */
  NoStatusReceived: 1005,
  /** 1006: reported locally when the connection dropped without a close frame; never sent. */
  AbnormalClosure: 1006,
  /** 1007: a text message or close reason was not valid UTF-8 (or data was corrupt). */
  InvalidPayload: 1007,
  /** 1008: a message violated the endpoint's policy. */
  PolicyViolation: 1008,
  /** 1009: a frame or message was larger than the endpoint accepts. */
  MessageTooBig: 1009,
  /** 1010: the client needed an extension the server did not negotiate. */
  MandatoryExtension: 1010,
  /** 1011: the server hit an unexpected condition. */
  InternalError: 1011,
  /** 1012: the service is restarting. */
  ServiceRestart: 1012,
  /** 1013: try again later (overload). */
  TryAgainLater: 1013,
  /** 1014: a gateway got an invalid response upstream. */
  BadGateway: 1014,
  /** 1015: reported locally when the TLS handshake failed; never sent. */
  TlsHandshake: 1015,
} as const;

/**
 * A named close code from {@linkcode CloseCode}.
 */
export type CloseCode = typeof CloseCode[keyof typeof CloseCode];

/**
 * Whether `code` may appear in a close frame on the wire (RFC 6455 §7.4):
 * 1000–1003, 1007–1014 and 3000–4999; the ranges are the table of
 * `errors/close_code_test.ts`.

 *
 * @param code The code read from or about to be written to a close frame.
 * @returns `true` when the code is valid on the wire.
 *
 * @example
 * ```ts
 * import { isValidCloseCode } from "@edgews/websocket/frames";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isValidCloseCode(1000), true);
 * assert.equal(isValidCloseCode(1005), false);
 * assert.equal(isValidCloseCode(4000), true);
 * ```
 */
export function isValidCloseCode(code: number): boolean {
  if (!Number.isInteger(code)) return false;
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
    (code >= 3000 && code <= 4999);
}
