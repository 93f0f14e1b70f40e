/**
 * The accept loop of the bare floor servers (`bare_conn_server.ts`,
 * `bare_echo_server.ts`, `bare_handshake_server.ts`): listen, print
 * `listening on ws://HOST:PORT`, hand each connection to `handle` and close
 * it after, until SIGTERM or SIGINT closes the listener.
 *
 * @module
 */

/** Serve `handle` on `hostname:port` until a signal; `noDelay` sets TCP_NODELAY on each conn. */
export async function serveBare(
  hostname: string,
  port: number,
  handle: (conn: Deno.Conn) => Promise<void>,
  noDelay: boolean,
): Promise<void> {
  const listener = Deno.listen({ hostname, port });
  const addr = listener.addr as Deno.NetAddr;
  console.log(`listening on ws://${addr.hostname}:${addr.port}`);
  Deno.addSignalListener("SIGTERM", () => listener.close());
  Deno.addSignalListener("SIGINT", () => listener.close());
  try {
    for await (const conn of listener) {
      if (noDelay) conn.setNoDelay(true);
      handle(conn).catch(() => {}).finally(() => {
        try {
          conn.close();
        } catch {
          // Already closed.
        }
      });
    }
  } catch {
    // The listener was closed by a signal: stop.
  }
}
