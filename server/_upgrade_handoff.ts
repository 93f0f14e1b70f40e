/**
 * The one upgrade hand-off of every server of this module (ours on Deno,
 * `node:http` on Node and Bun): once the handler has answered an upgrade
 * request, either write the `101` and give the raw connection to the
 * WebSocket that `upgradeWebSocket` made, or tell that WebSocket it will
 * never open. Not exported from `mod.ts`.
 *
 * @module
 */

import { writeResponseHead } from "../http/http_head.ts";
import type { _UpgradeSlot } from "./_upgrade_slot.ts";
import { _upgradeHeadHeaders, _UpgradeResponse } from "./_upgrade_response.ts";

/**
 * Finish the upgrade `slot` lined up, if `response` is its `101`: writes
 * the head with `write` and hands the connection over. Returns `false`
 * when `response` is not an upgrade (the caller sends it as usual; the
 * socket, if any, fails without opening).
 *
 * @throws What `write` throws (the socket has then been failed).
 */
export function _completeUpgrade(
  slot: _UpgradeSlot,
  response: Response,
  write: (bytes: Uint8Array) => Promise<void>,
): Promise<boolean> {
  // Not an async function: every upgrade goes through here, and each async
  // layer (its generator, its promise, the await) is garbage per upgrade.
  const upgrade = slot.upgrade;
  // A 101 the handler built itself is accepted too: its headers (Set-Cookie, say) join the handshake's.
  if (upgrade === undefined || response.status !== 101) {
    upgrade?.reject(new Error("The handler did not return the 101 response of upgradeWebSocket"));
    return _NOT_UPGRADED;
  }
  let written: Promise<void>;
  try {
    const untouched = response === upgrade.response && response instanceof _UpgradeResponse
      ? _UpgradeResponse.untouchedHead(response)
      : undefined;
    written = write(
      untouched ?? writeResponseHead(
        101,
        "Switching Protocols",
        _upgradeHeadHeaders(upgrade.response, response),
      ),
    );
  } catch (error) {
    upgrade.reject(error);
    return Promise.reject(error);
  }
  return written.then(() => {
    // The slot lives as long as the socket: drop what it no longer needs.
    slot.upgrade = undefined;
    upgrade.resolve({
      duplex: slot.duplex,
      leftover: slot.leftover,
      protocol: upgrade.protocol,
      extensions: upgrade.extensions,
    });
    return true;
  }, (error) => {
    upgrade.reject(error);
    throw error;
  });
}

const _NOT_UPGRADED = Promise.resolve(false);

/** The handler failed: the socket `upgradeWebSocket` made (if any) never opens. */
export function _failUpgrade(slot: _UpgradeSlot, error: unknown): void {
  slot.upgrade?.reject(error);
  slot.upgrade = undefined;
}
