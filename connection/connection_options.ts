/**
 * The options of a connection (limits, timers, keep-alive, compression) and
 * of a client's opening handshake, with their defaults. Each default is
 * defined here once and named in its option's `@default`;
 * `tests/defaults_test.ts` checks that the two agree and that the code
 * applies them.
 *
 * @module
 */

import type { PerMessageDeflateConfig } from "../compression/per_message_deflate.ts";
import type { PerMessageDeflate } from "../compression/per_message_deflate.ts";
import { DEFAULT_MAX_PAYLOAD } from "../frames/frame_decoder.ts";
import type { MessageLimits, WebSocketProtocolOptions } from "../protocol/websocket_protocol.ts";
import type { HeartbeatOptions } from "./heartbeat.ts";
import type { Connector } from "./upgraded.ts";

/** The defaults of {@linkcode ConnectionOptions}. */
export const CONNECTION_DEFAULTS: {
  readonly maxMessageSize: number;
  readonly closeTimeout: number;
  readonly writeHighWaterMark: number;
  readonly maxQueuedPongs: number;
} = Object.freeze({
  maxMessageSize: DEFAULT_MAX_PAYLOAD,
  closeTimeout: 5000,
  writeHighWaterMark: 256 * 1024,
  maxQueuedPongs: 60,
});

/**
 * Limits and timers of a connection, for either role.
 */
export interface ConnectionOptions extends MessageLimits {
  /**
   * How long to wait for the peer's part of the closing handshake (its close
   * frame, or a server closing TCP) before dropping the connection (1006).
   * @default {5000}
   */
  closeTimeout?: number | undefined;
  /**
   * Keep-alive pings (see `HeartbeatOptions`); `false` turns it off. On for
   * servers, so that a peer that vanished without closing TCP is dropped
   * within about 45 s.
   * @default {{ interval: 15000, maxMissedPongs: 2 } for servers, false for clients}
   */
  heartbeat?: HeartbeatOptions | false | undefined;
  /**
   * Bytes waiting to be written to the peer above which `ready` waits, and
   * a server stops reading from the peer until they drain below: a peer
   * that does not read what it is sent is slowed down through TCP instead
   * of growing the server's memory. Clients read on (two ends that both
   * wait for the other to read would deadlock).
   * @default {262144}
   */
  writeHighWaterMark?: number | undefined;
  /**
   * Pongs queued for the peer when writes reach `writeHighWaterMark` above
   * which the connection fails with 1008 rather than pausing: a peer that
   * floods pings and does not read the pongs.
   * @default {60}
   */
  maxQueuedPongs?: number | undefined;
  /**
   * Ends the connection whenever it aborts: before the handshake completes
   * it aborts the handshake; once open, it closes with 1000 and the reason
   * "Aborted" (dropped with 1006 after `closeTimeout`).
   */
  signal?: AbortSignal | undefined;
  /**
   * permessage-deflate (RFC 7692): `true` or settings to use it, `false`
   * not to. Clients offer it, as browsers do; servers accept it only when
   * asked, since a connection with context takeover keeps about 300 KiB of
   * zlib state and compressing secrets next to attacker-chosen data can
   * leak them (RFC 7692 §8). Decompressed messages count against
   * `maxMessageSize`.
   * @default {true for clients, false for servers}
   */
  perMessageDeflate?: boolean | PerMessageDeflateConfig | undefined;
}

/**
 * The engine's full options: what the handshake decided plus the limits;
 * with `streamMessages`, pieces of messages go to `ConnectionHandler.onChunk`.
 */
export interface WebSocketConnectionOptions
  extends ConnectionOptions, Pick<WebSocketProtocolOptions, "keys" | "streamMessages"> {
  /** This endpoint's role. */
  role: "client" | "server";
  /** Bytes that arrived behind the handshake head: the first frames. */
  leftover?: Uint8Array | undefined;
  /**
   * The permessage-deflate codec the handshake agreed on
   * (`PerMessageDeflate.fromHandshake`), or none. The connection closes it
   * when it ends.
   */
  compression?: PerMessageDeflate | undefined;
}

/** The defaults of {@linkcode ClientOptions}. */
export const CLIENT_DEFAULTS: { readonly maxRedirects: number } = Object.freeze({
  maxRedirects: 10,
});

/**
 * How a client opens its connection: the options `WebSocket`,
 * `WebSocketStream` and `connect` share beyond {@linkcode ConnectionOptions}.
 */
export interface ClientOptions {
  /** Extra handshake request headers (e.g. `Authorization`, `Cookie`). */
  headers?: HeadersInit | undefined;
  /** Extra CA certificates (PEM) to trust for `wss:`. */
  caCerts?: string[] | undefined;
  /** How to open the transport; defaults to the runtime adapter's. */
  connector?: Connector | undefined;
  /**
   * Follow redirects (301, 302, 303, 307, 308) of the opening handshake to
   * their `Location`, each over a new connection; never from `wss:` to
   * `ws:`. `Authorization` and `Cookie` are not sent to another origin.
   * Off, a redirect rejects with a `HandshakeStatusError` (browsers never
   * follow them).
   * @default {false}
   */
  followRedirects?: boolean | undefined;
  /** Most redirects to follow before failing. @default {10} */
  maxRedirects?: number | undefined;
}

/** The defaults of `WebSocketStreamOptions` (and `UpgradeWebSocketStreamOptions`). */
export const WEBSOCKET_STREAM_DEFAULTS: { readonly highWaterMark: number } = Object.freeze({
  highWaterMark: 16,
});
