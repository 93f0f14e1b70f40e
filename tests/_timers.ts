/** Timers replaced by hand, for tests of what runs on an interval. */

/** Replace setInterval/clearInterval while `body` runs; it gets the live timers. */
export async function withStubbedIntervals(
  body: (timers: Map<number, { tick: () => void; ms: number }>) => Promise<void>,
): Promise<void> {
  const timers = new Map<number, { tick: () => void; ms: number }>();
  const realSet = globalThis.setInterval;
  const realClear = globalThis.clearInterval;
  let next = 1;
  globalThis.setInterval = ((tick: () => void, ms: number) => {
    timers.set(next, { tick, ms });
    return next++;
  }) as unknown as typeof setInterval;
  globalThis.clearInterval = ((id: number) => timers.delete(id)) as unknown as typeof clearInterval;
  try {
    await body(timers);
  } finally {
    globalThis.setInterval = realSet;
    globalThis.clearInterval = realClear;
  }
}
