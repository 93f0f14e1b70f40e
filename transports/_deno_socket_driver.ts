/**
 * Deno's sockets for {@linkcode _connectWith}: `Deno.connect`,
 * `Deno.connectTls` and `Deno.startTls`, behind `denoConnector` and its
 * proxy tunnels. Not exported from `mod.ts`.
 *
 * @module
 */

import { _DenoConnDuplex } from "../server/_deno_conn_duplex.ts";
import { _noDelay } from "../server/_no_delay.ts";
import type { ByteDuplex } from "../connection/duplex.ts";
import type { _SocketDriver, _TlsSettings } from "./_socket_connector.ts";

/** The Deno driver. */
export const _denoDriver: _SocketDriver<Deno.Conn> = {
  async open(host, port, tls, _startTlsLater, signal) {
    const conn = tls === undefined
      ? await Deno.connect({ hostname: host, port, signal } as Deno.ConnectOptions)
      : await Deno.connectTls({
        hostname: host,
        port,
        ..._caOption(tls),
        signal,
      } as Deno.ConnectTlsOptions);
    _noDelay(conn);
    return conn;
  },
  async startTls(conn, tls) {
    return await Deno.startTls(conn as Deno.TcpConn, {
      hostname: tls.serverName,
      ..._caOption(tls),
    });
  },
  async read(conn) {
    const buffer = new Uint8Array(16 * 1024);
    const n = await conn.read(buffer);
    return n === null ? null : buffer.subarray(0, n);
  },
  async write(conn, bytes) {
    let offset = 0;
    while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
  },
  duplex(conn): ByteDuplex {
    return new _DenoConnDuplex(conn);
  },
  close: _closeQuietly,
};

function _caOption(tls: _TlsSettings): { caCerts?: string[] } {
  return tls.caCerts === undefined ? {} : { caCerts: tls.caCerts };
}

function _closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}
