/**
 * The core of topic fan-out, shared by `Broadcaster` and `PubSub`: members
 * by topic, and the slow-member policy applied per member, over items of
 * any type (a message for `Broadcaster`, a pre-encoded publication for
 * `PubSub`). How an item reaches a socket is the owner's `send`. Not
 * exported from `mod.ts`.
 *
 * @module
 */

import {
  type BroadcastMember,
  type BroadcastStats,
  SLOW_MEMBER_DEFAULTS,
  type SlowMemberOptions,
  type SlowMemberPolicy,
} from "./slow_member.ts";

/** One socket's membership; `sink` is the owner's to use (a cache per socket). */
export interface _FanoutMember<T> {
  readonly socket: BroadcastMember;
  readonly topics: Set<string>;
  sink: unknown;
  /** `"drop-oldest"` queue (at most maxQueue). */
  queue: T[];
  /** `"wait"`: items, in order, whose publishes wait for this member to have room. */
  waiters: { item: T; resolve: () => void }[];
}

/** What the owner does: hand an item to a member, and hear about topics coming and going. */
export interface _FanoutOwner<T> {
  /** Send `item` to the member's socket; may throw when the socket cannot send. */
  send(member: _FanoutMember<T>, item: T): void;
  /** A topic got its first member (`true`) or lost its last (`false`). */
  topicChanged?(topic: string, present: boolean): void;
}

/** Members by topic, and the slow-member policy per member. */
export class _Fanout<T> {
  #owner: _FanoutOwner<T>;
  #policy: SlowMemberPolicy;
  #highWaterMark: number;
  #maxQueue: number;
  #maxPending: number;
  #closeCode: number;
  #pollInterval: number;
  #members = new Map<BroadcastMember, _FanoutMember<T>>();
  #topics = new Map<string, Set<_FanoutMember<T>>>();
  #slow = new Set<_FanoutMember<T>>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pending = 0;
  #stats: BroadcastStats = { sent: 0, dropped: 0, closed: 0, queued: 0 };

  constructor(options: SlowMemberOptions, owner: _FanoutOwner<T>) {
    this.#owner = owner;
    this.#policy = options.policy ?? SLOW_MEMBER_DEFAULTS.policy;
    this.#highWaterMark = options.highWaterMark ?? SLOW_MEMBER_DEFAULTS.highWaterMark;
    this.#maxQueue = options.maxQueue ?? SLOW_MEMBER_DEFAULTS.maxQueue;
    this.#maxPending = options.maxPending ?? SLOW_MEMBER_DEFAULTS.maxPending;
    this.#closeCode = options.closeCode ?? SLOW_MEMBER_DEFAULTS.closeCode;
    this.#pollInterval = options.pollInterval ?? SLOW_MEMBER_DEFAULTS.pollInterval;
  }

  get policy(): SlowMemberPolicy {
    return this.#policy;
  }

  /** Under `"wait"`: whether `maxPending` publishes already wait (a new one would be refused). */
  get full(): boolean {
    return this.#policy === "wait" && this.#pending >= this.#maxPending;
  }

  get stats(): Readonly<BroadcastStats> {
    return { ...this.#stats };
  }

  /** Members of `topic` or of all; closing sockets are removed first, and not counted. */
  size(topic?: string): number {
    const members = topic === undefined ? this.#members.values() : this.#topics.get(topic);
    if (members === undefined) return 0;
    for (const member of members) if (member.socket.readyState > 1) this.#remove(member);
    return topic === undefined ? this.#members.size : (this.#topics.get(topic)?.size ?? 0);
  }

  /** The topics `socket` is a member of. */
  topicsOf(socket: BroadcastMember): ReadonlySet<string> {
    return this.#members.get(socket)?.topics ?? new Set();
  }

  subscribe(socket: BroadcastMember, topic: string): void {
    // A closed socket would never leave (its close event has passed).
    if (socket.readyState > 1) return;
    let member = this.#members.get(socket);
    if (member === undefined) {
      member = { socket, topics: new Set(), sink: undefined, queue: [], waiters: [] };
      this.#members.set(socket, member);
      socket.addEventListener?.("close", () => this.unsubscribe(socket));
    }
    member.topics.add(topic);
    let members = this.#topics.get(topic);
    if (members === undefined) {
      this.#topics.set(topic, members = new Set());
      this.#owner.topicChanged?.(topic, true);
    }
    members.add(member);
  }

  unsubscribe(socket: BroadcastMember, topic?: string): void {
    const member = this.#members.get(socket);
    if (member === undefined) return;
    for (const name of topic === undefined ? [...member.topics] : [topic]) {
      if (member.topics.delete(name)) this.#leave(member, name);
    }
    if (member.topics.size === 0) this.#remove(member);
  }

  /**
   * Give `item` to every member of `topic`.
   *
   * @returns A promise under `"wait"` while a member is slow, else `undefined`.
   */
  deliver(topic: string, item: T): Promise<void> | undefined {
    const members = this.#topics.get(topic);
    if (members === undefined) return undefined;
    let waits: Promise<void>[] | undefined;
    for (const member of members) {
      const wait = this.#offer(member, item);
      if (wait !== undefined) (waits ??= []).push(wait);
    }
    if (waits === undefined) return undefined;
    return waits.length === 1 ? waits[0] : Promise.all(waits).then(() => {});
  }

  /** Give `item` to one member (the policy applies), e.g. a missed message on recovery. */
  deliverTo(socket: BroadcastMember, item: T): Promise<void> | undefined {
    const member = this.#members.get(socket);
    return member === undefined ? undefined : this.#offer(member, item);
  }

  /** The error for a publish refused under `"wait"`. */
  fullError(): RangeError {
    return new RangeError(
      `Cannot publish: ${this.#pending} publishes already wait for slow members (maxPending)`,
    );
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const member of this.#members.values()) this.#release(member);
    this.#members.clear();
    this.#topics.clear();
    this.#slow.clear();
  }

  /** Give `item` to one member, or apply the policy; a promise when it must wait. */
  #offer(member: _FanoutMember<T>, item: T): Promise<void> | undefined {
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
        } else this.#send(member, item);
        return undefined;
      case "drop-oldest":
        if (!slow && member.queue.length === 0) {
          this.#send(member, item);
          return undefined;
        }
        if (member.queue.length >= this.#maxQueue) {
          member.queue.shift();
          this.#stats.dropped++;
          this.#stats.queued--;
        }
        member.queue.push(item);
        this.#stats.queued++;
        this.#markSlow(member);
        return undefined;
      case "wait":
        if (!slow && member.waiters.length === 0) {
          this.#send(member, item);
          return undefined;
        }
        if (this.#pending >= this.#maxPending) return Promise.reject(this.fullError());
        this.#pending++;
        this.#stats.queued++;
        this.#markSlow(member);
        return new Promise<void>((resolve) => member.waiters.push({ item, resolve }));
    }
  }

  #send(member: _FanoutMember<T>, item: T): void {
    try {
      this.#owner.send(member, item);
      this.#stats.sent++;
    } catch {
      // A socket that cannot send any more is on its way out.
      this.#remove(member);
    }
  }

  #markSlow(member: _FanoutMember<T>): void {
    this.#slow.add(member);
    this.#timer ??= setTimeout(() => this.#poll(), this.#pollInterval);
  }

  /** Move queued items to members that have room again. */
  #poll(): void {
    this.#timer = undefined;
    for (const member of this.#slow) {
      const socket = member.socket;
      if (socket.readyState !== 1) {
        this.#remove(member);
        continue;
      }
      while (socket.bufferedAmount <= this.#highWaterMark) {
        if (member.queue.length > 0) {
          const next = member.queue.shift()!;
          this.#stats.queued--;
          this.#send(member, next);
          continue;
        }
        const waiter = member.waiters.shift();
        if (waiter === undefined) break;
        this.#pending--;
        this.#stats.queued--;
        this.#send(member, waiter.item);
        waiter.resolve();
      }
      if (member.queue.length === 0 && member.waiters.length === 0) this.#slow.delete(member);
    }
    if (this.#slow.size > 0) this.#timer = setTimeout(() => this.#poll(), this.#pollInterval);
  }

  #leave(member: _FanoutMember<T>, topic: string): void {
    const members = this.#topics.get(topic);
    if (members === undefined) return;
    members.delete(member);
    if (members.size === 0) {
      this.#topics.delete(topic);
      this.#owner.topicChanged?.(topic, false);
    }
  }

  #remove(member: _FanoutMember<T>): void {
    if (this.#members.get(member.socket) !== member) return;
    this.#members.delete(member.socket);
    for (const name of member.topics) this.#leave(member, name);
    member.topics.clear();
    this.#release(member);
  }

  /** Drop a member's queue and let its waiting publishes go (they have nobody to wait for). */
  #release(member: _FanoutMember<T>): void {
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
