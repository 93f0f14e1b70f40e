/**
 * The options of a server-side upgrade, apart from `upgrade_websocket.ts`
 * so the upgrade's internals can take them without importing it.
 *
 * @module
 */

import type { ConnectionOptions } from "../connection/websocket_connection.ts";
import type { ServerHandshakeOptions } from "../handshake/server_handshake.ts";

/**
 * Options for `upgradeWebSocket` and `upgradeWebSocketStream`.
 *
 * @example
 * ```ts
 * import type { UpgradeWebSocketOptions } from "@edgews/websocket/transports";
 *
 * const options: UpgradeWebSocketOptions = { protocols: ["chat"], origin: ["https://app.example"], maxMessageSize: 1 << 20 };
 * ```
 */
export interface UpgradeWebSocketOptions extends ServerHandshakeOptions, ConnectionOptions {}
