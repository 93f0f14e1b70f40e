/**
 * WebSocket frames (RFC 6455 §5): the {@linkcode Frame} type, the
 * incremental {@linkcode FrameDecoder}, the serializer, their
 * `TransformStream` wrappers, close codes and the {@linkcode WebSocketError}
 * type.
 *
 * @example
 * ```ts
 * import { FrameDecoderStream, FrameEncoderStream, Opcode } from "@edgews/websocket/frames";
 * import assert from "node:assert/strict";
 *
 * const frames = await Array.fromAsync(
 *   ReadableStream.from([{ opcode: Opcode.Binary, payload: new Uint8Array([1, 2]) }])
 *     .pipeThrough(new FrameEncoderStream({ role: "client" }))
 *     .pipeThrough(new FrameDecoderStream({ role: "server" })),
 * );
 * assert.deepEqual([...frames[0]!.payload], [1, 2]);
 * ```
 *
 * @module
 */
export * from "../errors/close_code.ts";
export * from "./frame.ts";
export * from "./frame_collector.ts";
export * from "./frame_decoder.ts";
export * from "./frame_decoder_stream.ts";
export * from "./frame_encoder.ts";
export * from "./frame_encoder_stream.ts";
export * from "./opcode.ts";
export * from "../errors/websocket_error.ts";
