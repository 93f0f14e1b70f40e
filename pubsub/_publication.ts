/**
 * One published message on its way to many members, framed once: this
 * module's server sockets get the same frame bytes on their outgoing
 * queues; with permessage-deflate and no context takeover on the server
 * side, the same compressed frame (one per window size). Members that keep
 * a compression context, and other sockets, get `send()`. Not exported
 * from `mod.ts`.
 *
 * @module
 */

import type { _FanoutMember } from "../broadcast/_fanout.ts";
import { MessageDeflater } from "../compression/deflate_codec.ts";
import { _frameHook } from "../connection/_frame_hook.ts";
import { encodeFrame } from "../frames/frame_encoder.ts";
import { Opcode } from "../frames/opcode.ts";

/** How a member takes publications, found on its first one. */
const _Route = {
  /** Not this module's server socket, or it keeps a compression context: `send()`. */
  Send: -1,
  /** The uncompressed frame. */
  Plain: 0,
  // 8–15: the frame compressed with that window, without context takeover.
} as const;

/** Compression of publications shared by members without context takeover. */
export class _SharedDeflate {
  readonly threshold: number;
  #level: number;
  /** By window bits; `null` where the runtime has no synchronous zlib. */
  #deflaters = new Map<number, MessageDeflater | null>();

  constructor(threshold: number, level: number) {
    this.threshold = threshold;
    this.#level = level;
  }

  /** The compressed payload for a window, or `undefined` when it cannot be made. */
  deflate(payload: Uint8Array, windowBits: number): Uint8Array | undefined {
    let deflater = this.#deflaters.get(windowBits);
    if (deflater === undefined) {
      try {
        deflater = new MessageDeflater({ windowBits, level: this.#level, noContextTakeover: true });
      } catch {
        deflater = null;
      }
      this.#deflaters.set(windowBits, deflater);
    }
    try {
      return deflater?.deflate(payload);
    } catch {
      return undefined; // Sent uncompressed.
    }
  }

  close(): void {
    for (const deflater of this.#deflaters.values()) deflater?.close();
    this.#deflaters.clear();
  }
}

const _encoder = new TextEncoder();

/** A message as members receive it, framed once for all of them. */
export class _Publication {
  readonly payload: string | Uint8Array;
  #deflate: _SharedDeflate;
  #bytes: Uint8Array | undefined;
  #plain: Uint8Array | undefined;
  /** Compressed frames by window bits; `null`: send the plain frame. */
  #compressed: Map<number, Uint8Array | null> | undefined;

  constructor(payload: string | Uint8Array, deflate: _SharedDeflate) {
    this.payload = payload;
    this.#deflate = deflate;
  }

  /** Hand the message to one member. */
  sendTo(member: _FanoutMember<_Publication>): void {
    const socket = member.socket;
    let route = member.sink as number | undefined;
    if (route === undefined) route = member.sink = _route(socket);
    if (route === _Route.Send || !_frameHook.write(socket, this.#frame(route))) {
      socket.send(this.payload);
    }
  }

  #frame(route: number): Uint8Array {
    if (route !== _Route.Plain) {
      const compressed = this.#compressedFrame(route);
      if (compressed !== null) return compressed;
    }
    return this.#plain ??= encodeFrame({
      opcode: typeof this.payload === "string" ? Opcode.Text : Opcode.Binary,
      payload: this.#payloadBytes(),
    });
  }

  #compressedFrame(windowBits: number): Uint8Array | null {
    const frames = this.#compressed ??= new Map();
    let frame = frames.get(windowBits);
    if (frame === undefined) {
      const bytes = this.#payloadBytes();
      const compressed = bytes.length < this.#deflate.threshold
        ? undefined
        : this.#deflate.deflate(bytes, windowBits);
      frame = compressed === undefined ? null : encodeFrame({
        opcode: typeof this.payload === "string" ? Opcode.Text : Opcode.Binary,
        rsv1: true,
        payload: compressed,
      });
      frames.set(windowBits, frame);
    }
    return frame;
  }

  #payloadBytes(): Uint8Array {
    const payload = this.payload;
    return this.#bytes ??= typeof payload === "string" ? _encoder.encode(payload) : payload;
  }
}

/** How `socket` takes publications (see `_Route`). */
function _route(socket: object): number {
  const compression = _frameHook.compression(socket);
  if (compression === undefined) return _Route.Send;
  if (compression === null) return _Route.Plain;
  // With context takeover the peer's window holds this connection's own
  // earlier messages: only its own compressor may refer to them.
  return compression.serverNoContextTakeover ? compression.serverMaxWindowBits : _Route.Send;
}
