/**
 * The lingering close, shared by the HTTP server and the WebSocket channel.
 * Not exported from `mod.ts`.
 *
 * @module
 */

/** What a lingering close reads and drops at most before it closes anyway. */
export const _LINGER_BYTES = 1024 * 1024;
/** How long a lingering close waits at most for the peer to close. */
export const _LINGER_MS = 1000;

/** The parts of a socket a lingering close uses. */
export interface _Lingering {
  closeWrite(): Promise<void>;
  read(buffer: Uint8Array): Promise<number | null>;
  close(): void;
}

/**
 * Close once the peer has stopped sending. Closing a socket with bytes
 * unread makes the kernel answer with a reset, and a reset can destroy what
 * was sent last (an error response, a close frame that says 1009) before
 * the peer reads it. So this side is ended first (FIN behind the queued
 * bytes), then what the peer still sends is read into `buffer` and dropped
 * until it closes, for at most {@linkcode _LINGER_MS} and
 * {@linkcode _LINGER_BYTES}; then `socket` is closed.
 */
export async function _lingeringClose(socket: _Lingering, buffer: Uint8Array): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await socket.closeWrite();
    const deadline = new Promise<null>((resolve) => timer = setTimeout(resolve, _LINGER_MS, null));
    for (let total = 0; total < _LINGER_BYTES;) {
      const n = await Promise.race([socket.read(buffer).catch(() => null), deadline]);
      if (n === null) break;
      total += n;
    }
  } catch {
    // The transport is gone already.
  } finally {
    clearTimeout(timer);
    try {
      socket.close();
    } catch {
      // Already closed.
    }
  }
}
