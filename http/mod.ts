/**
 * A sans-I/O HTTP/1.1 codec (RFC 9112): an incremental head scanner, the
 * request head parser and the body-framing rules against request
 * smuggling, the chunked coding both ways, and head readers and writers
 * for the WebSocket handshake. Fed bytes, it returns values; the server in
 * `server/` is the thin I/O around it.
 *
 * @example Find a request's head and body framing in bytes that came in pieces
 * ```ts
 * import { ChunkedDecoder, HeadScanner, parseRequestHead, requestFraming } from "@edgews/websocket/http";
 * import assert from "node:assert/strict";
 *
 * const wire = new TextEncoder().encode(
 *   "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
 * );
 * const scanner = new HeadScanner("request", { maxHeadSize: 16384, maxHeaders: 100 });
 * let found;
 * for (let i = 0; i < wire.length && found === undefined; i++) {
 *   found = scanner.push(wire.subarray(i, i + 1), true); // one byte at a time
 * }
 * const head = parseRequestHead(found!.lines);
 * assert.equal(requestFraming(head).body, "chunked");
 * const rest = wire.subarray(wire.indexOf(0x33)); // "3\r\nabc..."
 * const data: Uint8Array[] = [];
 * new ChunkedDecoder().decode(rest, data);
 * assert.equal(new TextDecoder().decode(data[0]), "abc");
 * ```
 *
 * @module
 */
export * from "./chunked.ts";
export * from "./head_scanner.ts";
export * from "./http_head.ts";
export * from "../errors/http_head_error.ts";
export * from "./message_framing.ts";
export * from "./request_head.ts";
