/**
 * Where the pongs a connection queued end in its output, so that a server
 * can tell a peer that floods pings and does not read (see
 * `ConnectionOptions.maxQueuedPongs`) from one that is merely slow.
 *
 * @module
 */

import type { Message } from "../messages/message.ts";

/** Most places in the output remembered for queued pongs (older ones are merged). */
const _PONG_MARKS = 32;

/**
 * Pongs not yet accepted by the transport, as marks on the output: pairs of
 * (bytes written once they were queued, how many), oldest first, at most
 * 32 pairs, and their total. Offsets are the caller's count of bytes handed
 * to the transport; `accepted` is that count minus what still waits in it.
 */
export class _PongLedger {
  #marks: number[] = [];
  #waiting = 0;

  /** `count` pongs were just queued, ending at output offset `written`. */
  add(count: number, written: number, accepted: number): void {
    const marks = this.#marks;
    this.taken(accepted);
    if (marks.length < 2 * _PONG_MARKS) marks.push(written, count);
    else {
      // Full: the newest mark takes these too (they count as waiting until it is taken).
      marks[marks.length - 2] = written;
      marks[marks.length - 1]! += count;
    }
    this.#waiting += count;
  }

  /** Drop the marks the transport has taken (up to `accepted`); returns how many still wait. */
  taken(accepted: number): number {
    const marks = this.#marks;
    let done = 0;
    while (done < marks.length && marks[done]! <= accepted) {
      this.#waiting -= marks[done + 1]!;
      done += 2;
    }
    if (done > 0) marks.splice(0, done);
    return this.#waiting;
  }
}

/** The pings among `events` from `start` on. */
export function _countPings(events: Message[], start: number): number {
  let pings = 0;
  for (let i = start; i < events.length; i++) if (events[i]!.type === "ping") pings++;
  return pings;
}
