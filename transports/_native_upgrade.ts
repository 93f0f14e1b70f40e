/**
 * `upgradeWebSocket` for requests this module's server did not read: those
 * of `Deno.serve` (and Deno Deploy), where only `Deno.upgradeWebSocket` can
 * take the connection over, and those of Cloudflare Workers, where a
 * `WebSocketPair` does. The runtime does the framing; the socket handed to
 * the application is this module's `WebSocket` all the same (see
 * `_native_socket_duplex.ts`). Not exported from `mod.ts`.
 *
 * @module
 */

import type { _PendingTransport } from "../connection/_server_socket.ts";
import type { UpgradedTransport } from "../connection/upgraded.ts";
import type { ConnectionOptions } from "../connection/connection_options.ts";
import { _negotiate, handshakeResponse } from "../handshake/server_handshake.ts";
import { type _NativeSocket, _nativeSocketDuplex, _whenOpen } from "./_native_socket_duplex.ts";
import type { UpgradeWebSocketOptions } from "./upgrade_websocket_options.ts";

/** What both server upgrades produce: the response, and what the socket is made of. */
export interface _PreparedUpgrade {
  response: Response;
  /** The socket's `ws:` or `wss:` URL (parsed by the socket's constructor). */
  url: string | URL;
  /** The socket's options. */
  options: ConnectionOptions;
  /** Its transport, once the upgrade is done. */
  pending: _PendingTransport;
}

/** Cloudflare's `WebSocketPair`: two linked sockets; the server end needs `accept()`. */
type _WebSocketPair = new () => Record<0 | 1, _NativeSocket & { accept(): void }>;

/** `Deno.upgradeWebSocket`, as far as this file uses it. */
type _DenoUpgrade = (
  request: Request,
  options?: { protocol?: string; idleTimeout?: number },
) => { response: Response; socket: _NativeSocket };

/**
 * Upgrade with the runtime's own WebSocket. The handshake is checked first
 * with this module's rules (origin policy, subprotocol choice, and the same
 * 400/403/426 answers); `options.headers` go on the 101. `heartbeat.interval`
 * maps to Deno's `idleTimeout` (whole seconds; `heartbeat: false` to 0, off):
 * the runtime sends the pings.
 * Extension options are not used: the runtime negotiates its own.
 */
export function _upgradeNative(
  request: Request,
  options: UpgradeWebSocketOptions,
): _PreparedUpgrade {
  const globals = globalThis as {
    WebSocketPair?: _WebSocketPair;
    Deno?: { upgradeWebSocket?: _DenoUpgrade };
  };
  const pair = globals.WebSocketPair;
  const denoUpgrade = globals.Deno?.upgradeWebSocket;
  if (pair === undefined && denoUpgrade === undefined) {
    throw new TypeError(
      "Cannot upgrade: this request did not come from this module's serve() and the runtime has no WebSocket upgrade of its own (on Node and Bun, serve with serve() from @edgews/websocket/node)",
    );
  }
  const handshake = _negotiate(request, {
    protocols: options.protocols,
    origin: options.origin,
    headers: options.headers,
  }, {});
  let response: Response;
  let transport: Promise<UpgradedTransport>;
  if (!handshake.ok) {
    response = handshakeResponse(handshake);
    transport = Promise.reject(
      new Error(`Opening handshake rejected with ${handshake.status}: ${handshake.body}`),
    );
  } else {
    const extra = new Headers(options.headers);
    let native: _NativeSocket;
    if (pair !== undefined) {
      const ends = new pair();
      const server = ends[1];
      server.accept();
      native = server;
      if (handshake.protocol !== "") extra.set("sec-websocket-protocol", handshake.protocol);
      response = new Response(null, {
        status: 101,
        headers: extra,
        webSocket: ends[0],
      } as ResponseInit);
    } else {
      // The runtime pings: at the heartbeat's interval, or at its own default (30 s).
      const heartbeat = options.heartbeat;
      const upgraded = denoUpgrade!(request, {
        ...(handshake.protocol !== "" ? { protocol: handshake.protocol } : {}),
        ...(heartbeat === false
          ? { idleTimeout: 0 }
          : heartbeat !== undefined
          ? { idleTimeout: Math.max(1, Math.round(heartbeat.interval / 1000)) }
          : {}),
      });
      native = upgraded.socket;
      response = upgraded.response;
      for (const [name, value] of extra) response.headers.append(name, value);
    }
    const duplex = _nativeSocketDuplex(native);
    // The chosen subprotocol, from the 101 we built: Deno's server socket leaves `protocol` empty.
    const protocol = handshake.protocol;
    transport = _whenOpen(native).then(() => ({
      duplex,
      leftover: new Uint8Array(0),
      protocol,
      extensions: "",
    }));
  }
  transport.catch(() => {});
  const url = _socketUrl(request.url);
  return {
    response,
    url,
    // The runtime does keep-alive (Deno's idleTimeout); the engine cannot send pings through it.
    options: { ...options, heartbeat: false },
    pending: { transport },
  };
}

/**
 * The socket's `ws:`/`wss:` URL for a request's `http:`/`https:` one,
 * already serialized by the runtime: the scheme swapped and a fragment
 * dropped (a WebSocket URL has none; Node's HTTP parser lets one through).
 * The socket keeps the string as it is, without parsing it again.
 */
export function _socketUrl(href: string): string {
  const hash = href.indexOf("#");
  if (hash !== -1) href = href.slice(0, hash);
  if (href.startsWith("http:")) return `ws:${href.slice(5)}`;
  if (href.startsWith("https:")) return `wss:${href.slice(6)}`;
  return href;
}
