/**
 * A complete message or control event. A close with an empty body carries
 * code 1005. `compressed` is a data message with RSV1 set (RFC 7692 §6),
 * still compressed and not yet checked for UTF-8 (from a `MessageAssembler`
 * with `compression: true`); `chunk` is a piece of one delivered as it
 * arrives, with `streamMessages: true` ({@linkcode MessageChunk}).
 */
export type Message =
  | { type: "text"; data: string }
  | { type: "binary"; data: Uint8Array }
  | { type: "ping"; data: Uint8Array }
  | { type: "pong"; data: Uint8Array }
  | { type: "close"; code: number; reason: string }
  | { type: "compressed"; messageType: "text" | "binary"; data: Uint8Array }
  | MessageChunk;

/**
 * A piece of a text or binary message, delivered as it arrives (a payload
 * slice of one of its frames); the message is its chunks' `data` joined.
 * Text is checked chunk by chunk, but a chunk may end inside a character
 * (decode with `TextDecoderStream`). Sent with `MessageEncoder`, a chunk
 * becomes a frame: continuation after the first, FIN on the `last`.
 */
export interface MessageChunk {
  /** Always `"chunk"`. */
  type: "chunk";
  /** The message's type. */
  messageType: "text" | "binary";
  /** The bytes (UTF-8 for text); may be empty, e.g. on the `last` chunk. */
  data: Uint8Array;
  /** This is the message's first chunk. */
  first: boolean;
  /** This is the message's last chunk. */
  last: boolean;
}
