/**
 * Numbered, bounded history of topics kept in this process: what the memory
 * and BroadcastChannel engines number their messages with. Not exported
 * from `mod.ts`.
 *
 * @module
 */

import type { HistoryResult, StreamPosition, TopicMessage } from "./engine.ts";
import { MEMORY_ENGINE_DEFAULTS, type MemoryEngineOptions } from "./history_options.ts";

interface _Topic {
  epoch: string;
  offset: number;
  /** Message with offset `o` at `o % historySize`; offsets above `offset - kept` are there. */
  ring: (TopicMessage | undefined)[];
  kept: number;
  bytes: number;
}

/** A fresh epoch: 48 random bits, base 36. */
export function _newEpoch(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  let value = 0;
  for (const byte of bytes) value = value * 256 + byte;
  return value.toString(36);
}

function _size(data: string | Uint8Array): number {
  return typeof data === "string" ? data.length : data.byteLength;
}

/** Numbers messages per topic and keeps the last ones. */
export class _TopicLog {
  #historySize: number;
  #historyBytes: number;
  #maxTopics: number;
  /** In order of last publish (oldest first). */
  #topics = new Map<string, _Topic>();
  #bytes = 0;

  constructor(options: MemoryEngineOptions) {
    this.#historySize = options.historySize ?? MEMORY_ENGINE_DEFAULTS.historySize;
    this.#historyBytes = options.historyBytes ?? MEMORY_ENGINE_DEFAULTS.historyBytes;
    this.#maxTopics = options.maxTopics ?? MEMORY_ENGINE_DEFAULTS.maxTopics;
  }

  /** Bytes of messages kept, over all topics. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Number `data` as the next message of `topic`, and keep it. */
  append(topic: string, data: string | Uint8Array): TopicMessage {
    let state = this.#topics.get(topic);
    if (state === undefined) {
      state = { epoch: _newEpoch(), offset: 0, ring: [], kept: 0, bytes: 0 };
      if (this.#topics.size >= this.#maxTopics) this.#forget(this.#topics.keys().next().value!);
    } else this.#topics.delete(topic);
    this.#topics.set(topic, state);
    const message: TopicMessage = { topic, data, offset: ++state.offset, epoch: state.epoch };
    const size = this.#historySize;
    if (size > 0) {
      const slot = message.offset % size;
      const old = state.ring[slot];
      if (old !== undefined && state.kept === size) this.#drop(state, old);
      else state.kept++;
      state.ring[slot] = message;
      state.bytes += _size(data);
      this.#bytes += _size(data);
      this.#trim(topic);
    }
    return message;
  }

  /** Where `topic` stands. */
  position(topic: string): StreamPosition {
    const state = this.#topics.get(topic);
    return state === undefined ? { offset: 0, epoch: "" } : {
      offset: state.offset,
      epoch: state.epoch,
    };
  }

  /**
   * The messages of `topic` after `since`. An offset of 0 means "from the
   * start", whatever the epoch.
   */
  since(topic: string, since: StreamPosition): HistoryResult {
    const position = this.position(topic);
    if (since.offset !== 0 && since.epoch !== position.epoch) {
      return { ok: false, reason: "epoch-changed", position };
    }
    const state = this.#topics.get(topic);
    const missed = position.offset - since.offset;
    if (missed === 0) return { ok: true, messages: [], position };
    if (state === undefined || missed < 0 || missed > state.kept) {
      return { ok: false, reason: "too-old", position };
    }
    const messages: TopicMessage[] = [];
    for (let offset = since.offset + 1; offset <= position.offset; offset++) {
      messages.push(state.ring[offset % this.#historySize]!);
    }
    return { ok: true, messages, position };
  }

  /** Drop whole histories, least recently published first, until under the byte bound. */
  #trim(keep: string): void {
    for (const [topic, state] of this.#topics) {
      if (this.#bytes <= this.#historyBytes) return;
      if (topic === keep) continue;
      this.#clear(state);
    }
    const state = this.#topics.get(keep)!;
    // One topic alone is over the bound: drop its oldest messages.
    while (this.#bytes > this.#historyBytes && state.kept > 0) {
      const oldest = state.offset - state.kept + 1;
      const slot = oldest % this.#historySize;
      this.#drop(state, state.ring[slot]!);
      state.ring[slot] = undefined;
      state.kept--;
    }
  }

  #drop(state: _Topic, message: TopicMessage): void {
    state.bytes -= _size(message.data);
    this.#bytes -= _size(message.data);
  }

  #clear(state: _Topic): void {
    this.#bytes -= state.bytes;
    state.bytes = 0;
    state.ring = [];
    state.kept = 0;
  }

  #forget(topic: string): void {
    this.#clear(this.#topics.get(topic)!);
    this.#topics.delete(topic);
  }
}
