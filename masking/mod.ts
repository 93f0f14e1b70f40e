/**
 * Client-to-server masking (RFC 6455 §5.3): {@linkcode mask} XORs a payload
 * with a 4-byte key in place, {@linkcode maskInto} copies and masks in one
 * pass, and {@linkcode MaskKeyGenerator} hands out fresh keys from a strong
 * random source. Payloads from 256 bytes go through a tiny WebAssembly SIMD
 * module where the runtime allows it (16 bytes per instruction), shorter
 * ones and other runtimes through a 32-bit word loop.
 *
 * @module
 */
export * from "./mask.ts";
export * from "./mask_key_generator.ts";
