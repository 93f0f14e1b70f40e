/**
 * Puts the messages of a topic back in offset order when they come by
 * several paths (a node's own publishes from the command connection, the
 * others' from the subscription, missed ones from history), delivers each
 * once, and fills gaps from history: after a reconnection, or when a
 * message is missing for longer than `gapTimeout`. Not exported from `mod.ts`.
 *
 * @module
 */

import type { HistoryResult, StreamPosition, TopicMessage } from "./engine.ts";

/** Bounds and timing of a {@linkcode _Sequencer}. */
export interface _SequencerOptions {
  /** How long a missing offset may be waited for before history is asked, in ms. */
  gapTimeout: number;
  /** Messages held per topic while one before them is missing; past it the gap is given up. */
  maxHeld: number;
}

interface _Topic {
  /** Until the start position is known, everything is held. */
  started: boolean;
  epoch: string;
  /** The offset to deliver next. */
  next: number;
  held: Map<number, TopicMessage>;
  timer: ReturnType<typeof setTimeout> | undefined;
  filling: boolean;
  /** Another fill was asked for while one ran. */
  again: boolean;
}

/** Orders, deduplicates and gap-fills the messages of the topics it follows. */
export class _Sequencer {
  #options: _SequencerOptions;
  #deliver: (message: TopicMessage) => void;
  #history: (topic: string, since: StreamPosition) => Promise<HistoryResult>;
  #topics = new Map<string, _Topic>();
  /** Messages known to be missed for good (trimmed from history before they could be fetched). */
  lost = 0;

  constructor(
    options: _SequencerOptions,
    deliver: (message: TopicMessage) => void,
    history: (topic: string, since: StreamPosition) => Promise<HistoryResult>,
  ) {
    this.#options = options;
    this.#deliver = deliver;
    this.#history = history;
  }

  /** Whether `topic` is followed. */
  has(topic: string): boolean {
    return this.#topics.has(topic);
  }

  /** Follow `topic`: messages are held until {@linkcode _Sequencer.start}. */
  follow(topic: string): void {
    if (this.#topics.has(topic)) return;
    this.#topics.set(topic, {
      started: false,
      epoch: "",
      next: 1,
      held: new Map(),
      timer: undefined,
      filling: false,
      again: false,
    });
  }

  /**
   * The position from which `topic` is delivered: what follows `position`,
   * plus what was held meanwhile (it arrived after the subscription).
   */
  start(topic: string, position: StreamPosition): void {
    const state = this.#topics.get(topic);
    if (state === undefined || state.started) return;
    state.started = true;
    state.epoch = position.epoch;
    state.next = position.offset + 1;
    for (const offset of [...state.held.keys()].sort((a, b) => a - b)) {
      const message = state.held.get(offset)!;
      if (message.epoch === state.epoch && offset < state.next) state.next = offset;
      break;
    }
    this.#drain(topic, state);
  }

  /** Stop following `topic`. */
  unfollow(topic: string): void {
    const state = this.#topics.get(topic);
    if (state === undefined) return;
    clearTimeout(state.timer);
    this.#topics.delete(topic);
  }

  /** Stop following everything. */
  close(): void {
    for (const topic of [...this.#topics.keys()]) this.unfollow(topic);
  }

  /** A message, from whichever path. */
  accept(message: TopicMessage): void {
    const state = this.#topics.get(message.topic);
    if (state === undefined) return;
    if (state.started && message.epoch === state.epoch && message.offset < state.next) return;
    // A topic without history takes the first epoch it sees.
    if (state.started && state.epoch === "" && state.next === 1) state.epoch = message.epoch;
    state.held.set(message.offset, message);
    if (!state.started) return;
    if (message.epoch !== state.epoch) {
      // The history this node followed is gone: ask where the topic stands.
      this.fill(message.topic);
      return;
    }
    this.#drain(message.topic, state);
  }

  /** Fetch what is missing from history (after a reconnection, or a gap). */
  fill(topic: string): void {
    const state = this.#topics.get(topic);
    if (state === undefined || !state.started) return;
    if (state.filling) {
      state.again = true;
      return;
    }
    state.filling = true;
    clearTimeout(state.timer);
    state.timer = undefined;
    void this.#fill(topic, state).finally(() => {
      state.filling = false;
      if (this.#topics.get(topic) !== state) return;
      if (state.again) {
        state.again = false;
        this.fill(topic);
      } else this.#drain(topic, state);
    });
  }

  async #fill(topic: string, state: _Topic): Promise<void> {
    // Twice at most: once more after learning of a new epoch.
    for (let round = 0; round < 2; round++) {
      let result: HistoryResult;
      try {
        result = await this.#history(topic, { offset: state.next - 1, epoch: state.epoch });
      } catch {
        // Redis is down: the reconnection will ask again.
        return;
      }
      if (this.#topics.get(topic) !== state) return;
      if (result.ok) {
        for (const message of result.messages) this.accept(message);
        return;
      }
      if (result.reason === "epoch-changed") {
        // Everything in the new epoch is new here: read it from its start.
        state.epoch = result.position.epoch;
        state.next = 1;
        for (const [offset, message] of state.held) {
          if (message.epoch !== state.epoch) state.held.delete(offset);
        }
        continue;
      }
      // Trimmed before it could be read: skip to what can still be delivered.
      this.#skipTo(state, result.position.offset + 1);
      return;
    }
  }

  /** Deliver held messages in order; wait (bounded) when one is missing. */
  #drain(topic: string, state: _Topic): void {
    const held = state.held;
    while (held.size > 0) {
      const message = held.get(state.next);
      if (message !== undefined && message.epoch === state.epoch) {
        held.delete(state.next);
        state.next++;
        this.#deliver(message);
        if (this.#topics.get(topic) !== state) return;
        continue;
      }
      // Anything older than `next` (or of another epoch while filling) waits for no one.
      let waiting = false;
      for (const [offset, other] of held) {
        if (other.epoch === state.epoch && offset < state.next) held.delete(offset);
        else waiting = true;
      }
      if (!waiting) break;
      if (held.size > this.#options.maxHeld) {
        let first = Infinity;
        for (const [offset, other] of held) {
          if (other.epoch === state.epoch) first = Math.min(first, offset);
        }
        if (first !== Infinity) {
          this.#skipTo(state, first);
          continue;
        }
      }
      if (!state.filling && state.timer === undefined) {
        state.timer = setTimeout(() => {
          state.timer = undefined;
          this.fill(topic);
        }, this.#options.gapTimeout);
      }
      return;
    }
    clearTimeout(state.timer);
    state.timer = undefined;
  }

  /** Give up on the offsets before `offset` that have not come. */
  #skipTo(state: _Topic, offset: number): void {
    let next = offset;
    for (const [held, message] of state.held) {
      if (message.epoch === state.epoch && held < next && held >= state.next) next = held;
    }
    if (next > state.next) this.lost += next - state.next;
    state.next = Math.max(state.next, next);
  }
}
