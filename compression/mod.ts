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
 * @example Compress and decompress with context takeover
 * ```ts
 * import { PerMessageDeflate } from "@edgews/websocket/compression";
 * import assert from "node:assert/strict";
 *
 * const server = PerMessageDeflate.fromHandshake("permessage-deflate", "server", { threshold: 0 })!;
 * const client = PerMessageDeflate.fromHandshake("permessage-deflate", "client")!;
 * const update = new TextEncoder().encode(JSON.stringify({ type: "price", symbol: "ACME", bid: 101.5 }));
 * const first = server.compress(update)!;
 * const second = server.compress(update)!; // mostly a reference to the first
 * assert.ok(second.length < first.length);
 * assert.deepEqual(client.decompress(first, 1 << 20), update);
 * assert.deepEqual(client.decompress(second, 1 << 20), update);
 * server.close();
 * client.close();
 * ```
 *
 * @module
 */
export * from "./deflate_codec.ts";
export * from "./per_message_deflate.ts";
