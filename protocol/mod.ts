/**
 * The sans-I/O connection state machine: {@linkcode WebSocketProtocol}.
 *
 * @example
 * ```ts
 * import { WebSocketProtocol } from "@edgews/websocket/protocol";
 * import assert from "node:assert/strict";
 *
 * const server = new WebSocketProtocol({ role: "server" });
 * server.receiveData(new Uint8Array([0x89, 0x80, 1, 2, 3, 4])); // masked empty ping
 * assert.deepEqual(server.eventsReceived(), [{ type: "ping", data: new Uint8Array() }]);
 * assert.deepEqual([...server.dataToSend()[0]!], [0x8a, 0x00]); // automatic pong
 * ```
 *
 * @module
 */
export * from "./websocket_protocol.ts";
