/**
 * Broadcast to many WebSockets by topic, with a policy for slow members
 * (wait, drop the oldest, or close) so memory stays bounded, and an adapter
 * (a web-standard `BroadcastChannel`, say) to reach other processes.
 *
 * @example
 * ```ts
 * import { Broadcaster } from "@edgews/websocket/broadcast";
 *
 * const room = new Broadcaster({ policy: "drop-oldest", maxQueue: 100 });
 * // room.subscribe(socket, "lobby"); await room.publish("lobby", "hello");
 * room.close();
 * ```
 *
 * @module
 */
export * from "./broadcaster.ts";
export * from "./slow_member.ts";
