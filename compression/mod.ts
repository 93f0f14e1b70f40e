/**
 * permessage-deflate (RFC 7692): the negotiation this runtime can honour
 * and the per-message codec. Synchronous on the runtime's `node:zlib`
 * (Deno, Node, Bun), with the LZ77 window kept from message to message
 * (context takeover) and decompression bounded by the message size limit;
 * `CompressionStream` where there is no zlib.
 *
 * The connection layer uses it when `perMessageDeflate` is set (clients
 * offer it by default, servers accept it when asked to).
 *
 * @module
 */
export * from "./deflate_codec.ts";
export * from "./per_message_deflate.ts";
