import type { HistoryResult, PubSubEngine, StreamPosition, TopicMessage } from "./engine.ts";
import type { MemoryEngineOptions } from "./history_options.ts";
import { _newEpoch, _TopicLog } from "./_topic_log.ts";

/** The defaults of {@linkcode BroadcastChannelEngineOptions} beyond `MEMORY_ENGINE_DEFAULTS`. */
export const BROADCAST_CHANNEL_ENGINE_DEFAULTS: { readonly prefix: string } = Object.freeze({
  prefix: "edgews-pubsub",
});

/** Options for {@linkcode BroadcastChannelEngine}. */
export interface BroadcastChannelEngineOptions extends MemoryEngineOptions {
  /** Channel names are this, a colon, and the topic. @default {"edgews-pubsub"} */
  prefix?: string | undefined;
}

/** Channels kept open for publishing to topics without local members. */
const _PUBLISH_CHANNELS = 64;

/**
 * Fan-out between the workers of one process through one `BroadcastChannel`
 * per topic: a worker listens only to the topics it has members for.
 * Each worker numbers the messages it sees in its own epoch and keeps its
 * own bounded history, so a client can resume (`since`) on the worker it
 * was connected to; on another worker it is told to resync. Deno's CLI
 * delivers a `BroadcastChannel` within one process only (Deno Deploy
 * Classic, where it spanned instances, is gone): across processes or
 * machines, use `RedisEngine`.
 *
 * @example
 * ```ts
 * import { BroadcastChannelEngine, type TopicMessage } from "@edgews/websocket/pubsub";
 * import assert from "node:assert/strict";
 *
 * const a = new BroadcastChannelEngine({ prefix: "doc-example" });
 * const b = new BroadcastChannelEngine({ prefix: "doc-example" });
 * const got = Promise.withResolvers<TopicMessage>();
 * a.open(() => {});
 * b.open(got.resolve);
 * await b.subscribe("news");
 * await a.publish("news", "hello");
 * assert.equal((await got.promise).data, "hello");
 * await Promise.all([a.close(), b.close()]);
 * ```
 */
export class BroadcastChannelEngine implements PubSubEngine {
  readonly nodeId: string = _newEpoch();
  #prefix: string;
  #log: _TopicLog;
  #onMessage: ((message: TopicMessage) => void) | undefined;
  /** Listening channels, by topic. */
  #listening = new Map<string, BroadcastChannel>();
  /** Channels for publishing only, least recently used first. */
  #publishing = new Map<string, BroadcastChannel>();

  /**
   * Create the engine.
   *
   * @param options Channel prefix and history bounds.
   */
  constructor(options: BroadcastChannelEngineOptions = {}) {
    this.#prefix = options.prefix ?? BROADCAST_CHANNEL_ENGINE_DEFAULTS.prefix;
    this.#log = new _TopicLog(options);
  }

  /**
   * Start delivering.
   *
   * @param onMessage Receives the messages of subscribed topics.
   */
  open(onMessage: (message: TopicMessage) => void): void {
    this.#onMessage = onMessage;
  }

  /**
   * Number a message here, deliver it here, and post it to the other workers.
   *
   * @param topic The topic.
   * @param data The message.
   * @returns Its position in this worker's history.
   */
  publish(topic: string, data: string | Uint8Array): Promise<StreamPosition> {
    // Posted on the listening channel when there is one: a channel never
    // hears its own posts, so nothing comes back as an echo.
    this.#channelFor(topic).postMessage(data);
    return Promise.resolve(this.#append(topic, data));
  }

  /**
   * Listen to `topic`'s channel.
   *
   * @param topic The topic.
   * @returns Its position in this worker's history.
   */
  subscribe(topic: string): Promise<StreamPosition> {
    if (!this.#listening.has(topic)) {
      const channel = this.#publishing.get(topic) ?? new BroadcastChannel(this.#name(topic));
      this.#publishing.delete(topic);
      channel.onmessage = (event) => {
        const data: unknown = event.data;
        if (typeof data === "string" || data instanceof Uint8Array) this.#append(topic, data);
      };
      this.#listening.set(topic, channel);
    }
    return Promise.resolve(this.#log.position(topic));
  }

  /**
   * Stop listening to `topic`'s channel.
   *
   * @param topic The topic.
   */
  unsubscribe(topic: string): void {
    this.#listening.get(topic)?.close();
    this.#listening.delete(topic);
  }

  /**
   * The messages after `since`, from this worker's history.
   *
   * @param topic The topic.
   * @param since The last position the client has.
   * @returns The missed messages, or why they cannot be told.
   */
  history(topic: string, since: StreamPosition): Promise<HistoryResult> {
    return Promise.resolve(this.#log.since(topic, since));
  }

  /** Close every channel. */
  close(): Promise<void> {
    for (const channel of this.#listening.values()) channel.close();
    for (const channel of this.#publishing.values()) channel.close();
    this.#listening.clear();
    this.#publishing.clear();
    this.#onMessage = undefined;
    return Promise.resolve();
  }

  /** Number `data`, and deliver it when the topic is listened to. */
  #append(topic: string, data: string | Uint8Array): StreamPosition {
    const message = this.#log.append(topic, data);
    if (this.#listening.has(topic)) this.#onMessage?.(message);
    return { offset: message.offset, epoch: message.epoch };
  }

  #name(topic: string): string {
    return `${this.#prefix}:${topic}`;
  }

  #channelFor(topic: string): BroadcastChannel {
    const listening = this.#listening.get(topic);
    if (listening !== undefined) return listening;
    let channel = this.#publishing.get(topic);
    if (channel !== undefined) this.#publishing.delete(topic);
    else {
      channel = new BroadcastChannel(this.#name(topic));
      if (this.#publishing.size >= _PUBLISH_CHANNELS) {
        const [oldest, old] = this.#publishing.entries().next().value!;
        old.close();
        this.#publishing.delete(oldest);
      }
    }
    this.#publishing.set(topic, channel);
    return channel;
  }
}
