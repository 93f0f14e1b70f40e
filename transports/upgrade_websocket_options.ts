/**
 * The options of a server-side upgrade, apart from `upgrade_websocket.ts`
 * so the upgrade's internals can take them without importing it.
 *
 * @module
 */

import type { ConnectionOptions } from "../connection/connection_options.ts";
import type { ServerHandshakeOptions } from "../handshake/server_handshake.ts";

/**
 * Options for `upgradeWebSocket` and `upgradeWebSocketStream`.
 */
export interface UpgradeWebSocketOptions extends ServerHandshakeOptions, ConnectionOptions {}
