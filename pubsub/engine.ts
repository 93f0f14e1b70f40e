/**
 * Where a topic stands: the offset of its last message, in an epoch. Offsets
 * count from 1 and grow by one per message; the epoch names one unbroken
 * history of the topic, and changes when that history is lost (the broker
 * restarted without persistence, the topic expired, the process that kept
 * it in memory restarted). An offset only means something with its epoch.
 */
export interface StreamPosition {
  /** The last message's offset; 0 before the first. */
  offset: number;
  /** The history's name; `""` for a topic that has none yet. */
  epoch: string;
}

/** A message of a topic, numbered. */
export interface TopicMessage extends StreamPosition {
  /** The topic it was published to. */
  topic: string;
  /** The message as published: a string goes out as text, bytes as binary. */
  data: string | Uint8Array;
}

/**
 * What an engine finds in a topic's history after a position: the messages
 * that came after it, or `ok: false` when it cannot tell (the history was
 * lost, or no longer reaches back that far). Then the client must resync.
 */
export type HistoryResult =
  | {
    ok: true;
    /** The messages after the position asked for, in order. */
    messages: TopicMessage[];
    /** The topic's position after the last of them. */
    position: StreamPosition;
  }
  | {
    ok: false;
    /** Why: the epoch changed, or the history no longer reaches back. */
    reason: "epoch-changed" | "too-old";
    /** The topic's current position, to resume from after a resync. */
    position: StreamPosition;
  };

/**
 * Fan-out across processes: a `PubSub` hands its publishes to the engine,
 * and the engine hands back, through the function given to `open`, every
 * message of the topics this node subscribed to, its own included: once
 * each, in offset order per topic. A node subscribes upstream only to
 * topics it has local members for; `history` is bounded and says so
 * (`ok: false`) rather than returning part of what was asked.
 */
export interface PubSubEngine {
  /** This node's id, carried by its messages through the broker. */
  readonly nodeId: string;
  /** Start: messages of subscribed topics go to `onMessage`. Called once, first. */
  open(onMessage: (message: TopicMessage) => void): void;
  /** Publish to every node subscribed to `topic`; resolves with the message's position. */
  publish(topic: string, data: string | Uint8Array): Promise<StreamPosition>;
  /** Receive `topic`'s messages from now on; resolves with its position once they flow. */
  subscribe(topic: string): Promise<StreamPosition>;
  /** Stop receiving `topic`'s messages. */
  unsubscribe(topic: string): void;
  /** The messages of `topic` after `since`, from the bounded history. */
  history(topic: string, since: StreamPosition): Promise<HistoryResult>;
  /** Release connections and timers. */
  close(): Promise<void>;
}
