import { _Fanout } from "../broadcast/_fanout.ts";
import { DEFLATE_DEFAULTS } from "../compression/deflate_codec.ts";
import {
  PER_MESSAGE_DEFLATE_DEFAULTS,
  type PerMessageDeflateConfig,
} from "../compression/per_message_deflate.ts";
import {
  type BroadcastMember,
  type BroadcastStats,
  SLOW_MEMBER_DEFAULTS,
  type SlowMemberOptions,
} from "../broadcast/slow_member.ts";
import type { HistoryResult, PubSubEngine, StreamPosition, TopicMessage } from "./engine.ts";
import { MemoryEngine } from "./memory_engine.ts";
import { _Publication, _SharedDeflate } from "./_publication.ts";

/** Options for {@linkcode PubSub}: the slow-member policy and limits, and the engine. */
export interface PubSubOptions extends SlowMemberOptions {
  /** How messages reach other processes, and where history lives. @default {new MemoryEngine()} */
  engine?: PubSubEngine | undefined;
  /**
   * What members receive for a message: by default its data as published.
   * Give a format that carries `offset` and `epoch` (JSON, say) when clients
   * are to resume with `since` after a reconnect. Called once per message,
   * whatever the number of members.
   * @default {(message) => message.data}
   */
  format?: ((message: TopicMessage) => string | Uint8Array) | undefined;
  /**
   * Compression shared by the members whose permessage-deflate has no
   * context takeover on the server side: each message is compressed once
   * for all of them. Servers get that by negotiating
   * `perMessageDeflate: { serverNoContextTakeover: true }` (RFC 7692 lets a
   * server answer `server_no_context_takeover` to any offer). Members that
   * keep a context compress each message on their own.
   */
  compression?: PubSubCompression | undefined;
}

/**
 * Settings of the compression shared by members without context takeover:
 * those of a connection's permessage-deflate, with the same defaults.
 */
export type PubSubCompression = Pick<PerMessageDeflateConfig, "threshold" | "level">;

/** Options for {@linkcode PubSub.subscribe}. */
export interface SubscribeOptions {
  /**
   * The position of the last message the client has (from the `offset` and
   * `epoch` of the messages it received, see `format`): the messages after
   * it are sent first, from the engine's bounded history, and then the live
   * ones, none twice. `{ offset: 0, epoch: "" }` asks for the whole history.
   */
  since?: StreamPosition | undefined;
}

/** What {@linkcode PubSub.subscribe} resolves with. */
export interface SubscribeResult {
  /**
   * - `"subscribed"`: no `since`; the member gets what is published from now on.
   * - `"recovered"`: every message after `since` was sent, then live ones follow.
   * - `"resync"`: what came after `since` cannot be told (`reason`): the
   *   client must reload its state. It gets the messages after `position`.
   * - `"closed"`: the socket closed before it could join; nothing was sent.
   */
  status: "subscribed" | "recovered" | "resync" | "closed";
  /** The member gets every message after this position. */
  position: StreamPosition;
  /** How many missed messages were sent (`"recovered"`). */
  recovered: number;
  /**
   * `"resync"`: the history was lost (`"epoch-changed"`), no longer reaches
   * back to `since` (`"too-old"`), or more than `maxQueue` live messages
   * came while the history was read (`"overflow"`).
   */
  reason?: "epoch-changed" | "too-old" | "overflow" | undefined;
}

/** What `subscribe` says of a socket that closed before it could join. */
const _CLOSED: SubscribeResult = Object.freeze({
  status: "closed",
  position: Object.freeze({ offset: 0, epoch: "" }),
  recovered: 0,
});

/** A member catching up: live messages wait here while the history is read. */
interface _Recovery {
  buffer: TopicMessage[];
  overflow: boolean;
  /** The last live message seen, buffered or not. */
  last: StreamPosition | undefined;
}

/**
 * Topics of WebSockets with exact-match names. `publish` numbers a message
 * through the engine (offset and epoch) and sends it to every member of the
 * topic in every process that shares the engine; a member that falls behind
 * is handled by the slow-member policy (wait, drop-oldest, close with 1013),
 * never by an unbounded queue. A socket leaves its topics when it closes.
 *
 * Each message is framed once: this module's server sockets get the same
 * frame bytes on their outgoing queues (server frames are unmasked), and the
 * members without compression context one compressed frame (see
 * `compression`). Other sockets (Deno's, `ws`) get `send()`.
 *
 * @example
 * ```ts
 * import { PubSub } from "@edgews/websocket/pubsub";
 * import assert from "node:assert/strict";
 *
 * const received: unknown[] = [];
 * const socket = { bufferedAmount: 0, readyState: 1, send: (data: unknown) => void received.push(data), close() {} };
 * const pubsub = new PubSub();
 * await pubsub.subscribe(socket, "room-1");
 * const message = await pubsub.publish("room-1", "hello");
 * assert.deepEqual(received, ["hello"]);
 * assert.equal(message.offset, 1);
 * await pubsub.close();
 * ```
 */
export class PubSub {
  #engine: PubSubEngine;
  #format: (message: TopicMessage) => string | Uint8Array;
  #fanout: _Fanout<_Publication>;
  #deflate: _SharedDeflate;
  /** Topics subscribed upstream, with the engine's answer. */
  #upstream = new Map<string, Promise<StreamPosition>>();
  /** `"wait"`: deliveries still waiting for slow members, by topic and offset. */
  #waits = new Map<string, Promise<void>>();
  /** Members catching up, by topic. */
  #recovering = new Map<string, Set<_Recovery>>();
  /** The last message delivered here, by topic subscribed upstream. */
  #last = new Map<string, StreamPosition>();
  #maxQueue: number;

  /**
   * Create a topic registry.
   *
   * @param options Slow-member policy and limits, engine, wire format.
   */
  constructor(options: PubSubOptions = {}) {
    this.#engine = options.engine ?? new MemoryEngine();
    this.#maxQueue = options.maxQueue ?? SLOW_MEMBER_DEFAULTS.maxQueue;
    this.#format = options.format ?? ((message) => message.data);
    this.#deflate = new _SharedDeflate(
      options.compression?.threshold ?? PER_MESSAGE_DEFLATE_DEFAULTS.threshold,
      options.compression?.level ?? DEFLATE_DEFAULTS.level,
    );
    this.#fanout = new _Fanout<_Publication>(options, {
      send: (member, publication) => publication.sendTo(member),
      topicChanged: (topic, present) => present ? void this.#up(topic) : this.#down(topic),
    });
    this.#engine.open((message) => this.#deliver(message));
  }

  /** The engine's node id. */
  get nodeId(): string {
    return this.#engine.nodeId;
  }

  /** Counters: messages sent and dropped, members closed, messages queued. */
  get stats(): Readonly<BroadcastStats> {
    return this.#fanout.stats;
  }

  /**
   * The number of local members of `topic`, or of all topics.
   *
   * @param topic A topic, or none for every member.
   * @returns How many sockets of this process would receive a publish.
   */
  size(topic?: string): number {
    return this.#fanout.size(topic);
  }

  /**
   * Add `socket` to `topic`; it receives the topic's messages from now on,
   * or, with `since`, first those it missed (see `SubscribeResult`). A
   * socket with `addEventListener` leaves its topics when it closes.
   *
   * @param socket The member.
   * @param topic The topic (names match exactly).
   * @param options `since`: the last position the client has.
   * @returns Resolves once the engine delivers the topic's messages here
   * (and, with `since`, the missed ones were handed to the socket).
   *
   * @example Recovery after a reconnection
   * ```ts
   * import { PubSub, type TopicMessage } from "@edgews/websocket/pubsub";
   * import assert from "node:assert/strict";
   *
   * const socket = () => {
   *   const got: unknown[] = [];
   *   return { got, bufferedAmount: 0, readyState: 1, send: (d: unknown) => void got.push(d), close() {} };
   * };
   * const pubsub = new PubSub({ format: (m: TopicMessage) => JSON.stringify([m.offset, m.epoch, m.data]) });
   * const first = socket();
   * await pubsub.subscribe(first, "news");
   * await pubsub.publish("news", "a");
   * const [offset, epoch] = JSON.parse(first.got[0] as string);
   * await pubsub.publish("news", "b"); // missed while reconnecting
   * const again = socket();
   * const result = await pubsub.subscribe(again, "news", { since: { offset, epoch } });
   * assert.equal(result.status, "recovered");
   * assert.deepEqual(again.got.map((m) => JSON.parse(m as string)[2]), ["b"]);
   * await pubsub.close();
   * ```
   */
  async subscribe(
    socket: BroadcastMember,
    topic: string,
    options: SubscribeOptions = {},
  ): Promise<SubscribeResult> {
    const since = options.since;
    if (socket.readyState > 1) return _CLOSED;
    if (since === undefined) {
      this.#fanout.subscribe(socket, topic);
      // What came before the member joined, if anything came since the topic was subscribed.
      const last = this.#last.get(topic);
      const position = await this.#up(topic);
      return { status: "subscribed", position: last ?? position, recovered: 0 };
    }
    // Live messages wait for this member from before the upstream subscription.
    const recovery: _Recovery = { buffer: [], overflow: false, last: undefined };
    let recoveries = this.#recovering.get(topic);
    if (recoveries === undefined) this.#recovering.set(topic, recoveries = new Set());
    recoveries.add(recovery);
    let history: HistoryResult | undefined;
    try {
      await this.#up(topic);
      history = await this.#engine.history(topic, since);
    } finally {
      recoveries.delete(recovery);
      if (recoveries.size === 0) this.#recovering.delete(topic);
      // The history could not be read: the topic may have nobody left.
      if (history === undefined && this.#fanout.size(topic) === 0) this.#down(topic);
    }
    return this.#join(socket, topic, history, recovery);
  }

  /**
   * Remove `socket` from `topic`, or from every topic.
   *
   * @param socket The member.
   * @param topic The topic to leave; none for all.
   */
  unsubscribe(socket: BroadcastMember, topic?: string): void {
    this.#fanout.unsubscribe(socket, topic);
  }

  /**
   * Publish `data` to every member of `topic`, in every process sharing the
   * engine.
   *
   * @param topic The topic.
   * @param data The message: a string goes out as text, bytes as binary.
   * @returns The numbered message, once this process's members took it
   * (under `"wait"`, once the slowest of them did).
   * @throws {RangeError} Under `"wait"`, beyond `maxPending` waiting publishes.
   */
  async publish(topic: string, data: string | Uint8Array): Promise<TopicMessage> {
    // Refused before it goes anywhere, as the Broadcaster does.
    if (this.#fanout.full) throw this.#fanout.fullError();
    const position = await this.#engine.publish(topic, data);
    const key = `${position.offset}:${position.epoch}:${topic}`;
    const wait = this.#waits.get(key);
    if (wait !== undefined) {
      this.#waits.delete(key);
      await wait;
    }
    return { topic, data, offset: position.offset, epoch: position.epoch };
  }

  /** Leave every topic upstream and close the engine; members are left open. */
  async close(): Promise<void> {
    this.#fanout.close();
    this.#deflate.close();
    this.#upstream.clear();
    await this.#engine.close();
  }

  /** A recovering member joins: its missed messages, then the live ones it waited with. */
  #join(
    socket: BroadcastMember,
    topic: string,
    history: HistoryResult,
    recovery: _Recovery,
  ): SubscribeResult {
    let position = history.position;
    let result: SubscribeResult = history.ok
      ? { status: "recovered", position, recovered: history.messages.length }
      : { status: "resync", position, recovered: 0, reason: history.reason };
    if (recovery.overflow) {
      position = recovery.last!;
      result = { status: "resync", position, recovered: 0, reason: "overflow" };
    }
    if (socket.readyState > 1) {
      if (this.#fanout.size(topic) === 0 && !this.#recovering.has(topic)) this.#down(topic);
      return _CLOSED;
    }
    this.#fanout.subscribe(socket, topic);
    const send = (message: TopicMessage) => {
      const publication = new _Publication(this.#format(message), this.#deflate);
      this.#fanout.deliverTo(socket, publication)?.catch(() => {});
    };
    if (result.status === "recovered" && history.ok) history.messages.forEach(send);
    for (const message of recovery.buffer) {
      // A topic without history yet: its first epoch starts now.
      if (position.epoch === "") position = { offset: 0, epoch: message.epoch };
      if (message.epoch === position.epoch && message.offset > position.offset) {
        send(message);
        position = message;
      }
    }
    return { ...result, position: { offset: position.offset, epoch: position.epoch } };
  }

  #deliver(message: TopicMessage): void {
    this.#last.set(message.topic, { offset: message.offset, epoch: message.epoch });
    const recoveries = this.#recovering.get(message.topic);
    if (recoveries !== undefined) {
      for (const recovery of recoveries) {
        recovery.last = message;
        if (recovery.overflow) continue;
        if (recovery.buffer.length < this.#maxQueue) recovery.buffer.push(message);
        else {
          recovery.overflow = true;
          recovery.buffer = [];
        }
      }
    }
    if (this.#fanout.size(message.topic) === 0) return;
    const publication = new _Publication(this.#format(message), this.#deflate);
    const wait = this.#fanout.deliver(message.topic, publication);
    if (wait === undefined) return;
    const key = `${message.offset}:${message.epoch}:${message.topic}`;
    // Kept for `publish` to await, and gone once settled, whoever published.
    // A delivery refused for want of room (a publish of another process)
    // leaves the slow member without the message.
    const settled = wait.catch(() => {}).finally(() => this.#waits.delete(key));
    this.#waits.set(key, settled);
  }

  /** Subscribe upstream to `topic` unless it is. */
  #up(topic: string): Promise<StreamPosition> {
    let subscribed = this.#upstream.get(topic);
    if (subscribed === undefined) {
      subscribed = this.#engine.subscribe(topic);
      const current = subscribed;
      // A failed subscription is tried again by the next member.
      current.catch(() => {
        if (this.#upstream.get(topic) === current) this.#upstream.delete(topic);
      });
      this.#upstream.set(topic, subscribed);
    }
    return subscribed;
  }

  #down(topic: string): void {
    // A member still catching up keeps the topic.
    if (this.#recovering.has(topic) || !this.#upstream.delete(topic)) return;
    this.#last.delete(topic);
    this.#engine.unsubscribe(topic);
  }
}
