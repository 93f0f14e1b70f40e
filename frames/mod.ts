/**
 * WebSocket frames (RFC 6455 §5): the {@linkcode Frame} type, the
 * incremental {@linkcode FrameDecoder}, the serializer, their
 * `TransformStream` wrappers, close codes and the {@linkcode WebSocketError}
 * type.
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
