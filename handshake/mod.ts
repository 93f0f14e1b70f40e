/**
 * The opening handshake (RFC 6455 §4) without I/O: build and verify the
 * client's side, negotiate the server's side, and a small HTTP/1.1 head
 * codec that reads a head off a byte stream (with size limits and a
 * deadline) and hands back the bytes that follow it, which belong to the
 * WebSocket stream. Plus the pieces: `Sec-WebSocket-Accept`, token lists,
 * and the `Sec-WebSocket-Extensions` grammar (§9.1).
 *
 * @example Both sides of a handshake over an in-memory byte stream
 * ```ts
 * import {
 *   createClientHandshake,
 *   negotiateServerHandshake,
 *   readRequestHead,
 *   readResponseHead,
 *   verifyServerHandshake,
 *   writeRequestHead,
 *   writeResponseHead,
 * } from "@edgews/websocket/handshake";
 * import assert from "node:assert/strict";
 *
 * // Client: build the request and put it on the wire.
 * const client = createClientHandshake("ws://example.com/chat", { protocols: ["chat"] });
 * const toServer = ReadableStream.from([writeRequestHead(client.request)]);
 *
 * // Server: read the head, decide, answer.
 * const { request, httpVersion } = await readRequestHead(toServer, {
 *   signal: AbortSignal.timeout(5000),
 * });
 * const result = await negotiateServerHandshake(request, { protocols: ["chat"] }, { httpVersion });
 * assert.ok(result.ok);
 * const toClient = ReadableStream.from([writeResponseHead(result.status, "", result.headers)]);
 *
 * // Client: read and verify the answer.
 * const head = await readResponseHead(toClient);
 * const accepted = await verifyServerHandshake(head, { key: client.key, protocols: ["chat"] });
 * assert.equal(accepted.protocol, "chat");
 * ```
 *
 * @module
 */
export * from "./accept_key.ts";
export * from "./client_handshake.ts";
export * from "./extension_header.ts";
export * from "../errors/handshake_status_error.ts";
export * from "./header_tokens.ts";
export * from "../http/http_head.ts";
export * from "../errors/http_head_error.ts";
export * from "./server_handshake.ts";
export * from "./permessage_deflate.ts";
