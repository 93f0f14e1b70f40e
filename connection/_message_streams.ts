/**
 * Per-message streams for `WebSocketStream`: incoming messages as a
 * `ReadableStream` each, with backpressure down to the socket, and
 * outgoing messages sent from a `ReadableStream`. Not exported from
 * `mod.ts`.
 *
 * @module
 */

import { CloseCode } from "../errors/close_code.ts";
import { WebSocketError } from "../errors/websocket_error.ts";
import type { MessageChunk } from "../messages/message.ts";
import { Utf8Validator } from "../messages/utf8_validator.ts";
import type { StreamedMessage, StreamedMessageInit } from "./streamed_message.ts";
import type { WebSocketConnection } from "./websocket_connection.ts";

/** Bytes of one message waiting unread before reading from the network pauses. */
const _MESSAGE_HIGH_WATER_MARK = 1024 * 1024;
const _EMPTY = new Uint8Array(0);
const _encoder = new TextEncoder();

/** The message being received. */
interface _Current {
  controller: ReadableStreamDefaultController<Uint8Array>;
  /** Its reader cancelled: the rest is dropped. */
  discard: boolean;
}

/** Turns a connection's chunks into a stream of message streams. */
export class _IncomingMessages {
  #messages: ReadableStreamDefaultController<StreamedMessage>;
  #connection: WebSocketConnection;
  #current: _Current | undefined;

  constructor(
    messages: ReadableStreamDefaultController<StreamedMessage>,
    connection: WebSocketConnection,
  ) {
    this.#messages = messages;
    this.#connection = connection;
  }

  /** A chunk from the connection: start, feed or end the current message. */
  onChunk(chunk: MessageChunk): void {
    let current = this.#current;
    if (chunk.first) {
      let controller!: ReadableStreamDefaultController<Uint8Array>;
      const started: _Current = { controller: undefined!, discard: false };
      const readable = new ReadableStream<Uint8Array>({
        start(c) {
          controller = c;
        },
        pull: () => this.resumeIfRoom(),
        cancel: () => {
          started.discard = true;
          this.resumeIfRoom();
        },
      }, new ByteLengthQueuingStrategy({ highWaterMark: _MESSAGE_HIGH_WATER_MARK }));
      started.controller = controller;
      this.#current = current = started;
      this.#messages.enqueue({ type: chunk.messageType, readable });
    }
    if (current === undefined) return;
    if (!current.discard) {
      if (chunk.data.length > 0) current.controller.enqueue(chunk.data);
      if (chunk.last) current.controller.close();
    }
    if (chunk.last) this.#current = undefined;
    // A message that filled up and then ended in the same read must not leave reading paused.
    if (this.#full()) this.#connection.pause();
    else this.#connection.resume();
  }

  /** The connection ended: a message cut short errors its stream. */
  end(error: WebSocketError | undefined): void {
    const current = this.#current;
    this.#current = undefined;
    if (current === undefined || current.discard) return;
    current.controller.error(
      error ?? new WebSocketError(
        CloseCode.AbnormalClosure,
        "The connection closed before the message ended",
      ),
    );
  }

  /** Read on from the network when neither the message list nor the current message is full. */
  resumeIfRoom(): void {
    if (!this.#full()) this.#connection.resume();
  }

  #full(): boolean {
    if ((this.#messages.desiredSize ?? 1) <= 0) return true;
    const current = this.#current;
    return current !== undefined && !current.discard &&
      (current.controller.desiredSize ?? 1) <= 0;
  }
}

/** Whether a chunk written to the writable is a message to send from a stream. */
export function _isStreamedMessage(
  chunk: unknown,
): chunk is ReadableStream<Uint8Array> | StreamedMessageInit {
  return chunk instanceof ReadableStream ||
    (typeof chunk === "object" && chunk !== null && !ArrayBuffer.isView(chunk) &&
      (chunk as { readable?: unknown }).readable instanceof ReadableStream);
}

/**
 * Send one message from a stream: each chunk as it is read, the next read
 * only once the connection took the previous one.
 */
export async function _sendStreamedMessage(
  connection: WebSocketConnection,
  message: ReadableStream<Uint8Array> | StreamedMessageInit,
): Promise<void> {
  const source = message instanceof ReadableStream ? message : message.readable;
  const type = message instanceof ReadableStream ? "binary" : message.type ?? "binary";
  if (type !== "text" && type !== "binary") {
    throw new TypeError(`Cannot send a streamed message of type ${JSON.stringify(type)}`);
  }
  // Whole messages still being compressed go first.
  await connection.ready;
  const reader = source.getReader();
  const validator = type === "text" ? new Utf8Validator() : undefined;
  let started = false;
  let offset = 0;
  try {
    // Bounded by the source: one round per chunk it yields.
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const bytes = _bytesOf(value, type);
      if (validator !== undefined) {
        const bad = validator.write(bytes);
        if (bad !== -1) {
          throw new TypeError(`Cannot send text: the stream is not UTF-8 at byte ${offset + bad}`);
        }
      }
      offset += bytes.length;
      if (bytes.length === 0) continue;
      connection.sendChunk(type, bytes, false);
      started = true;
      await connection.ready;
    }
    if (validator !== undefined && !validator.complete) {
      throw new TypeError("Cannot send text: the stream ends in the middle of a UTF-8 sequence");
    }
    connection.sendChunk(type, _EMPTY, true);
  } catch (error) {
    reader.cancel(error).catch(() => {});
    // A message cannot be taken back once started: the peer would wait for its end forever.
    if (started && connection.state === "open") {
      connection.close(CloseCode.InternalError, "The source of a streamed message failed");
    }
    throw error;
  } finally {
    reader.releaseLock();
  }
}

function _bytesOf(value: unknown, type: "text" | "binary"): Uint8Array {
  if (typeof value === "string") {
    if (type === "text") return _encoder.encode(value);
  } else if (value instanceof Uint8Array) {
    return value;
  } else if (ArrayBuffer.isView(value)) {
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  } else if (value instanceof ArrayBuffer) {
    return new Uint8Array(value);
  }
  throw new TypeError(
    `Cannot send a streamed ${type} message: chunks must be ${
      type === "text" ? "strings or " : ""
    }Uint8Array, got ${
      typeof value === "string" ? "a string" : Object.prototype.toString.call(value)
    }`,
  );
}
