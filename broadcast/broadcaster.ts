import { _Fanout } from "./_fanout.ts";
import type { BroadcastMember, BroadcastStats, SlowMemberOptions } from "./slow_member.ts";

/**
 * A message on the wire between broadcasters of several processes.
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
 * Options for {@linkcode Broadcaster}: the slow-member policy, and a relay
 * to other processes.
 */
export interface BroadcasterOptions extends SlowMemberOptions {
  /** Relay to and from other processes, e.g. `new BroadcastChannel("chat")`. */
  adapter?: BroadcastAdapter | undefined;
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
  #fanout: _Fanout<string | Uint8Array>;
  #adapter: BroadcastAdapter | undefined;
  #onAdapterMessage: ((event: MessageEvent) => void) | undefined;

  /**
   * Create a broadcaster.
   *
   * @param options The slow-member policy, its limits, and an optional adapter.
   */
  constructor(options: BroadcasterOptions = {}) {
    this.#fanout = new _Fanout(options, {
      send: (member, data) => member.socket.send(data),
    });
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
    return this.#fanout.stats;
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
    return this.#fanout.size(topic);
  }

  /**
   * Add `socket` to `topic`. A socket with `addEventListener` leaves every
   * topic by itself when it closes.
   *
   * @param socket The member.
   * @param topic The topic to join.
   */
  subscribe(socket: BroadcastMember, topic: string): void {
    this.#fanout.subscribe(socket, topic);
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
    // Refused before anyone gets it (as PubSub does), not after the fast members.
    if (this.#fanout.full) return Promise.reject(this.#fanout.fullError());
    this.#adapter?.postMessage({ topic, data });
    return this.#deliver(topic, data);
  }

  /** Detach from the adapter and stop the timer; members are left open. */
  close(): void {
    if (this.#adapter !== undefined && this.#onAdapterMessage !== undefined) {
      this.#adapter.removeEventListener("message", this.#onAdapterMessage);
      this.#adapter.close?.();
    }
    this.#fanout.close();
  }

  #deliver(topic: string, data: string | Uint8Array): Promise<void> {
    return this.#fanout.deliver(topic, data) ?? Promise.resolve();
  }
}
