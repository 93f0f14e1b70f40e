/**
 * The heartbeat option of a connection.
 *
 * @module
 */

/**
 * Heartbeat settings: ping the peer every `interval` milliseconds whatever
 * else is going on, and drop the connection (close code 1006, as when the
 * network fails) once `maxMissedPongs` pings in a row went unanswered for
 * a whole interval each. Each answered ping updates the socket's
 * `lastRoundTripTime`.
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
