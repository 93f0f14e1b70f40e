/**
 * What `upgradeWebSocket` and `upgradeWebSocketStream` share: check the
 * handshake, build the response, and line up the transport the socket will
 * run on once the 101 is written (this module's servers), or wrap the
 * runtime's own socket (`Deno.serve`, Workers). Not exported from `mod.ts`.
 *
 * @module
 */

import type { UpgradedTransport } from "../connection/upgraded.ts";
import {
  PerMessageDeflate,
  type PerMessageDeflateConfig,
} from "../compression/per_message_deflate.ts";
import { _negotiate, type ServerExtension } from "../handshake/server_handshake.ts";
import { formatExtensionHeader } from "../handshake/extension_header.ts";
import { _getUpgradeSlot } from "../server/_upgrade_slot.ts";
import { type _PreparedUpgrade, _socketUrl, _upgradeNative } from "./_native_upgrade.ts";
import { _upgradeResponse } from "../server/_upgrade_response.ts";
import type { UpgradeWebSocketOptions } from "./upgrade_websocket_options.ts";

/** The negotiator of `perMessageDeflate: true`, made once: it keeps no state. */
let _defaultDeflate: ServerExtension | undefined;

function _deflateExtension(deflate: true | PerMessageDeflateConfig): ServerExtension {
  if (deflate !== true) return PerMessageDeflate.serverExtension(deflate);
  return _defaultDeflate ??= PerMessageDeflate.serverExtension({});
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
  const handshake = _negotiate(
    request,
    options,
    { httpVersion: slot.httpVersion },
    deflate === undefined || deflate === false ? undefined : _deflateExtension(deflate),
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
  const url = _socketUrl(request.url);
  // The connection keeps this callback for its lifetime: it must not keep
  // the slot (and what the slot references) with it.
  return {
    response,
    url,
    options,
    pending: { transport, onConnection: slot.connected, onClosed: slot.disconnected },
  };
}
