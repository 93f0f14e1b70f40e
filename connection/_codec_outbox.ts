/**
 * Messages to send that wait on an asynchronous permessage-deflate codec
 * (`CompressionStream`, no zlib): compressed one at a time and sent in
 * `send` order, with a `close()` made meanwhile held until they are out.
 *
 * @module
 */

import type { PerMessageDeflate } from "../compression/per_message_deflate.ts";
import { CloseCode } from "../errors/close_code.ts";
import { WebSocketError } from "../errors/websocket_error.ts";
import type { WebSocketProtocol } from "../protocol/websocket_protocol.ts";

/** What the outbox needs from its connection. */
export interface _OutboxOwner {
  /** Hand what the protocol queued to the transport. */
  flush(): void;
  /** Whether the connection has ended. */
  finished(): boolean;
  /** Fail the connection (1011 unless `error` is a `WebSocketError`). */
  fail(error: unknown, what: string): void;
  /** The `close()` held while messages were being compressed. */
  close(code: number | undefined, reason: string | undefined): void;
}

const _encoder = new TextEncoder();

/** The ordered send queue of a connection whose codec is asynchronous. */
export class _CodecOutbox {
  #codec: PerMessageDeflate;
  #protocol: WebSocketProtocol;
  #owner: _OutboxOwner;
  #messages: { data: string | Uint8Array; payload: Uint8Array }[] = [];
  /** A `close()` that waits for the queue to be sent first. */
  #closeAfterSending: { code: number | undefined; reason: string | undefined } | undefined;
  /** Payload bytes waiting to be compressed. */
  bytes = 0;
  /** Set while messages wait: settles once they were all sent (or dropped). */
  sending: Promise<void> | undefined;

  /**
   * @param codec The agreed codec, whose `compressAsync` is used.
   * @param protocol The connection's protocol, which frames the messages.
   * @param owner The connection.
   */
  constructor(codec: PerMessageDeflate, protocol: WebSocketProtocol, owner: _OutboxOwner) {
    this.#codec = codec;
    this.#protocol = protocol;
    this.#owner = owner;
  }

  /**
   * Queue a message: a string as text, bytes as binary.
   *
   * @throws {WebSocketError} When the connection is closing or closed.
   */
  send(data: string | Uint8Array): void {
    const protocol = this.#protocol;
    const type = typeof data === "string" ? "text" : "binary";
    if (this.#closeAfterSending !== undefined || protocol.closeSent || protocol.state !== "open") {
      throw new WebSocketError(
        CloseCode.AbnormalClosure,
        `Cannot send ${type}: the connection is ${
          protocol.state === "open" ? "closing" : protocol.state
        }`,
      );
    }
    const payload = typeof data === "string" ? _encoder.encode(data) : data;
    this.#messages.push({ data, payload });
    this.bytes += payload.length;
    this.sending ??= this.#drain();
  }

  /** Close with `code` and `reason` once the queue is sent (the first such call wins). */
  closeAfterSending(code: number | undefined, reason: string | undefined): void {
    this.#closeAfterSending ??= { code, reason };
  }

  async #drain(): Promise<void> {
    const codec = this.#codec;
    const outbox = this.#messages;
    const protocol = this.#protocol;
    const owner = this.#owner;
    try {
      // Bounded by the messages queued; each round sends or drops one.
      while (outbox.length > 0) {
        const { data, payload } = outbox.shift()!;
        this.bytes -= payload.length;
        let compressed: Uint8Array | undefined;
        try {
          compressed = await codec.compressAsync(payload);
        } catch (error) {
          owner.fail(error, "Compression failed");
        }
        if (owner.finished() || protocol.closeSent || protocol.state !== "open") {
          // The peer closed meanwhile (its close was echoed): nothing more may be sent.
          outbox.length = 0;
          this.bytes = 0;
          break;
        }
        try {
          if (compressed !== undefined) {
            protocol.sendCompressed(typeof data === "string" ? "text" : "binary", compressed);
          } else if (typeof data === "string") protocol.sendText(data);
          else protocol.sendBinary(data);
        } catch (error) {
          owner.fail(error, "Sending failed");
          break;
        }
        owner.flush();
      }
    } finally {
      this.sending = undefined;
    }
    const close = this.#closeAfterSending;
    this.#closeAfterSending = undefined;
    if (close !== undefined) owner.close(close.code, close.reason);
  }
}
