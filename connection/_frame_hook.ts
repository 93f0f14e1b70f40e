/**
 * The narrow internal way for `pubsub/` to put whole pre-encoded frames on
 * a server socket's outgoing queue, so that one publish is framed (and
 * compressed) once for many members: server frames are unmasked, so the
 * same bytes fit every connection. Set by the static blocks of `WebSocket`
 * and `WebSocketConnection`. Not exported from `mod.ts`.
 *
 * @module
 */

import type { PerMessageDeflateParams } from "../handshake/permessage_deflate.ts";

/** What `pubsub/` may do with a socket. */
export interface _FrameHook {
  /**
   * Whether `socket` takes pre-encoded frames, and with what compression:
   * `undefined` when it does not (not this module's `WebSocket`, a client,
   * not open, or `fragmentSize` set), `null` without permessage-deflate,
   * else the agreed parameters. Fixed for the connection's life.
   */
  compression(socket: object): PerMessageDeflateParams | null | undefined;
  /**
   * Queue one whole unmasked frame (a complete data message) on `socket`'s
   * outgoing queue, behind what is there. `false` when it cannot go now (a
   * Blob or a message being compressed still waits, the connection is
   * closing): the caller then uses `send`. (A `WebSocket` never sends a
   * message in chunks, so no frame can land inside one.)
   */
  write(socket: object, frame: Uint8Array): boolean;
}

/** Set by `WebSocket`'s static block. */
export const _frameHook: _FrameHook = {
  compression: () => undefined,
  write: () => false,
};

/**
 * The same on a `WebSocketConnection` (typed `object`: this file does not
 * import the class that imports it); set by that class's static block.
 */
export const _connectionFrames: {
  compression(connection: object): PerMessageDeflateParams | null | undefined;
  write(connection: object, frame: Uint8Array): boolean;
} = {
  compression: () => undefined,
  write: () => false,
};
