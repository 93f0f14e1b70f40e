/**
 * TCP_NODELAY for Deno connections (not exported from `mod.ts`).
 *
 * @module
 */

/**
 * Turn Nagle's algorithm off, as `ws` and browsers do: frames are already
 * batched into one write per task, and a frame held back waiting for an ACK
 * costs up to 40 ms of latency (delayed ACKs).
 */
export function _noDelay(conn: Deno.Conn): void {
  try {
    (conn as Partial<Deno.TcpConn>).setNoDelay?.(true);
  } catch {
    // Not a TCP connection, or already closed.
  }
}
