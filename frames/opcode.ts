/**
 * The opcodes RFC 6455 defines. 0x3–0x7 and 0xB–0xF are reserved and make a
 * receiver fail the connection.
 */
export const Opcode = {
  /** 0x0: continues a fragmented message. */
  Continuation: 0x0,
  /** 0x1: first frame of a text (UTF-8) message. */
  Text: 0x1,
  /** 0x2: first frame of a binary message. */
  Binary: 0x2,
  /** 0x8: close (§5.5.1). */
  Close: 0x8,
  /** 0x9: ping (§5.5.2). */
  Ping: 0x9,
  /** 0xA: pong (§5.5.3). */
  Pong: 0xa,
} as const;

/**
 * One of the defined {@linkcode Opcode} values.
 */
export type Opcode = typeof Opcode[keyof typeof Opcode];

/**
 * Whether `opcode` is a control opcode (close, ping, pong, or reserved
 * 0xB–0xF): the most significant opcode bit is set (§5.5).
 *
 * @param opcode A 4-bit opcode.
 * @returns `true` for control opcodes.
 *
 * @example
 * ```ts
 * import { isControlOpcode, Opcode } from "@edgews/websocket/frames";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isControlOpcode(Opcode.Ping), true);
 * assert.equal(isControlOpcode(Opcode.Text), false);
 * ```
 */
export function isControlOpcode(opcode: number): boolean {
  return (opcode & 0x8) !== 0;
}
