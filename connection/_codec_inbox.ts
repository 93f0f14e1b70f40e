/**
 * Received messages that wait on the permessage-deflate codec: every
 * compressed message with an asynchronous codec (`CompressionStream`, no
 * zlib), or one too long to inflate at once with zlib, and the events
 * behind it, delivered in arrival order.
 *
 * @module
 */

import type { PerMessageDeflate } from "../compression/per_message_deflate.ts";
import type { Message } from "../messages/message.ts";
import { decodeTextMessage } from "../messages/message_assembler.ts";

/** What the inbox needs from its connection. */
export interface _InboxOwner {
  /** Deliver one event (a decompressed message comes as text, binary or one chunk). */
  dispatch(event: Message): void;
  /** Whether the connection has ended: nothing more is delivered. */
  finished(): boolean;
  /** Fail the connection (1011 unless `error` is a `WebSocketError`). */
  fail(error: unknown, what: string): void;
}

/** `draining` while a drain starts (see `queue`). */
const _DRAIN_STARTING: Promise<void> = Promise.resolve();

/**
 * The ordered queue of received events behind a message being
 * decompressed. The connection stops reading while `draining` is set, so
 * memory stays bounded by one transport chunk's worth of messages.
 */
export class _CodecInbox {
  #codec: PerMessageDeflate;
  #maxMessageSize: number;
  #streamMessages: boolean;
  #owner: _InboxOwner;
  #events: Message[] = [];
  /** Set while events wait: settles once they were all delivered (or dropped). */
  draining: Promise<void> | undefined;

  /**
   * @param codec The agreed codec, whose `decompressAsync` is used.
   * @param maxMessageSize Largest decompressed message.
   * @param streamMessages Deliver decompressed messages as one chunk.
   * @param owner The connection.
   */
  constructor(
    codec: PerMessageDeflate,
    maxMessageSize: number,
    streamMessages: boolean,
    owner: _InboxOwner,
  ) {
    this.#codec = codec;
    this.#maxMessageSize = maxMessageSize;
    this.#streamMessages = streamMessages;
    this.#owner = owner;
  }

  /** Deliver `events` from `start` on, in order, each compressed one once decompressed. */
  queue(events: Message[], start: number): void {
    const inbox = this.#events;
    for (let i = start; i < events.length; i++) inbox.push(events[i]!);
    if (this.draining === undefined && inbox.length > 0) {
      // A drain with nothing to decompress finishes before it returns (its
      // finally clears `draining` first): keeping its settled promise would
      // make reading wait on it forever, one microtask at a time, a busy
      // loop. So `draining` holds a marker while the drain starts, and the
      // drain's promise only if it is still running.
      this.draining = _DRAIN_STARTING;
      const draining = this.#drain();
      if (this.draining === _DRAIN_STARTING) this.draining = draining;
    }
  }

  async #drain(): Promise<void> {
    const codec = this.#codec;
    const inbox = this.#events;
    const owner = this.#owner;
    try {
      // Bounded by the events of the chunks read before reading paused.
      while (inbox.length > 0 && !owner.finished()) {
        const event = inbox.shift()!;
        if (event.type !== "compressed") {
          owner.dispatch(event);
          continue;
        }
        let data: string | Uint8Array;
        let bytes: Uint8Array;
        try {
          bytes = await codec.decompressAsync(event.data, this.#maxMessageSize);
          data = event.messageType === "text" ? decodeTextMessage(bytes) : bytes;
        } catch (error) {
          inbox.length = 0;
          owner.fail(error, "Decompression failed");
          return;
        }
        if (owner.finished()) return;
        const messageType = event.messageType;
        if (this.#streamMessages) {
          // Compressed messages come whole: one chunk.
          owner.dispatch({ type: "chunk", messageType, data: bytes, first: true, last: true });
        } else if (typeof data === "string") owner.dispatch({ type: "text", data });
        else owner.dispatch({ type: "binary", data });
      }
    } finally {
      this.draining = undefined;
    }
  }
}
