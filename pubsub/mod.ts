/**
 * Topics over WebSockets with exact-match names: `subscribe(socket, topic)`,
 * `publish(topic, data)`, a slow-member policy per member, numbered
 * messages (offset and epoch) with bounded history, and an engine that
 * carries messages to the other processes sharing the topics.
 *
 * @module
 */
export * from "./broadcast_channel_engine.ts";
export * from "./engine.ts";
export * from "./history_options.ts";
export * from "./memory_engine.ts";
export * from "./pubsub.ts";
export * from "./redis_client.ts";
export * from "./redis_engine.ts";
export * from "./redis_options.ts";
export * from "./redis_subscriber.ts";
export * from "./resp.ts";
