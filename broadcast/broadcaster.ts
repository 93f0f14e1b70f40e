/**
 * Topic-based broadcast to many WebSockets that never lets a slow peer grow
 * memory without bound: every member has a high-water mark on what is
 * buffered for it, and a policy says what happens above it.
 *
 * @module
 */

/**
 * What a {@linkcode Broadcaster} needs of a socket. This module's
 * `WebSocket`, Deno's native `WebSocket`, a browser's, and `ws`'s all fit.
 *
 * @example
 * ```ts
 * import type { BroadcastMember } from "@edgews/websocket/broadcast";
 *
 * const sent: unknown[] = [];
 * const member: BroadcastMember = {
 *   bufferedAmount: 0,
 *   readyState: 1,
 *   send: (data) => void sent.push(data),
 *   close() {},
 * };
 * ```
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
 *
 * @example
 * ```ts
 * import { Broadcaster, type SlowMemberPolicy } from "@edgews/websocket/broadcast";
 *
 * const policy: SlowMemberPolicy = "drop-oldest";
 * const broadcaster = new Broadcaster({ policy, maxQueue: 100 });
 * ```
 */
export type SlowMemberPolicy = "wait" | "drop-oldest" | "close";

/**
 * A message on the wire between broadcasters of several processes.
 *
 * @example
 * ```ts
 * import type { BroadcastEnvelope } from "@edgews/websocket/broadcast";
 *
 * const envelope: BroadcastEnvelope = { topic: "room-1", data: "hello" };
 * ```
 */
export interface BroadcastEnvelope {
  /** The topic it was published to. */
  topic: string;
  /** The message. */
  data: string | Uint8Array;
}

/**
 * Carries published messages to broadcasters in other processes or
 * isolates. A web-standard `BroadcastChannel` fits as it is (Deno Deploy
 * spreads it across isolates and regions); a Redis or NATS client can be
 * wrapped in the same two members.
 *
 * @example
 * ```ts
 * import type { BroadcastAdapter } from "@edgews/websocket/broadcast";
 *
 * const adapter: BroadcastAdapter = new BroadcastChannel("chat");
 * adapter.close?.();
 * ```
 */
export interface BroadcastAdapter {
  /** Send an envelope to the other broadcasters (not back to this one). */
  postMessage(envelope: BroadcastEnvelope): void;
  /** Receive envelopes from the others. */
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
  /** Stop receiving. */
  removeEventListener(type: "message", listener: (event: MessageEvent) => void): void;
  /** Release the adapter (called by {@linkcode Broadcaster.close}). */
  close?(): void;
}

/**
 * Options for {@linkcode Broadcaster}.
 *
 * @example
 * ```ts
 * import { Broadcaster, type BroadcasterOptions } from "@edgews/websocket/broadcast";
 *
 * const options: BroadcasterOptions = { policy: "close", highWaterMark: 1 << 20, closeCode: 1008 };
 * const broadcaster = new Broadcaster(options);
 * ```
 */
export interface BroadcasterOptions {
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
  /** Relay to and from other processes, e.g. `new BroadcastChannel("chat")`. */
  adapter?: BroadcastAdapter | undefined;
}

/**
 * Counters of a {@linkcode Broadcaster}, for logs and tests.
 *
 * @example
 * ```ts
 * import { Broadcaster, type BroadcastStats } from "@edgews/websocket/broadcast";
 *
 * const stats: BroadcastStats = new Broadcaster().stats;
 * console.log(stats.sent, stats.dropped, stats.closed);
 * ```
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

interface _Member {
  socket: BroadcastMember;
  topics: Set<string>;
  /** `"drop-oldest"` queue (a ring would save the shift; it is at most maxQueue). */
  queue: (string | Uint8Array)[];
  /** `"wait"`: messages, in order, whose publishes wait for this member to have room. */
  waiters: { data: string | Uint8Array; resolve: () => void }[];
}

/**
 * Publishes messages to the members of a topic, applying a policy to slow
 * members instead of queueing without bound.
 *
 * @example
 * ```ts
 * import { Broadcaster, type BroadcastMember } from "@edgews/websocket/broadcast";
 * import assert from "node:assert/strict";
 *
 * const received: unknown[] = [];
 * const socket: BroadcastMember = {
 *   bufferedAmount: 0,
 *   readyState: 1,
 *   send: (data) => void received.push(data),
 *   close() {},
 * };
 * const broadcaster = new Broadcaster();
 * broadcaster.subscribe(socket, "room-1");
 * await broadcaster.publish("room-1", "hello");
 * assert.deepEqual(received, ["hello"]);
 * broadcaster.close();
 * ```
 */
export class Broadcaster {
  #policy: SlowMemberPolicy;
  #highWaterMark: number;
  #maxQueue: number;
  #maxPending: number;
  #closeCode: number;
  #pollInterval: number;
  #adapter: BroadcastAdapter | undefined;
  #onAdapterMessage: ((event: MessageEvent) => void) | undefined;
  #members = new Map<BroadcastMember, _Member>();
  #topics = new Map<string, Set<_Member>>();
  #slow = new Set<_Member>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pending = 0;
  #stats: BroadcastStats = { sent: 0, dropped: 0, closed: 0, queued: 0 };

  /**
   * Create a broadcaster.
   *
   * @param options The slow-member policy, its limits, and an optional adapter.
   */
  constructor(options: BroadcasterOptions = {}) {
    this.#policy = options.policy ?? "drop-oldest";
    this.#highWaterMark = options.highWaterMark ?? 1024 * 1024;
    this.#maxQueue = options.maxQueue ?? 256;
    this.#maxPending = options.maxPending ?? 1024;
    this.#closeCode = options.closeCode ?? 1013;
    this.#pollInterval = options.pollInterval ?? 10;
    this.#adapter = options.adapter;
    if (this.#adapter !== undefined) {
      this.#onAdapterMessage = (event) => {
        const envelope = event.data as BroadcastEnvelope;
        if (typeof envelope?.topic !== "string") return;
        void this.#deliver(envelope.topic, envelope.data).catch(() => {});
      };
      this.#adapter.addEventListener("message", this.#onAdapterMessage);
    }
  }

  /** Counters: messages sent and dropped, members closed, messages queued. */
  get stats(): Readonly<BroadcastStats> {
    return { ...this.#stats };
  }

  /**
   * The number of members of `topic`, or of all topics. A socket that is
   * closing or closed no longer counts, even in its own `onclose` (which may
   * run before the listener that unsubscribes it).
   *
   * @param topic A topic, or none for every member.
   * @returns How many sockets would receive a publish.
   */
  size(topic?: string): number {
    const members = topic === undefined ? this.#members.values() : this.#topics.get(topic);
    if (members === undefined) return 0;
    for (const member of members) if (member.socket.readyState > 1) this.#remove(member);
    return topic === undefined ? this.#members.size : (this.#topics.get(topic)?.size ?? 0);
  }

  /**
   * Add `socket` to `topic`. A socket with `addEventListener` leaves every
   * topic by itself when it closes.
   *
   * @param socket The member.
   * @param topic The topic to join.
   */
  subscribe(socket: BroadcastMember, topic: string): void {
    let member = this.#members.get(socket);
    if (member === undefined) {
      member = { socket, topics: new Set(), queue: [], waiters: [] };
      this.#members.set(socket, member);
      socket.addEventListener?.("close", () => this.unsubscribe(socket));
    }
    member.topics.add(topic);
    let members = this.#topics.get(topic);
    if (members === undefined) this.#topics.set(topic, members = new Set());
    members.add(member);
  }

  /**
   * Remove `socket` from `topic`, or from every topic.
   *
   * @param socket The member.
   * @param topic The topic to leave; none for all.
   */
  unsubscribe(socket: BroadcastMember, topic?: string): void {
    const member = this.#members.get(socket);
    if (member === undefined) return;
    for (const name of topic === undefined ? [...member.topics] : [topic]) {
      member.topics.delete(name);
      const members = this.#topics.get(name);
      members?.delete(member);
      if (members?.size === 0) this.#topics.delete(name);
    }
    if (member.topics.size === 0) this.#remove(member);
  }

  /**
   * Send `data` to every member of `topic`, here and, with an adapter, in
   * the other processes.
   *
   * @param topic The topic.
   * @param data The message.
   * @returns Resolves when every member took the message (at once, except
   * under the `"wait"` policy with a slow member).
   * @throws {RangeError} Under `"wait"`, when more than `maxPending`
   * publishes are already waiting.
   */
  publish(topic: string, data: string | Uint8Array): Promise<void> {
    this.#adapter?.postMessage({ topic, data });
    return this.#deliver(topic, data);
  }

  /** Detach from the adapter and stop the timer; members are left open. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#adapter !== undefined && this.#onAdapterMessage !== undefined) {
      this.#adapter.removeEventListener("message", this.#onAdapterMessage);
      this.#adapter.close?.();
    }
    for (const member of this.#members.values()) this.#release(member);
    this.#members.clear();
    this.#topics.clear();
    this.#slow.clear();
  }

  async #deliver(topic: string, data: string | Uint8Array): Promise<void> {
    const members = this.#topics.get(topic);
    if (members === undefined) return;
    let waits: Promise<void>[] | undefined;
    for (const member of [...members]) {
      const wait = this.#offer(member, data);
      if (wait !== undefined) (waits ??= []).push(wait);
    }
    if (waits !== undefined) await Promise.all(waits);
  }

  /** Give `data` to one member, or apply the policy; a promise when it must wait. */
  #offer(member: _Member, data: string | Uint8Array): Promise<void> | undefined {
    const socket = member.socket;
    if (socket.readyState !== 1) {
      if (socket.readyState > 1) this.#remove(member);
      return undefined;
    }
    const slow = socket.bufferedAmount > this.#highWaterMark;
    switch (this.#policy) {
      case "close":
        if (slow) {
          this.#stats.closed++;
          this.#remove(member);
          socket.close(this.#closeCode, "Too slow: the broadcast outpaced this connection");
        } else this.#send(member, data);
        return undefined;
      case "drop-oldest":
        if (!slow && member.queue.length === 0) {
          this.#send(member, data);
          return undefined;
        }
        if (member.queue.length >= this.#maxQueue) {
          member.queue.shift();
          this.#stats.dropped++;
          this.#stats.queued--;
        }
        member.queue.push(data);
        this.#stats.queued++;
        this.#markSlow(member);
        return undefined;
      case "wait":
        if (!slow && member.waiters.length === 0) {
          this.#send(member, data);
          return undefined;
        }
        if (this.#pending >= this.#maxPending) {
          return Promise.reject(
            new RangeError(
              `Cannot publish: ${this.#pending} publishes already wait for slow members (maxPending)`,
            ),
          );
        }
        this.#pending++;
        this.#stats.queued++;
        this.#markSlow(member);
        return new Promise<void>((resolve) => member.waiters.push({ data, resolve }));
    }
  }

  #send(member: _Member, data: string | Uint8Array): void {
    try {
      member.socket.send(data);
      this.#stats.sent++;
    } catch {
      // A socket that cannot send any more is on its way out.
      this.#remove(member);
    }
  }

  #markSlow(member: _Member): void {
    this.#slow.add(member);
    this.#timer ??= setTimeout(() => this.#poll(), this.#pollInterval);
  }

  /** Move queued messages to members that have room again. */
  #poll(): void {
    this.#timer = undefined;
    for (const member of this.#slow) {
      const socket = member.socket;
      if (socket.readyState !== 1) {
        this.#remove(member);
        continue;
      }
      while (socket.bufferedAmount <= this.#highWaterMark) {
        const next = member.queue.shift();
        if (next !== undefined) {
          this.#stats.queued--;
          this.#send(member, next);
          continue;
        }
        const waiter = member.waiters.shift();
        if (waiter === undefined) break;
        this.#pending--;
        this.#stats.queued--;
        this.#send(member, waiter.data);
        waiter.resolve();
      }
      if (member.queue.length === 0 && member.waiters.length === 0) this.#slow.delete(member);
    }
    if (this.#slow.size > 0) this.#timer = setTimeout(() => this.#poll(), this.#pollInterval);
  }

  #remove(member: _Member): void {
    this.#members.delete(member.socket);
    for (const name of member.topics) {
      const members = this.#topics.get(name);
      members?.delete(member);
      if (members?.size === 0) this.#topics.delete(name);
    }
    member.topics.clear();
    this.#release(member);
  }

  /** Drop a member's queue and let its waiting publishes go (they have nobody to wait for). */
  #release(member: _Member): void {
    this.#slow.delete(member);
    this.#stats.queued -= member.queue.length;
    member.queue = [];
    const waiters = member.waiters;
    member.waiters = [];
    this.#pending -= waiters.length;
    this.#stats.queued -= waiters.length;
    for (const waiter of waiters) waiter.resolve();
  }
}
