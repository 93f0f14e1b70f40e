/**
 * Broadcast to many WebSockets by topic, with a policy for slow members
 * (wait, drop the oldest, or close) so memory stays bounded, and an adapter
 * (a web-standard `BroadcastChannel`, say) to reach other processes.
 *
 * @module
 */
export * from "./broadcaster.ts";
export * from "./slow_member.ts";
