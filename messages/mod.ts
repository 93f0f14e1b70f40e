/**
 * Messages above the frame level: reassembly of fragments with incremental
 * UTF-8 validation and size limits, fragmentation of outgoing messages, and
 * close frame bodies (RFC 6455 §5.4–§5.6, §7, §8.1).
 *
 * @module
 */
export * from "./close_payload.ts";
export * from "./message.ts";
export * from "./message_assembler.ts";
export * from "./message_decoder_stream.ts";
export * from "./message_encoder.ts";
export * from "./message_encoder_stream.ts";
export * from "./utf8_validator.ts";
