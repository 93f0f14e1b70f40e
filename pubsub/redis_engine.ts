import type { HistoryResult, PubSubEngine, StreamPosition, TopicMessage } from "./engine.ts";
import { RedisClient } from "./redis_client.ts";
import { REDIS_DEFAULTS, type RedisClientOptions } from "./redis_options.ts";
import { RedisSubscriber } from "./redis_subscriber.ts";
import type { RespValue } from "./resp.ts";
import { _newEpoch } from "./_topic_log.ts";
import { _Sequencer } from "./_sequencer.ts";

/** The defaults of {@linkcode RedisEngineOptions} beyond `REDIS_DEFAULTS`. */
export const REDIS_ENGINE_DEFAULTS: {
  readonly prefix: string;
  readonly historySize: number;
  readonly historyTtl: number;
  readonly gapTimeout: number;
  readonly maxHeld: number;
} = Object.freeze({
  prefix: "edgews",
  historySize: 1000,
  historyTtl: 86400,
  gapTimeout: 100,
  maxHeld: 1024,
});

/** Options for {@linkcode RedisEngine}. */
export interface RedisEngineOptions extends RedisClientOptions {
  /** Keys and channels start with this and a colon. @default {"edgews"} */
  prefix?: string | undefined;
  /**
   * Messages kept per topic in its Stream (`XADD ... MAXLEN ~`), and the
   * most a client can recover.
   * @default {1000}
   */
  historySize?: number | undefined;
  /** Seconds a topic's history lives after its last message; 0 for ever. @default {86400} */
  historyTtl?: number | undefined;
  /**
   * How long a missing offset is waited for (it may still be on its way by
   * the other connection) before it is read from history, in ms.
   * @default {100}
   */
  gapTimeout?: number | undefined;
  /** Messages held per topic behind a missing one; past it the gap is given up. @default {1024} */
  maxHeld?: number | undefined;
}

/**
 * Numbers, keeps and publishes one message, atomically: so offsets follow
 * the order in which subscribers receive the messages. A topic whose
 * history is gone (Redis restarted without persistence, or the topic
 * expired) starts a new epoch.
 */
const _PUBLISH = `
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'e', ARGV[1])
end
local offset = redis.call('HINCRBY', KEYS[1], 'o', 1)
local epoch = redis.call('HGET', KEYS[1], 'e')
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '0-' .. offset, 'd', ARGV[5])
if tonumber(ARGV[3]) > 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  redis.call('EXPIRE', KEYS[2], ARGV[3])
end
redis.call('PUBLISH', ARGV[4], offset .. ':' .. epoch .. ':' .. ARGV[5])
return {offset, epoch}
`;

/** A topic's position and, unless more than ARGV[2] are asked for, its messages from ARGV[1]. */
const _HISTORY = `
local meta = redis.call('HMGET', KEYS[1], 'e', 'o')
if not meta[1] then return {'', 0, {}} end
local last = tonumber(meta[2])
local first = tonumber(ARGV[1])
if last < first then return {meta[1], last, {}} end
if last - first + 1 > tonumber(ARGV[2]) then return {meta[1], last, false} end
return {meta[1], last, redis.call('XRANGE', KEYS[2], '0-' .. first, '+', 'COUNT', ARGV[2])}
`;

const _encoder = new TextEncoder();
const _decoder = new TextDecoder();
/** For message text: a leading U+FEFF is part of the message. */
const _textDecoder = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * Fan-out across processes and machines through Redis. One script per
 * publish numbers the message, appends it to the topic's Stream (the
 * bounded history) and publishes it, so offsets follow the order
 * subscribers see. After Redis drops, what was missed is read from the
 * Streams; a Redis that lost its data starts new epochs. Keys use hash tags
 * (`{topic}`), so a topic's keys share a Redis Cluster slot.
 *
 * Usage: the README's "Topics and scale-out" snippet (run with a real Redis
 * by `tests/readme_snippets_test.ts`); the cases, against a real
 * redis-server (killed and restarted): `pubsub/redis_engine_test.ts`.
 */
export class RedisEngine implements PubSubEngine {
  readonly nodeId: string = _newEpoch();
  #prefix: string;
  #historySize: number;
  #historyTtl: number;
  #client: RedisClient;
  #subscriber: RedisSubscriber;
  /** Publishes waiting for both connections (see `#linkUp`). */
  #waiting: { resolve(): void; reject(error: Error): void }[] = [];
  #maxWaiting: number;
  #sequencer: _Sequencer;
  #onMessage: ((message: TopicMessage) => void) | undefined;

  /**
   * Connect (in the background) to Redis.
   *
   * @param options Where Redis is, key prefix, history and bounds.
   */
  constructor(options: RedisEngineOptions = {}) {
    this.#prefix = options.prefix ?? REDIS_ENGINE_DEFAULTS.prefix;
    this.#historySize = options.historySize ?? REDIS_ENGINE_DEFAULTS.historySize;
    this.#historyTtl = options.historyTtl ?? REDIS_ENGINE_DEFAULTS.historyTtl;
    // Told when both connections are up, and when either breaks.
    const onChange = options.onConnectionChange;
    this.#maxWaiting = options.maxPending ?? REDIS_DEFAULTS.maxPending;
    let up = 0;
    const change = (connected: boolean) => {
      const before = up === 2;
      up += connected ? 1 : -1;
      if (before === (up === 2)) return;
      if (up === 2) { for (const waiter of this.#waiting.splice(0)) waiter.resolve(); }
      onChange?.(up === 2);
    };
    const connection = { ...options, onConnectionChange: change };
    this.#client = new RedisClient(connection);
    this.#sequencer = new _Sequencer(
      {
        gapTimeout: options.gapTimeout ?? REDIS_ENGINE_DEFAULTS.gapTimeout,
        maxHeld: options.maxHeld ?? REDIS_ENGINE_DEFAULTS.maxHeld,
      },
      (message) => this.#onMessage?.(message),
      (topic, since) => this.history(topic, since),
    );
    this.#subscriber = new RedisSubscriber(connection, {
      onMessage: (channel, payload) => this.#received(channel, payload),
      onSubscribed: (channel) => this.#subscribed(channel),
    });
  }

  /** Resolves once both connections are up; at most `maxPending` wait. */
  #linkUp(): Promise<void> {
    if (this.#waiting.length >= this.#maxWaiting) {
      return Promise.reject(
        new RangeError(`Cannot publish: ${this.#waiting.length} publishes already wait for Redis`),
      );
    }
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  /** Whether both connections to Redis are up. */
  get connected(): boolean {
    return this.#client.connected && this.#subscriber.connected;
  }

  /** Messages known to be lost: trimmed from history before this node could read them. */
  get lost(): number {
    return this.#sequencer.lost;
  }

  /**
   * Start delivering.
   *
   * @param onMessage Receives the messages of subscribed topics, in offset order.
   */
  open(onMessage: (message: TopicMessage) => void): void {
    this.#onMessage = onMessage;
  }

  /**
   * Number, keep and publish a message.
   *
   * @param topic The topic.
   * @param data The message.
   * @returns Its position, once Redis has it (publishes wait while Redis is down).
   */
  async publish(topic: string, data: string | Uint8Array): Promise<StreamPosition> {
    // Either connection down means Redis is (being) lost: wait for both, so that
    // the command is not written to a link about to break, where it would be refused.
    if (!this.connected) await this.#linkUp();
    const payload = this.#payload(data);
    const reply = await this.#client.command([
      "EVAL",
      _PUBLISH,
      2,
      this.#key(topic, "m"),
      this.#key(topic, "s"),
      _newEpoch(),
      this.#historySize,
      this.#historyTtl,
      this.#channel(topic),
      payload,
    ]) as [number, Uint8Array];
    const position = { offset: reply[0], epoch: _decoder.decode(reply[1]) };
    this.#sequencer.accept({ topic, data, ...position });
    return position;
  }

  /**
   * Subscribe to `topic`'s channel.
   *
   * @param topic The topic.
   * @returns Its position once Redis confirmed the subscription.
   */
  async subscribe(topic: string): Promise<StreamPosition> {
    this.#sequencer.follow(topic);
    await this.#subscriber.subscribe(this.#channel(topic));
    const position = await this.#position(topic);
    this.#sequencer.start(topic, position);
    return position;
  }

  /**
   * Unsubscribe from `topic`'s channel.
   *
   * @param topic The topic.
   */
  unsubscribe(topic: string): void {
    this.#sequencer.unfollow(topic);
    this.#subscriber.unsubscribe(this.#channel(topic));
  }

  /**
   * The messages after `since`, from the topic's Stream.
   *
   * @param topic The topic.
   * @param since The last position the client has.
   * @returns The missed messages, or why they cannot be told.
   */
  async history(topic: string, since: StreamPosition): Promise<HistoryResult> {
    const reply = await this.#client.command([
      "EVAL",
      _HISTORY,
      2,
      this.#key(topic, "m"),
      this.#key(topic, "s"),
      since.offset + 1,
      this.#historySize,
    ]) as [Uint8Array, number, RespValue[] | null];
    const position = { offset: reply[1], epoch: _decoder.decode(reply[0]) };
    if (since.offset !== 0 && since.epoch !== position.epoch) {
      return { ok: false, reason: "epoch-changed", position };
    }
    const entries = reply[2];
    const missed = position.offset - since.offset;
    if (entries === null || missed < 0 || entries.length !== missed) {
      return { ok: false, reason: "too-old", position };
    }
    const messages: TopicMessage[] = [];
    for (const [i, entry] of entries.entries()) {
      const [id, fields] = entry as [Uint8Array, Uint8Array[]];
      const offset = Number(_decoder.decode(id).slice(2));
      // Trimmed at the start: the first one is not the one after `since`.
      if (offset !== since.offset + 1 + i) return { ok: false, reason: "too-old", position };
      const { data } = this.#parsePayload(fields[1]!);
      messages.push({ topic, data, offset, epoch: position.epoch });
    }
    return { ok: true, messages, position };
  }

  /** Close both connections. */
  async close(): Promise<void> {
    const closed = new Error("Cannot publish: the Redis engine is closed");
    for (const waiter of this.#waiting.splice(0)) waiter.reject(closed);
    this.#sequencer.close();
    this.#onMessage = undefined;
    await Promise.all([this.#client.close(), this.#subscriber.close()]);
  }

  async #position(topic: string): Promise<StreamPosition> {
    const reply = await this.#client.command(["HMGET", this.#key(topic, "m"), "e", "o"]) as (
      | Uint8Array
      | null
    )[];
    if (reply[0] === null || reply[1] === null) return { offset: 0, epoch: "" };
    return { offset: Number(_decoder.decode(reply[1]!)), epoch: _decoder.decode(reply[0]!) };
  }

  /** A subscription confirmed again after a reconnection: read what was missed. */
  #subscribed(channel: string): void {
    this.#sequencer.fill(channel.slice(this.#prefix.length + 1));
  }

  #received(channel: string, bytes: Uint8Array): void {
    // "offset:epoch:node:" then the payload's type and data.
    const first = bytes.indexOf(0x3a);
    const second = bytes.indexOf(0x3a, first + 1);
    if (first <= 0 || second <= first) return;
    const { node, data } = this.#parsePayload(bytes.subarray(second + 1));
    if (node === this.nodeId) return; // Delivered here already, from the reply.
    this.#sequencer.accept({
      topic: channel.slice(this.#prefix.length + 1),
      data,
      offset: Number(_decoder.decode(bytes.subarray(0, first))),
      epoch: _decoder.decode(bytes.subarray(first + 1, second)),
    });
  }

  /** `node:` then `t` and UTF-8 text, or `b` and bytes. */
  #payload(data: string | Uint8Array): Uint8Array {
    const head = _encoder.encode(`${this.nodeId}:${typeof data === "string" ? "t" : "b"}`);
    const body = typeof data === "string" ? _encoder.encode(data) : data;
    const payload = new Uint8Array(head.length + body.length);
    payload.set(head);
    payload.set(body, head.length);
    return payload;
  }

  #parsePayload(bytes: Uint8Array): { node: string; data: string | Uint8Array } {
    const colon = bytes.indexOf(0x3a);
    const node = _decoder.decode(bytes.subarray(0, colon));
    const body = bytes.subarray(colon + 2);
    return { node, data: bytes[colon + 1] === 0x74 ? _textDecoder.decode(body) : body.slice() };
  }

  #key(topic: string, kind: "m" | "s"): string {
    return `${this.#prefix}:{${topic}}:${kind}`;
  }

  #channel(topic: string): string {
    return `${this.#prefix}:${topic}`;
  }
}
