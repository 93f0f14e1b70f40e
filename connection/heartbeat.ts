/**
 * The heartbeat option of a connection, and its defaults.
 *
 * @module
 */

/**
 * The defaults of {@linkcode HeartbeatOptions}; `interval` is that of the
 * heartbeat servers run unless told otherwise (clients run none).
 */
export const HEARTBEAT_DEFAULTS: {
  readonly interval: number;
  readonly maxMissedPongs: number;
} = Object.freeze({ interval: 15_000, maxMissedPongs: 2 });

/**
 * Heartbeat settings: ping every `interval` ms whatever the traffic, and
 * drop the connection (1006) after `maxMissedPongs` unanswered pings in a
 * row; answered ones set `lastRoundTripTime`. Intervals during which
 * reading is paused for backpressure do not count as missed. Tested in
 * `connection/_heartbeat_test.ts`.
 */
export interface HeartbeatOptions {
  /** Milliseconds between pings. */
  interval: number;
  /** Unanswered pings in a row before the connection is dropped. @default {2} */
  maxMissedPongs?: number | undefined;
}
