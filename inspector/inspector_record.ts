import type { ClosePayload } from "../messages/close_payload.ts";

/**
 * A data message put back together from its frames: reassembled, and
 * inflated when it was compressed with permessage-deflate.
 */
export interface InspectedMessage {
  /** Text or binary, from the opcode of the message's first frame. */
  type: "text" | "binary";
  /** The message's bytes: the payloads of its frames, inflated if compressed. */
  data: Uint8Array;
  /** The text of a text message that is valid UTF-8; `undefined` otherwise. */
  text: string | undefined;
  /** How many frames carried the message. */
  frames: number;
  /** The sum of the frames' payload lengths, as sent (compressed or not). */
  wireLength: number;
  /** Whether the first frame had RSV1 set and the message was inflated. */
  compressed: boolean;
}

/**
 * One frame as it was on the wire, demasked.
 */
export interface InspectedFrame {
  /** Tells frames from problems. */
  kind: "frame";
  /** The frame's number in the stream, from 1. */
  index: number;
  /** Where the frame's first byte is in the stream. */
  offset: number;
  /** The header's size in bytes (2 to 14). */
  headerLength: number;
  /** Final fragment of a message. */
  fin: boolean;
  /** Reserved bit 1 (permessage-deflate's "compressed"). */
  rsv1: boolean;
  /** Reserved bit 2. */
  rsv2: boolean;
  /** Reserved bit 3. */
  rsv3: boolean;
  /** The 4-bit opcode. */
  opcode: number;
  /** `"continuation"`, `"text"`, `"binary"`, `"close"`, `"ping"` or `"pong"`. */
  opcodeName: string;
  /** The payload length the header announced. */
  length: number;
  /** The 4-byte masking key, or `undefined` for an unmasked frame. */
  maskKey: Uint8Array | undefined;
  /** The demasked payload, as it was on the wire (still compressed, if it was). */
  payload: Uint8Array;
  /** For a close frame with a valid body: its status code and reason. */
  close: ClosePayload | undefined;
  /** On the last frame of a data message: the whole message. */
  message: InspectedMessage | undefined;
}

/**
 * Something a receiver would have failed the connection for, with the close
 * code it would send (RFC 6455 §7.4.1), or the capture ending early (1006).
 */
export interface InspectionProblem {
  /** Tells problems from frames. */
  kind: "problem";
  /**
   * Where it is in the stream: the first byte of the frame at fault, or
   * where the capture ended.
   */
  offset: number;
  /** The close code a receiver would fail the connection with. */
  closeCode: number;
  /** What is wrong, in words. */
  message: string;
  /**
   * `true` when the frames cannot be followed past this point (a framing
   * error): the inspector reads nothing after it. `false` for problems
   * inside a well-framed frame (bad UTF-8, a bad close body, a message that
   * does not inflate), after which inspection goes on.
   */
  fatal: boolean;
}

/**
 * What a frame inspector reports, in stream order.
 */
export type InspectorRecord = InspectedFrame | InspectionProblem;
