/**
 * What an opening handshake hands to the connection layer, and the hook a
 * runtime adapter provides to open client connections.
 *
 * @module
 */

import type { ExtensionOffer } from "../handshake/extension_header.ts";
import type { ByteDuplex } from "./duplex.ts";

/**
 * A transport that completed the opening handshake.
 */
export interface UpgradedTransport {
  /** The byte stream, positioned after the handshake head. */
  duplex: ByteDuplex;
  /** Bytes that were read along with the head and belong to the WebSocket stream. */
  leftover: Uint8Array;
  /** The subprotocol both sides agreed on, or "". */
  protocol: string;
  /** The `Sec-WebSocket-Extensions` value agreed on, or "". */
  extensions: string;
  /** A client's view: the headers of the server's `101` response (e.g. `Set-Cookie`). */
  headers?: Headers | undefined;
  /** A client's view: the URL finally connected to, when redirects were followed. */
  url?: URL | undefined;
}

/**
 * What a client asks a {@linkcode Connector} for.
 */
export interface ConnectRequest {
  /** Subprotocols to offer, in order of preference. */
  protocols: string[];
  /** Extra request headers. */
  headers?: HeadersInit | undefined;
  /** Aborts the connection attempt. */
  signal?: AbortSignal | undefined;
  /** Extra trusted CA certificates (PEM), for `wss:`. */
  caCerts?: string[] | undefined;
  /**
   * Extensions to offer (permessage-deflate), for `createClientHandshake`
   * and `verifyServerHandshake`; the agreed value goes back in
   * `UpgradedTransport.extensions`.
   */
  extensions?: ExtensionOffer[] | undefined;
}

/**
 * Opens a transport to `url` and performs the client's opening handshake.
 * Runtime adapters provide one; `WebSocketStream` and `WebSocket` take one
 * as the `connector` option, or use the one registered with
 * {@linkcode setDefaultConnector}.
 */
export type Connector = (url: URL, request: ConnectRequest) => Promise<UpgradedTransport>;

let _defaultConnector: Connector | undefined;

/**
 * Register the connector used when none is passed (the runtime adapter for
 * Deno does this when `mod.ts` is imported).
 *
 * @param connector The connector.
 *
 * @example
 * ```ts
 * import { defaultConnector, setDefaultConnector } from "@edgews/websocket/connection";
 * import assert from "node:assert/strict";
 *
 * const before = defaultConnector();
 * const mine = () => Promise.reject(new Error("offline"));
 * setDefaultConnector(mine);
 * assert.equal(defaultConnector(), mine);
 * if (before) setDefaultConnector(before);
 * ```
 */
export function setDefaultConnector(connector: Connector): void {
  _defaultConnector = connector;
}

/**
 * The connector registered with {@linkcode setDefaultConnector}, if any.
 *
 * @returns The default connector or `undefined`.
 *
 * @example
 * ```ts
 * import { defaultConnector } from "@edgews/websocket/connection";
 * import { denoConnector } from "@edgews/websocket/transports";
 * import assert from "node:assert/strict";
 *
 * // A subpath alone registers nothing; the root (or /transports) does, on Deno.
 * assert.equal(defaultConnector(), denoConnector);
 * ```
 */
export function defaultConnector(): Connector | undefined {
  return _defaultConnector;
}
