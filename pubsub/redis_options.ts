/**
 * Where Redis is and how to talk to it: the options of `RedisClient`,
 * `RedisSubscriber` and `RedisEngine`, with their defaults.
 *
 * @module
 */

/** The defaults of {@linkcode RedisClientOptions}. */
export const REDIS_DEFAULTS: {
  readonly hostname: string;
  readonly port: number;
  readonly reconnectDelay: number;
  readonly maxReconnectDelay: number;
  readonly maxPending: number;
} = Object.freeze({
  hostname: "127.0.0.1",
  port: 6379,
  reconnectDelay: 50,
  maxReconnectDelay: 2000,
  maxPending: 10_000,
});

/** Where Redis is, and how to talk to it. */
export interface RedisConnectionOptions {
  /** Redis's host. @default {"127.0.0.1"} */
  hostname?: string | undefined;
  /** Redis's port. @default {6379} */
  port?: number | undefined;
  /** First delay before reconnecting, in ms; doubled after each failed attempt. @default {50} */
  reconnectDelay?: number | undefined;
  /** Longest delay between attempts to reconnect, in ms. @default {2000} */
  maxReconnectDelay?: number | undefined;
  /** Told when the connection comes up (`true`) and when it breaks (`false`). */
  onConnectionChange?: ((connected: boolean) => void) | undefined;
}

/** Options for {@linkcode RedisClient}. */
export interface RedisClientOptions extends RedisConnectionOptions {
  /**
   * Commands waiting for the connection or for their reply, at most: past
   * it `command` throws rather than queueing (Redis down for long, or
   * commands issued faster than it answers).
   * @default {10000}
   */
  maxPending?: number | undefined;
}
