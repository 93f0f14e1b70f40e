/**
 * The close codes and error classes every layer shares: {@linkcode CloseCode},
 * {@linkcode WebSocketError} and its subclasses for a refused handshake
 * ({@linkcode HandshakeStatusError}) or proxy ({@linkcode ProxyError}), and
 * {@linkcode HttpHeadError} for an HTTP head that cannot be read. This folder
 * imports nothing, so any layer can throw or catch these.
 *
 * @module
 */
export * from "./close_code.ts";
export * from "./handshake_status_error.ts";
export * from "./http_head_error.ts";
export * from "./proxy_error.ts";
export * from "./websocket_error.ts";
