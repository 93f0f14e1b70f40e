import { encodeCommand, type RespValue } from "./resp.ts";
import type { RedisConnectionOptions } from "./redis_options.ts";
import { _RedisSocket, _socketOptions } from "./_redis_socket.ts";

/** What a {@linkcode RedisSubscriber} reports. */
export interface RedisSubscriberEvents {
  /** A message published to a subscribed channel. */
  onMessage(channel: string, payload: Uint8Array): void;
  /**
   * Redis confirmed a subscription: the first time, or again after a
   * reconnection, when messages published while the connection was down
   * are lost to pub/sub and must be fetched otherwise.
   */
  onSubscribed?(channel: string): void;
}

const _decoder = new TextDecoder();

/**
 * Subscribes to Redis channels (RESP2 pub/sub, so on a connection of its
 * own). The channels are remembered: after a reconnection, retried with
 * exponential backoff, they are subscribed again and `onSubscribed` says so.
 * Its cases run against a real redis-server in `pubsub/redis_client_test.ts`.
 */
export class RedisSubscriber {
  #socket: _RedisSocket;
  #events: RedisSubscriberEvents;
  #channels = new Set<string>();
  /** Subscriptions waiting for Redis's confirmation, by channel. */
  #waiting = new Map<string, (() => void)[]>();
  /** Channels confirmed on the current connection. */
  #confirmed = new Set<string>();
  /** SUBSCRIBEs written and not yet confirmed, by channel: only the last confirmation counts. */
  #unconfirmed = new Map<string, number>();

  /**
   * Connect (in the background) to Redis.
   *
   * @param options Where Redis is, and how to reconnect.
   * @param events Receives messages and confirmations.
   */
  constructor(options: RedisConnectionOptions, events: RedisSubscriberEvents) {
    this.#events = events;
    this.#socket = new _RedisSocket(_socketOptions(options), {
      onOpen: () => {
        if (this.#channels.size > 0) this.#write("SUBSCRIBE", [...this.#channels]);
        options.onConnectionChange?.(true);
      },
      onValue: (value) => this.#value(value),
      onLost: (_error, wasOpen) => {
        this.#confirmed.clear();
        this.#unconfirmed.clear();
        if (wasOpen) options.onConnectionChange?.(false);
      },
    });
  }

  /** Whether the connection is up. */
  get connected(): boolean {
    return this.#socket.open;
  }

  /**
   * Subscribe to `channel`.
   *
   * @param channel The channel.
   * @returns Resolves once Redis confirmed it (after a reconnection if it is down).
   */
  subscribe(channel: string): Promise<void> {
    if (this.#confirmed.has(channel)) return Promise.resolve();
    const subscribed = new Promise<void>((resolve) => {
      const waiting = this.#waiting.get(channel);
      if (waiting !== undefined) waiting.push(resolve);
      else this.#waiting.set(channel, [resolve]);
    });
    if (!this.#channels.has(channel)) {
      this.#channels.add(channel);
      this.#write("SUBSCRIBE", [channel]);
    }
    return subscribed;
  }

  /**
   * Unsubscribe from `channel`.
   *
   * @param channel The channel.
   */
  unsubscribe(channel: string): void {
    if (!this.#channels.delete(channel)) return;
    this.#confirmed.delete(channel);
    this.#release(channel);
    this.#write("UNSUBSCRIBE", [channel]);
  }

  /** Close the connection. */
  close(): Promise<void> {
    for (const channel of this.#channels) this.#release(channel);
    this.#channels.clear();
    return this.#socket.close();
  }

  /** Let `subscribe` calls waiting for `channel` return: it is no longer wanted. */
  #release(channel: string): void {
    for (const resolve of this.#waiting.get(channel) ?? []) resolve();
    this.#waiting.delete(channel);
  }

  #write(command: "SUBSCRIBE" | "UNSUBSCRIBE", channels: string[]): void {
    if (!this.#socket.write(encodeCommand([command, ...channels]))) return;
    if (command === "UNSUBSCRIBE") return;
    for (const channel of channels) {
      this.#unconfirmed.set(channel, (this.#unconfirmed.get(channel) ?? 0) + 1);
    }
  }

  #value(value: RespValue): void {
    if (!Array.isArray(value) || !(value[0] instanceof Uint8Array)) return;
    const kind = _decoder.decode(value[0]);
    const channel = value[1] instanceof Uint8Array ? _decoder.decode(value[1]) : undefined;
    if (channel === undefined) return;
    if (kind === "message" && value[2] instanceof Uint8Array) {
      if (this.#channels.has(channel)) this.#events.onMessage(channel, value[2]);
    } else if (kind === "subscribe") {
      const unconfirmed = (this.#unconfirmed.get(channel) ?? 1) - 1;
      if (unconfirmed > 0) this.#unconfirmed.set(channel, unconfirmed);
      else this.#unconfirmed.delete(channel);
      // Not the last SUBSCRIBE written (an UNSUBSCRIBE came between), or unsubscribed since.
      if (unconfirmed > 0 || !this.#channels.has(channel)) return;
      this.#confirmed.add(channel);
      const waiting = this.#waiting.get(channel);
      this.#waiting.delete(channel);
      this.#events.onSubscribed?.(channel);
      for (const resolve of waiting ?? []) resolve();
    }
  }
}
