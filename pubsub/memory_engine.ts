import type { HistoryResult, PubSubEngine, StreamPosition, TopicMessage } from "./engine.ts";
import { _newEpoch, _TopicLog } from "./_topic_log.ts";
import type { MemoryEngineOptions } from "./history_options.ts";

/**
 * Fan-out within one process, with each topic's last messages kept in
 * memory for recovery. A restart starts new epochs: clients then resync.
 *
 * @example
 * ```ts
 * import { MemoryEngine, type TopicMessage } from "@edgews/websocket/pubsub";
 * import assert from "node:assert/strict";
 *
 * const engine = new MemoryEngine({ historySize: 2 });
 * const got: TopicMessage[] = [];
 * engine.open((message) => got.push(message));
 * await engine.subscribe("news");
 * await engine.publish("news", "a");
 * const second = await engine.publish("news", "b");
 * assert.deepEqual(got.map((m) => [m.data, m.offset]), [["a", 1], ["b", 2]]);
 * const missed = await engine.history("news", { offset: 1, epoch: second.epoch });
 * assert.ok(missed.ok && missed.messages[0]!.data === "b");
 * await engine.close();
 * ```
 */
export class MemoryEngine implements PubSubEngine {
  readonly nodeId: string = _newEpoch();
  #log: _TopicLog;
  #subscribed = new Set<string>();
  #onMessage: ((message: TopicMessage) => void) | undefined;

  /**
   * Create the engine.
   *
   * @param options History bounds.
   */
  constructor(options: MemoryEngineOptions = {}) {
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
   * Number and keep a message, and deliver it when its topic is subscribed.
   *
   * @param topic The topic.
   * @param data The message.
   * @returns Its position.
   */
  publish(topic: string, data: string | Uint8Array): Promise<StreamPosition> {
    const message = this.#log.append(topic, data);
    if (this.#subscribed.has(topic)) this.#onMessage?.(message);
    return Promise.resolve({ offset: message.offset, epoch: message.epoch });
  }

  /**
   * Deliver `topic`'s messages.
   *
   * @param topic The topic.
   * @returns Its position.
   */
  subscribe(topic: string): Promise<StreamPosition> {
    this.#subscribed.add(topic);
    return Promise.resolve(this.#log.position(topic));
  }

  /**
   * Stop delivering `topic`'s messages.
   *
   * @param topic The topic.
   */
  unsubscribe(topic: string): void {
    this.#subscribed.delete(topic);
  }

  /**
   * The messages after `since`.
   *
   * @param topic The topic.
   * @param since The last position the client has.
   * @returns The missed messages, or why they cannot be told.
   */
  history(topic: string, since: StreamPosition): Promise<HistoryResult> {
    return Promise.resolve(this.#log.since(topic, since));
  }

  /** Stop delivering. */
  close(): Promise<void> {
    this.#subscribed.clear();
    this.#onMessage = undefined;
    return Promise.resolve();
  }
}
