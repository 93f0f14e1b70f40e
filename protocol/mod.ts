/**
 * The sans-I/O connection state machine: {@linkcode WebSocketProtocol}.
 *
 * @module
 */
export * from "./websocket_protocol.ts";
