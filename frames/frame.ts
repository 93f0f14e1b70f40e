/**
 * One WebSocket frame.
 *
 * The payload is always the unmasked application data; `mask` records the key
 * that was (or is to be) applied on the wire. Length and mask bit are derived
 * from the payload and the key when encoding.
 */
export interface Frame {
  /** Final fragment of a message. */
  fin: boolean;
  /** Reserved bit 1 (used by permessage-deflate for "compressed"). */
  rsv1: boolean;
  /** Reserved bit 2. */
  rsv2: boolean;
  /** Reserved bit 3. */
  rsv3: boolean;
  /** 4-bit opcode; see `Opcode`. */
  opcode: number;
  /** The 4-byte masking key on the wire, or `undefined` for an unmasked frame. */
  mask: Uint8Array | undefined;
  /** Unmasked payload bytes. */
  payload: Uint8Array;
}

/**
 * A frame to encode: `fin` defaults to `true`, the reserved bits to `false`,
 * and `mask` to the encoder's own choice.
 */
export interface FrameInit {
  /** Final fragment of a message. @default {true} */
  fin?: boolean | undefined;
  /** Reserved bit 1. @default {false} */
  rsv1?: boolean | undefined;
  /** Reserved bit 2. @default {false} */
  rsv2?: boolean | undefined;
  /** Reserved bit 3. @default {false} */
  rsv3?: boolean | undefined;
  /** 4-bit opcode; see `Opcode`. */
  opcode: number;
  /** Masking key to use; `undefined` lets the encoder decide by its role. */
  mask?: Uint8Array | undefined;
  /** Unmasked payload bytes. */
  payload: Uint8Array;
}

/**
 * The part of a frame that precedes the payload, as handed to a
 * {@linkcode FrameHandler} before the payload bytes.
 */
export interface FrameHeader {
  /** Final fragment of a message. */
  fin: boolean;
  /** Reserved bit 1. */
  rsv1: boolean;
  /** Reserved bit 2. */
  rsv2: boolean;
  /** Reserved bit 3. */
  rsv3: boolean;
  /** 4-bit opcode. */
  opcode: number;
  /**
   * The masking key, or `undefined` for an unmasked frame. The decoder reuses
   * this buffer for every frame: copy it to keep it.
   */
  mask: Uint8Array | undefined;
  /** Payload length in bytes. */
  length: number;
}

/**
 * Receives a decoded frame piece by piece from a `FrameDecoder`: the header,
 * then the unmasked payload in one or more slices (none for an empty
 * payload), then the end. Payload views are only valid during the call: copy
 * what you keep. A handler may throw a `WebSocketError` to fail the
 * connection; the decoder records it and stops.
 */
export interface FrameHandler {
  /** A validated header. */
  onFrameStart(header: FrameHeader): void;
  /** The next slice of unmasked payload. */
  onFramePayload(chunk: Uint8Array): void;
  /** The frame's payload is complete. */
  onFrameEnd(): void;
}
