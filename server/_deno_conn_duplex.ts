/**
 * A `Deno.Conn` as a {@linkcode ByteDuplex}. A class rather than an object
 * literal of arrow functions: its methods live on the prototype, so an idle
 * connection carries one small object instead of five closures and their
 * context. Not exported from `mod.ts`.
 *
 * @module
 */

import type { ByteDuplex } from "../connection/duplex.ts";

/** `conn`'s bytes, read and written without streams (the engine's fast path). */
export class _DenoConnDuplex implements ByteDuplex {
  readonly #conn: Deno.Conn;

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /**
   * The runtime's stream, built on first use only: it costs memory, and the
   * engine reads with `read` into its own buffer.
   */
  get readable(): ReadableStream<Uint8Array> {
    return this.#conn.readable;
  }

  /** The runtime's stream, built on first use only. */
  get writable(): WritableStream<Uint8Array> {
    return this.#conn.writable;
  }

  read(buffer: Uint8Array): Promise<number | null> {
    return this.#conn.read(buffer);
  }

  write(bytes: Uint8Array): Promise<number> {
    return this.#conn.write(bytes);
  }

  closeWrite(): Promise<void> {
    return this.#conn.closeWrite();
  }

  close(): void {
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }
}
