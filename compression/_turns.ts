/**
 * Turns for messages that take long to inflate: one such message inflates
 * at a time in the process, a slice at a time, and lets timers and I/O run
 * between slices. Inflating is single-threaded work on the event loop, so
 * running several at once would not finish sooner; it would only hold all
 * their outputs (up to the message size limit each) in memory together.
 * Not exported from `mod.ts`.
 *
 * @module
 */

/** Output bytes inflated at most in one slice: about 0.3–1 ms of zlib work. */
export const _SLICE = 256 * 1024;

/**
 * Output bytes inflated at most as a message is read, before it is handed
 * to the turns: a message that inflates to no more is synchronous (no
 * promise). Smaller than a slice, since every connection may do this much
 * in one turn of the event loop (20 storming peers: ~5 ms, not ~20 ms).
 */
export const _INLINE = 64 * 1024;

/** Inflations waiting for their turn, first come first served. */
const _waiting: (() => void)[] = [];
let _busy = false;

/**
 * Wait until no other long inflation runs (first come first served); resolves
 * with the function that ends this one's turn. The queue holds at most one
 * entry per connection: a connection reads no more while its message is
 * inflating.
 */
export async function _acquireTurn(): Promise<() => void> {
  if (_busy) await new Promise<void>((resolve) => _waiting.push(resolve));
  _busy = true;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const next = _waiting.shift();
    if (next === undefined) _busy = false;
    else next();
  };
}

/** Run `work` in a turn of its own (see {@linkcode _acquireTurn}). */
export async function _inTurn<T>(work: () => Promise<T>): Promise<T> {
  const release = await _acquireTurn();
  try {
    return await work();
  } finally {
    release();
  }
}

/**
 * Let the event loop run timers and I/O before going on. A timer, since
 * promise jobs and `setImmediate` (in Deno) run before the loop polls for
 * I/O again: other connections would still wait.
 */
export function _yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
