/**
 * The history bounds of the in-memory engines (`MemoryEngine`,
 * `BroadcastChannelEngine`), with their defaults.
 *
 * @module
 */

/** The defaults of {@linkcode MemoryEngineOptions}. */
export const MEMORY_ENGINE_DEFAULTS: {
  readonly historySize: number;
  readonly historyBytes: number;
  readonly maxTopics: number;
} = Object.freeze({
  historySize: 100,
  historyBytes: 16 * 1024 * 1024,
  maxTopics: 100_000,
});

/** History bounds of the in-memory engines. */
export interface MemoryEngineOptions {
  /** Messages kept per topic for recovery; 0 keeps none. @default {100} */
  historySize?: number | undefined;
  /**
   * Bytes of messages kept over all topics (text counted by its length):
   * past it, the histories of the least recently published topics go first.
   * @default {16777216}
   */
  historyBytes?: number | undefined;
  /**
   * Topics whose position is remembered; past it the least recently
   * published is forgotten (its next message starts a new epoch).
   * @default {100000}
   */
  maxTopics?: number | undefined;
}
