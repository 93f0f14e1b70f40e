/**
 * Messages as streams of bytes, for `WebSocketStream`'s `streamMessages`
 * option and for sending a message from a stream.
 *
 * @module
 */

/**
 * A message received as a stream (`streamMessages: true`): `readable`
 * yields its bytes as they arrive (text as UTF-8, validated as it goes), in
 * bounded memory. Read it to its end or cancel it: while about 1 MiB of it
 * waits unread the connection stops reading, so the next message waits.
 * The cases are in `connection/_message_streams_test.ts`.
 */
export interface StreamedMessage {
  /** `"text"` or `"binary"`. */
  type: "text" | "binary";
  /** The message's bytes as they arrive (text: UTF-8, possibly split inside a character). */
  readable: ReadableStream<Uint8Array>;
}

/**
 * A message to send from a stream, written to a `WebSocketStream`'s
 * `writable` (a bare `ReadableStream<Uint8Array>` sends binary). Each chunk
 * goes out as soon as it is read and the next is read once the connection
 * took it, so any size is sent in bounded memory. A received
 * `StreamedMessage` is one too: writing it back echoes it. Failures
 * (invalid UTF-8, a source failing midway: 1011) are in
 * `connection/_message_streams_test.ts`.
 */
export interface StreamedMessageInit {
  /** The message's type. @default {"binary"} */
  type?: "text" | "binary" | undefined;
  /** The message's content, chunk by chunk. */
  readable: ReadableStream<Uint8Array | string>;
}
