import { CloseCode } from "../errors/close_code.ts";

/**
 * What fan-out (`Broadcaster`, `PubSub`) needs of a socket. This module's
 * `WebSocket`, Deno's native `WebSocket`, a browser's, and `ws`'s all fit.
 */
export interface BroadcastMember {
  /** Bytes queued for sending and not yet handed to the network. */
  readonly bufferedAmount: number;
  /** 1 while open (`WebSocket.OPEN`); anything else leaves the broadcaster. */
  readonly readyState: number;
  /** Send a message. */
  send(data: string | Uint8Array): void;
  /** Close the socket with a code and reason. */
  close(code?: number, reason?: string): void;
  /** When present (any `EventTarget` socket), a `close` event unsubscribes it. */
  addEventListener?(type: "close", listener: () => void): void;
}

/**
 * What to do when a member has more than `highWaterMark` bytes buffered:
 *
 * - `"wait"`: `publish` resolves only once every member of the topic took
 *   the message, so the publisher slows down to the slowest member (the
 *   publisher's own queue is bounded by `maxPending`).
 * - `"drop-oldest"`: messages wait in a per-member queue of at most
 *   `maxQueue`; when it is full the oldest is dropped and counted.
 * - `"close"`: the member is closed with `closeCode` (1013 "Try Again
 *   Later" by default, or 1008 "Policy Violation") and removed.
 */
export type SlowMemberPolicy = "wait" | "drop-oldest" | "close";

/** The defaults of {@linkcode SlowMemberOptions}. */
export const SLOW_MEMBER_DEFAULTS: {
  readonly policy: SlowMemberPolicy;
  readonly highWaterMark: number;
  readonly maxQueue: number;
  readonly maxPending: number;
  readonly closeCode: number;
  readonly pollInterval: number;
} = Object.freeze({
  policy: "drop-oldest",
  highWaterMark: 1024 * 1024,
  maxQueue: 256,
  maxPending: 1024,
  closeCode: CloseCode.TryAgainLater,
  pollInterval: 10,
});

/**
 * The slow-member policy and its limits: the options `Broadcaster` and
 * `PubSub` share.
 */
export interface SlowMemberOptions {
  /** What to do with a slow member. @default {"drop-oldest"} */
  policy?: SlowMemberPolicy | undefined;
  /** Buffered bytes above which a member counts as slow. @default {1048576} */
  highWaterMark?: number | undefined;
  /** `"drop-oldest"`: messages kept per slow member. @default {256} */
  maxQueue?: number | undefined;
  /** `"wait"`: publishes queued behind a slow member before `publish` rejects. @default {1024} */
  maxPending?: number | undefined;
  /** `"close"`: the close code for a slow member (1008 or 1013). @default {1013} */
  closeCode?: number | undefined;
  /** How often slow members are checked for room, in ms. @default {10} */
  pollInterval?: number | undefined;
}

/**
 * Counters of a `Broadcaster` or `PubSub`, for logs and tests.
 */
export interface BroadcastStats {
  /** Messages handed to a member's `send`. */
  sent: number;
  /** Messages dropped for slow members (`"drop-oldest"`). */
  dropped: number;
  /** Members closed for being slow (`"close"`). */
  closed: number;
  /** Messages currently queued for slow members, over all members. */
  queued: number;
}
