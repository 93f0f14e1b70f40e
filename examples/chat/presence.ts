/**
 * Join and leave notices for a room, coalesced so that they cost the room
 * O(members) lines per interval however fast members come and go (one
 * notice per join, sent to every member, would cost O(members²)).
 *
 * @module
 */

/** One coalesced notice: who came and went since the last one. */
export interface PresenceUpdate {
  /** Names that joined, at most `maxNames`. */
  joined: string[];
  /** Names that left, at most `maxNames`. */
  left: string[];
  /** Joins and leaves not named in the lists. */
  others: number;
}

/** Options for {@linkcode Presence}. */
export interface PresenceOptions {
  /** Called with each coalesced notice, at most once per `interval`. */
  send: (update: PresenceUpdate) => void;
  /** Least time between two notices, in milliseconds. @default {1000} */
  interval?: number | undefined;
  /** Names listed per notice in each of `joined` and `left`; the rest are counted. @default {10} */
  maxNames?: number | undefined;
}

/**
 * Collects joins and leaves and hands them to `send` at most once per
 * `interval`: the first change after a quiet interval goes out at once (in
 * the next task, so changes of one task are merged), later ones wait for the
 * interval to pass. What waits is bounded: `maxNames` names per list and a
 * counter.
 *
 * @example
 * ```ts
 * import { Presence, type PresenceUpdate } from "./presence.ts";
 * import assert from "node:assert/strict";
 *
 * const updates: PresenceUpdate[] = [];
 * const presence = new Presence({ send: (update) => updates.push(update), maxNames: 2 });
 * for (const name of ["ann", "bob", "cy"]) presence.join(name);
 * presence.leave("ann");
 * await new Promise((resolve) => setTimeout(resolve, 10));
 * assert.deepEqual(updates, [{ joined: ["ann", "bob"], left: ["ann"], others: 1 }]);
 * presence.close(); // nothing more is sent
 * ```
 */
export class Presence {
  #send: (update: PresenceUpdate) => void;
  #interval: number;
  #maxNames: number;
  #joined: string[] = [];
  #left: string[] = [];
  #others = 0;
  #lastSent = -Infinity;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /** @param options Where notices go, how often, how many names. */
  constructor(options: PresenceOptions) {
    this.#send = options.send;
    this.#interval = options.interval ?? 1000;
    this.#maxNames = options.maxNames ?? 10;
  }

  /** Note that `name` joined. */
  join(name: string): void {
    this.#note(this.#joined, name);
  }

  /** Note that `name` left. */
  leave(name: string): void {
    this.#note(this.#left, name);
  }

  /** Drop what is pending and send nothing more. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  #note(list: string[], name: string): void {
    if (this.#closed) return;
    if (list.length < this.#maxNames) list.push(name);
    else this.#others++;
    if (this.#timer !== undefined) return;
    const wait = Math.max(0, Math.ceil(this.#lastSent + this.#interval - performance.now()));
    this.#timer = setTimeout(() => this.#flush(), wait);
  }

  #flush(): void {
    this.#timer = undefined;
    this.#lastSent = performance.now();
    const update = { joined: this.#joined, left: this.#left, others: this.#others };
    this.#joined = [];
    this.#left = [];
    this.#others = 0;
    this.#send(update);
  }
}
