/**
 * A complete message or control event.
 *
 * Text and binary messages are reassembled from their fragments; ping, pong
 * and close are single control frames. A close with an empty body carries
 * code 1005 and an empty reason.
 *
 * `compressed` is a data message whose first frame had RSV1 set while a
 * per-message compression extension was negotiated (RFC 7692 §6): `data`
 * is still compressed, and text in it has not been checked for UTF-8 yet.
 * Only a `MessageAssembler` created with `compression: true` produces it;
 * `MessageEncoder` sends it with RSV1 on its first frame.
 *
 * `chunk` is a piece of a data message delivered as it arrives, for
 * streaming (a `MessageAssembler` created with `streaming: true`): see
 * {@linkcode MessageChunk}.
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
 * A piece of a text or binary message, delivered as it arrives instead of
 * after the whole message (a payload slice of one of its frames). `first`
 * marks the message's first chunk and `last` its end; a message is its
 * chunks' `data` joined. Text is checked for UTF-8 chunk by chunk, so a bad
 * byte fails the message right where it is, but a chunk may end in the
 * middle of a character (decode with `TextDecoderStream` or
 * `new TextDecoder().decode(data, { stream: true })`).
 *
 * Sent with `MessageEncoder`, a chunk becomes one frame (or several with
 * `fragmentSize`): the first with the message's opcode, later ones as
 * continuation frames, FIN on the last.
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
