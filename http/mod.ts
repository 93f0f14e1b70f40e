/**
 * A sans-I/O HTTP/1.1 codec (RFC 9112): an incremental head scanner, the
 * request head parser and the body-framing rules against request
 * smuggling, the chunked coding both ways, and head readers and writers
 * for the WebSocket handshake. Fed bytes, it returns values; the server in
 * `server/` is the thin I/O around it.
 *
 * @module
 */
export * from "./chunked.ts";
export * from "./head_scanner.ts";
export * from "./http_head.ts";
export * from "../errors/http_head_error.ts";
export * from "./message_framing.ts";
export * from "./request_head.ts";
