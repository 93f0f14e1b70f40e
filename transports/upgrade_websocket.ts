/**
 * Server-side upgrade: a `Request` in, a `101` `Response` and a socket out.
 *
 * @module
 */

import { _PENDING, type _PendingTransport } from "../connection/_pending.ts";
import type { UpgradedTransport } from "../connection/upgraded.ts";
import { WebSocket } from "../connection/websocket.ts";
import type { ConnectionOptions } from "../connection/websocket_connection.ts";
import { PerMessageDeflate } from "../compression/per_message_deflate.ts";
import {
  negotiateServerHandshake,
  type ServerHandshakeOptions,
} from "../handshake/server_handshake.ts";
import { formatExtensionHeader } from "../handshake/extension_header.ts";
import { _getUpgradeSlot } from "./_upgrade_slot.ts";
import { _upgradeNative } from "./_native_upgrade.ts";
import { _upgradeResponse } from "./_upgrade_response.ts";

/**
 * Options for {@linkcode upgradeWebSocket}.
 *
 * @example
 * ```ts
 * import type { UpgradeWebSocketOptions } from "@edgews/websocket/transports";
 *
 * const options: UpgradeWebSocketOptions = { protocols: ["chat"], origin: ["https://app.example"], maxMessageSize: 1 << 20 };
 * ```
 */
export interface UpgradeWebSocketOptions extends ServerHandshakeOptions, ConnectionOptions {}

/**
 * What {@linkcode upgradeWebSocket} returns, as `Deno.upgradeWebSocket` does.
 *
 * @example
 * ```ts
 * import { upgradeWebSocket, type WebSocketUpgrade } from "@edgews/websocket/transports";
 *
 * function handle(request: Request): Response {
 *   const { response, socket }: WebSocketUpgrade = upgradeWebSocket(request);
 *   socket.onmessage = (event) => socket.send(event.data);
 *   return response;
 * }
 * ```
 */
export interface WebSocketUpgrade {
  /** Return this from the handler: the `101` (or an error response). */
  response: Response;
  /** The socket; it opens once the server has written the `101`. */
  socket: WebSocket;
}

/**
 * Accept a WebSocket upgrade: checks the handshake (RFC 6455 §4.2.1),
 * negotiates the subprotocol, and returns the `101` response plus a WHATWG
 * `WebSocket` (this module's class, with the same events, close codes and
 * limits everywhere). When the handshake is invalid, `response` is the error
 * response (400, 403 or 426) and the socket fails with 1006 without ever
 * opening.
 *
 * Who does the framing depends on where the request came from:
 * - this module's {@linkcode serve} (Deno) or the `serve` of
 *   `@edgews/websocket/node` (Node, Bun): this module, on the raw socket;
 * - `Deno.serve` or Deno Deploy: Deno, through `Deno.upgradeWebSocket`;
 * - Cloudflare Workers: the Workers runtime, through a `WebSocketPair`.
 *
 * In the last two the runtime's socket is wrapped, so the handler's code is
 * the same; the runtime sends keep-alive pings (`pingInterval` becomes
 * Deno's `idleTimeout`), negotiates no extensions, and cannot stop reading
 * for backpressure (unread messages queue in memory).
 *
 * @param request The upgrade request, as handed to the server's handler.
 * @param options Subprotocols, origin policy, extra 101 headers, limits,
 * `perMessageDeflate` (off unless set: see `ConnectionOptions`).
 * @returns The response to return and the socket.
 * @throws {TypeError} When the request came from a server that cannot be
 * upgraded (a plain `node:http` request outside this module's `serve`).
 *
 * @example
 * ```ts ignore
 * import { serve, upgradeWebSocket } from "@edgews/websocket";
 *
 * serve({ port: 8080 }, async (request) => {
 *   const { response, socket } = upgradeWebSocket(request, { protocols: ["chat"] });
 *   socket.onmessage = (event) => socket.send(event.data);
 *   return response;
 * });
 * ```
 */
export function upgradeWebSocket(
  request: Request,
  options: UpgradeWebSocketOptions = {},
): WebSocketUpgrade {
  const { response, url, socketOptions } = _prepareUpgrade(request, options);
  return { response, socket: new WebSocket(url, [], socketOptions) };
}

/** What both server upgrades share: the response, and options that carry the pending transport. */
export interface _PreparedUpgrade {
  response: Response;
  url: URL;
  /** The socket's options, with the pending transport under `_PENDING`. */
  socketOptions: ConnectionOptions;
}

/**
 * Check the handshake and line up the transport, for `upgradeWebSocket`
 * and `upgradeWebSocketStream` (not exported from `mod.ts`).
 */
export function _prepareUpgrade(
  request: Request,
  options: UpgradeWebSocketOptions,
): _PreparedUpgrade {
  const slot = _getUpgradeSlot(request);
  if (slot === undefined) return _upgradeNative(request, options);
  if (slot.upgrade !== undefined) {
    throw new TypeError("Cannot upgrade: upgradeWebSocket was already called for this request");
  }
  const deflate = options.perMessageDeflate;
  const handshake = negotiateServerHandshake(
    request,
    deflate === undefined || deflate === false ? options : {
      ...options,
      extensions: [
        ...(options.extensions ?? []),
        PerMessageDeflate.serverExtension(deflate === true ? {} : deflate),
      ],
    },
    { httpVersion: slot.httpVersion },
  );
  const response = _upgradeResponse(handshake);
  let resolve!: (transport: UpgradedTransport) => void;
  let reject!: (error: unknown) => void;
  const transport = new Promise<UpgradedTransport>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  if (handshake.ok) {
    slot.upgrade = {
      response,
      resolve,
      reject,
      protocol: handshake.protocol,
      extensions: formatExtensionHeader(handshake.extensions),
    };
  } else {
    reject(new Error(`Opening handshake rejected with ${handshake.status}: ${handshake.body}`));
  }
  const url = new URL(request.url);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const pending: _PendingTransport = {
    role: "server",
    transport,
    onConnection: (connection) => slot.connected(connection),
  };
  return {
    response,
    url,
    socketOptions: { ...options, [_PENDING]: pending } as ConnectionOptions,
  };
}
