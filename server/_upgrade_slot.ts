/**
 * The link between a `Request` read by this module's own server and the raw
 * connection it came from, so `upgradeWebSocket` can take the connection over
 * (not exported from `mod.ts`).
 *
 * @module
 */

import type { ByteDuplex } from "../connection/duplex.ts";
import type { UpgradedTransport } from "../connection/upgraded.ts";
import type { WebSocketConnection } from "../connection/websocket_connection.ts";

/** One request's connection, waiting for the handler's answer. */
export interface _UpgradeSlot {
  duplex: ByteDuplex;
  leftover: Uint8Array;
  httpVersion: string;
  /** Set by `upgradeWebSocket`: the 101 to expect and how to hand the transport over. */
  upgrade?: {
    response: Response;
    resolve(transport: UpgradedTransport): void;
    reject(error: unknown): void;
    protocol: string;
    extensions: string;
  } | undefined;
  /** Told when a WebSocket starts running on this connection (for graceful shutdown). */
  connected(connection: WebSocketConnection): void;
  /** Told when that WebSocket has ended. */
  disconnected(connection: WebSocketConnection): void;
}

const _slots = new WeakMap<Request, _UpgradeSlot>();

/** Remember which connection `request` came from (a request made by a `node:http` server). */
export function _setUpgradeSlot(request: Request, slot: _UpgradeSlot): void {
  _slots.set(request, slot);
}

/** The connection `request` came from, when this module's server read it. */
export function _getUpgradeSlot(request: Request): _UpgradeSlot | undefined {
  return request instanceof _ServerRequest ? _ServerRequest.slot(request) : _slots.get(request);
}

const _NOT_ABORTED: unique symbol = Symbol("not aborted");

/**
 * The `Request` of this module's Deno server. It carries its connection's
 * slot in a field (a WeakMap entry per request is an ephemeron the garbage
 * collector must trace), and makes `signal` only when it is read: a
 * `signal` passed to `Request` is followed through a WeakRef, which cost
 * as much as the rest of the request (a quarter of the server's time per
 * request, with the garbage it leaves).
 */
export class _ServerRequest extends Request {
  #slot: _UpgradeSlot;
  #controller: AbortController | undefined;
  #reason: unknown = _NOT_ABORTED;

  constructor(url: string, init: RequestInit | undefined, slot: _UpgradeSlot) {
    super(url, init);
    this.#slot = slot;
  }

  /** Aborts when the client goes away before the response is sent. */
  override get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#reason !== _NOT_ABORTED) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Abort `request`'s signal (now, or when it is first read). */
  static abort(request: _ServerRequest, reason: unknown): void {
    if (request.#reason !== _NOT_ABORTED) return;
    request.#reason = reason;
    request.#controller?.abort(reason);
  }

  /** The slot of `request`. */
  static slot(request: _ServerRequest): _UpgradeSlot {
    return request.#slot;
  }

  /** Give `request` the slot of an upgrade (its own connection's). */
  static setSlot(request: _ServerRequest, slot: _UpgradeSlot): void {
    request.#slot = slot;
  }
}
