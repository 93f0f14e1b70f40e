/**
 * The connection layer: {@linkcode WebSocketConnection} runs the protocol
 * over any byte duplex; `WebSocketStream` and `WebSocket` are the public
 * shapes on top of it.
 *
 * @example
 * ```ts
 * import type { ByteDuplex, WebSocketCloseInfo } from "@edgews/websocket/connection";
 *
 * const pipe = new TransformStream<Uint8Array, Uint8Array>();
 * const duplex: ByteDuplex = { readable: pipe.readable, writable: pipe.writable };
 * const info: WebSocketCloseInfo = { closeCode: 1000, reason: "" };
 * ```
 *
 * @module
 */
export * from "./close_info.ts";
export * from "./connection_options.ts";
export * from "./duplex.ts";
export * from "./heartbeat.ts";
export * from "./streamed_message.ts";
export * from "./websocket_connection.ts";
export * from "./upgraded.ts";
export * from "./websocket.ts";
export * from "./websocket_stream.ts";
