/**
 * Node and Bun sockets for {@linkcode _connectWith} and the Node server:
 * `node:net`/`node:tls`, web streams through `Duplex.toWeb`. Not exported
 * from `mod.ts`.
 *
 * @module
 */

import * as net from "node:net";
import { Duplex } from "node:stream";
import * as tls from "node:tls";
import type { ByteDuplex } from "../connection/duplex.ts";
import type { _SocketDriver, _TlsSettings } from "./_socket_connector.ts";

/** The Node driver. */
export const _nodeDriver: _SocketDriver<net.Socket> = {
  open(host, port, settings, _startTlsLater, signal) {
    const socket = settings === undefined
      ? net.connect({ host, port })
      : tls.connect({ host, port, ..._tlsOptions(host, settings) });
    return _whenConnected(socket, settings === undefined ? "connect" : "secureConnect", signal);
  },
  startTls(socket, settings, signal) {
    const secure = tls.connect({
      socket,
      host: settings.serverName,
      ..._tlsOptions(settings.serverName, settings),
    });
    return _whenConnected(secure, "secureConnect", signal);
  },
  read: _readOnce,
  write(socket, bytes) {
    return new Promise((resolve, reject) => {
      socket.write(bytes, (error) => error ? reject(error) : resolve());
    });
  },
  duplex: _nodeSocketDuplex,
  close(socket) {
    socket.destroy();
  },
};

/**
 * A Node socket as a {@linkcode ByteDuplex}: `Duplex.toWeb` for the
 * streams, `destroy()` to close.
 */
export function _nodeSocketDuplex(socket: net.Socket): ByteDuplex {
  const { readable, writable } = Duplex.toWeb(socket) as unknown as {
    readable: ReadableStream<Uint8Array>;
    writable: WritableStream<Uint8Array>;
  };
  return { readable, writable, close: () => socket.destroy() };
}

function _tlsOptions(host: string, settings: _TlsSettings): tls.ConnectionOptions {
  return {
    // RFC 6066 forbids IP addresses as SNI; the certificate is still checked against `host`.
    ...(net.isIP(host) === 0 ? { servername: host } : {}),
    // Extra CAs are trusted in addition to the system's, as Deno's caCerts are.
    ...(settings.caCerts === undefined
      ? {}
      : { ca: [...tls.rootCertificates, ...settings.caCerts] }),
    ALPNProtocols: ["http/1.1"],
  };
}

function _whenConnected(
  socket: net.Socket,
  event: "connect" | "secureConnect",
  signal: AbortSignal,
): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const done = () => {
      socket.off(event, onConnect);
      socket.off("error", onError);
      signal.removeEventListener("abort", onAbort);
    };
    const onConnect = () => {
      done();
      socket.setNoDelay(true);
      resolve(socket);
    };
    const onError = (error: Error) => {
      done();
      socket.destroy();
      reject(error);
    };
    const onAbort = () => onError(signal.reason);
    socket.once(event, onConnect);
    socket.once("error", onError);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** One chunk from a paused socket: nothing is read ahead, so TLS can start after it. */
function _readOnce(socket: net.Socket): Promise<Uint8Array | null> {
  return new Promise((resolve, reject) => {
    const done = () => {
      socket.off("readable", attempt);
      socket.off("end", onEnd);
      socket.off("close", onEnd);
      socket.off("error", onError);
    };
    const attempt = () => {
      const chunk = socket.read() as Uint8Array | null;
      if (chunk !== null) {
        done();
        resolve(chunk);
      }
    };
    const onEnd = () => {
      done();
      resolve(null);
    };
    const onError = (error: Error) => {
      done();
      reject(error);
    };
    socket.on("readable", attempt);
    socket.once("end", onEnd);
    socket.once("close", onEnd);
    socket.once("error", onError);
    attempt();
  });
}
