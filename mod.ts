/**
 * A zero-dependency WebSocket implementation (RFC 6455) built from web
 * standard parts, for Deno and edge runtimes.
 *
 * The protocol core has no I/O: {@linkcode FrameDecoder} and
 * {@linkcode MessageAssembler} are synchronous incremental parsers that take
 * chunks of any size, {@linkcode FrameEncoder} and {@linkcode MessageEncoder}
 * serialize, and {@linkcode mask} does client masking a word at a time. The
 * `*Stream` classes wrap them as `TransformStream`s for composition.
 *
 * @example Round trip a fragmented text message through the core
 * ```ts
 * import {
 *   FrameDecoder,
 *   FrameEncoder,
 *   type Message,
 *   MessageAssembler,
 *   MessageEncoder,
 * } from "@edgews/websocket";
 * import assert from "node:assert/strict";
 *
 * const received: Message[] = [];
 * const server = new FrameDecoder(
 *   new MessageAssembler((message) => received.push(message)),
 *   { role: "server" },
 * );
 * const client = new FrameEncoder({ role: "client" }); // masks every frame
 * for (const frame of new MessageEncoder({ fragmentSize: 4 }).encode({ type: "text", data: "Hello, world" })) {
 *   for (const bytes of client.encode(frame)) server.write(bytes);
 * }
 * assert.deepEqual(received, [{ type: "text", data: "Hello, world" }]);
 * ```
 *
 * @module
 */
export * from "./masking/mod.ts";
export * from "./frames/mod.ts";
export * from "./messages/mod.ts";
export * from "./inspector/mod.ts";
export * from "./protocol/mod.ts";
export * from "./handshake/mod.ts";
export * from "./compression/mod.ts";
export * from "./connection/mod.ts";
export * from "./transports/mod.ts";
export * from "./transports/proxy.ts";
export * from "./errors/proxy_error.ts";
export * from "./transports/cloudflare.ts";
export * from "./broadcast/mod.ts";
