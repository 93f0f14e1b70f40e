/**
 * The `perMessageDeflate` option of the public classes: the client's offer,
 * and the codec once the handshake is done. Not exported from `mod.ts`.
 *
 * @module
 */

import {
  PerMessageDeflate,
  type PerMessageDeflateConfig,
} from "../compression/per_message_deflate.ts";
import type { ExtensionOffer } from "../handshake/extension_header.ts";
import type { ByteDuplex } from "./duplex.ts";

/** The option's settings, or `undefined` when it is off for `role`. */
function _config(
  option: boolean | PerMessageDeflateConfig | undefined,
  role: "client" | "server",
): PerMessageDeflateConfig | undefined {
  // Clients offer it unless told not to; servers accept it only when asked.
  const on = option ?? role === "client";
  if (on === false) return undefined;
  return on === true ? {} : on;
}

/** What a client offers in `Sec-WebSocket-Extensions`, or `undefined` for nothing. */
export function _clientExtensions(
  option: boolean | PerMessageDeflateConfig | undefined,
): ExtensionOffer[] | undefined {
  const config = _config(option, "client");
  const offer = config === undefined ? undefined : PerMessageDeflate.clientOffer(config);
  return offer === undefined ? undefined : [offer];
}

/**
 * The codec for the agreed `extensions`, or `undefined` without
 * permessage-deflate. A server whose negotiator came from elsewhere still
 * gets one (with default settings): the client will compress.
 *
 * @throws {WebSocketError} 1010 when a server's response does not fit the offer.
 */
export function _negotiatedCompression(
  extensions: string,
  role: "client" | "server",
  option: boolean | PerMessageDeflateConfig | undefined,
): PerMessageDeflate | undefined {
  if (extensions === "") return undefined;
  return PerMessageDeflate.fromHandshake(extensions, role, _config(option, role) ?? {});
}

/** Close a transport that will not be used (the handshake's answer was refused). */
export function _abandon(duplex: ByteDuplex): void {
  if (duplex.close !== undefined) {
    try {
      duplex.close();
    } catch {
      // Already closed.
    }
    return;
  }
  duplex.readable.cancel().catch(() => {});
  duplex.writable.abort().catch(() => {});
}
