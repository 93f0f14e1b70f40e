import type { Frame, FrameHandler, FrameHeader } from "./frame.ts";

/**
 * A {@linkcode FrameHandler} that reassembles each frame's payload and passes
 * complete {@linkcode Frame} objects on. A payload that arrived in one slice
 * is passed as that view (no copy); one split over chunks is joined into a
 * new buffer. Use it where whole frames are wanted (tools, the
 * `FrameDecoderStream`); the message layer consumes slices directly.
 *
 * @example
 * ```ts
 * import { FrameCollector, FrameDecoder, type Frame } from "@edgews/websocket/frames";
 * import assert from "node:assert/strict";
 *
 * const frames: Frame[] = [];
 * const decoder = new FrameDecoder(
 *   new FrameCollector((frame) => frames.push(frame)),
 *   { role: "client" },
 * );
 * decoder.write(new Uint8Array([0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]));
 * assert.equal(frames[0]!.opcode, 0x9);
 * assert.equal(new TextDecoder().decode(frames[0]!.payload), "Hello");
 * ```
 */
export class FrameCollector implements FrameHandler {
  #onFrame: (frame: Frame) => void;
  #header: FrameHeader | undefined;
  #mask: Uint8Array | undefined;
  #payload: Uint8Array | undefined;
  #filled = 0;

  /**
   * Create a collector.
   *
   * @param onFrame Called with every complete frame.
   */
  constructor(onFrame: (frame: Frame) => void) {
    this.#onFrame = onFrame;
  }

  /** Remember the header; the decoder's reused mask buffer is copied. */
  onFrameStart(header: FrameHeader): void {
    this.#header = header;
    this.#mask = header.mask?.slice();
    this.#payload = undefined;
    this.#filled = 0;
  }

  /** Keep a whole-payload view, or copy slices into one buffer. */
  onFramePayload(chunk: Uint8Array): void {
    const length = this.#header!.length;
    if (this.#filled === 0 && chunk.length === length) {
      this.#payload = chunk;
    } else {
      this.#payload ??= new Uint8Array(length);
      this.#payload.set(chunk, this.#filled);
    }
    this.#filled += chunk.length;
  }

  /** Emit the complete frame. */
  onFrameEnd(): void {
    const header = this.#header!;
    this.#onFrame({
      fin: header.fin,
      rsv1: header.rsv1,
      rsv2: header.rsv2,
      rsv3: header.rsv3,
      opcode: header.opcode,
      mask: this.#mask,
      payload: this.#payload ?? new Uint8Array(0),
    });
    this.#header = undefined;
    this.#payload = undefined;
  }
}
