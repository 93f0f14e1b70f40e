/**
 * Messages above the frame level: reassembly of fragments with incremental
 * UTF-8 validation and size limits, fragmentation of outgoing messages, and
 * close frame bodies (RFC 6455 §5.4–§5.6, §7, §8.1).
 *
 * @example
 * ```ts
 * import { FrameDecoder, FrameEncoder } from "@edgews/websocket/frames";
 * import { type Message, MessageAssembler, MessageEncoder } from "@edgews/websocket/messages";
 * import assert from "node:assert/strict";
 *
 * const received: Message[] = [];
 * const decoder = new FrameDecoder(new MessageAssembler((m) => received.push(m)), {
 *   role: "server",
 * });
 * const frames = new FrameEncoder({ role: "client" });
 * for (const frame of new MessageEncoder({ fragmentSize: 2 }).encode({ type: "text", data: "héllo" })) {
 *   for (const chunk of frames.encode(frame)) decoder.write(chunk);
 * }
 * assert.deepEqual(received, [{ type: "text", data: "héllo" }]);
 * ```
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
