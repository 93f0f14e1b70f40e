/**
 * The byte transport a WebSocket runs over.
 *
 * @module
 */

/**
 * Any bidirectional byte stream: a `Deno.Conn` or `Deno.TlsConn`, a
 * Cloudflare `connect()` socket, a Node socket.
 * `close`, when present, tears the transport down at once (both directions);
 * without it, closing means closing `writable` and cancelling `readable`.
 */
export interface ByteDuplex {
  /**
   * Bytes from the peer. Erroring it with a `WebSocketError` fails the
   * connection with that error's close code (a runtime's socket that found
   * a protocol violation itself); any other error is an abnormal closure
   * (1006).
   */
  readable: ReadableStream<Uint8Array>;
  /** Bytes to the peer. */
  writable: WritableStream<Uint8Array>;
  /** Close both directions immediately. */
  close?: (() => void) | undefined;
  /**
   * Read into `buffer` (as `Deno.Conn.read`): resolves with the byte count,
   * or `null` at end of stream. With `write`, the connection uses these
   * instead of the streams: one recycled read buffer and batched writes.
   */
  read?: ((buffer: Uint8Array) => Promise<number | null>) | undefined;
  /**
   * The next chunk received, which the caller then owns, or `null` at end of
   * stream. With `write`, the connection uses it instead of `read`: no read
   * buffer per connection and no copy, for transports that allocate a chunk
   * per read anyway (Node's and Bun's sockets).
   */
  readChunk?: (() => Promise<Uint8Array | null>) | undefined;
  /**
   * End the sending direction only (as `Deno.Conn.closeWrite`). With `read`,
   * closing becomes a lingering close: the peer gets everything sent, then
   * what it still sends is read and dropped until it closes (1 s, 1 MiB), so
   * that no reset destroys the last frames before the peer reads them.
   */
  closeWrite?: (() => Promise<void>) | undefined;
  /** Write some of `bytes` (as `Deno.Conn.write`): resolves with the count written. */
  write?: ((bytes: Uint8Array) => Promise<number>) | undefined;
}
