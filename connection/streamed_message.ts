/**
 * Messages as streams of bytes, for `WebSocketStream`'s `streamMessages`
 * option and for sending a message from a stream.
 *
 * @module
 */

/**
 * A message received as a stream: with `streamMessages: true`, a
 * `WebSocketStream`'s `readable` yields one of these per message as soon as
 * its first bytes arrive, and `readable` here yields the message's bytes
 * (UTF-8 for text, already validated up to each chunk's end) as they come
 * off the network, in bounded memory whatever the message's size.
 *
 * Read each message's `readable` to its end, or cancel it to skip the rest
 * of the message: the connection stops reading from the network while
 * about 1 MiB of it waits unread (backpressure), so a message left alone
 * holds up the ones after it. A connection that ends inside a message
 * errors its `readable`.
 */
export interface StreamedMessage {
  /** `"text"` or `"binary"`. */
  type: "text" | "binary";
  /** The message's bytes as they arrive (text: UTF-8, possibly split inside a character). */
  readable: ReadableStream<Uint8Array>;
}

/**
 * A message to send from a stream (write it to a `WebSocketStream`'s
 * `writable`; a bare `ReadableStream<Uint8Array>` sends binary). Each chunk
 * goes out as one or more fragments as soon as it is read, and the next is
 * read only when the connection has taken the last one, so a message of
 * any size is sent in bounded memory; the write resolves once the last
 * fragment went out. Text chunks may be strings or UTF-8 bytes (checked as
 * they pass: invalid UTF-8 fails the write with a `TypeError`). A source
 * that fails after the first fragment was sent closes the connection with
 * 1011, since a started message cannot be taken back.
 *
 * A `StreamedMessage` received is also a `StreamedMessageInit`, so writing
 * received messages back echoes them chunk by chunk.
 */
export interface StreamedMessageInit {
  /** The message's type. @default {"binary"} */
  type?: "text" | "binary" | undefined;
  /** The message's content, chunk by chunk. */
  readable: ReadableStream<Uint8Array | string>;
}
