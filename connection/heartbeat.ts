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
 * Heartbeat settings: ping the peer every `interval` milliseconds whatever
 * the traffic, and drop the connection (1006, as when the network fails)
 * once `maxMissedPongs` pings in a row went unanswered for a whole interval
 * each; only pongs to these pings count. Each answered ping updates the
 * socket's `lastRoundTripTime`. One timer serves every connection with the
 * same interval.
 *
 * While the application leaves received messages unread (backpressure
 * stops reading from the network), pongs cannot be seen, so those
 * intervals are not counted as missed.
 */
export interface HeartbeatOptions {
  /** Milliseconds between pings. */
  interval: number;
  /** Unanswered pings in a row before the connection is dropped. @default {2} */
  maxMissedPongs?: number | undefined;
}
