/**
 * What a WebSocket endpoint sends and receives above the frame level.
 *
 * @module
 */

/**
 * A complete message or control event.
 *
 * Text and binary messages are reassembled from their fragments; ping, pong
 * and close are single control frames. A close with an empty body carries
 * code 1005 and an empty reason.
 *
 * @example
 * ```ts
 * import type { Message } from "@edgews/websocket/messages";
 *
 * function describe(message: Message): string {
 *   switch (message.type) {
 *     case "text": return `text: ${message.data}`;
 *     case "binary": return `${message.data.length} bytes`;
 *     case "close": return `close ${message.code} ${message.reason}`;
 *     default: return message.type;
 *   }
 * }
 * describe({ type: "text", data: "hi" });
 * ```
 */
export type Message =
  | { type: "text"; data: string }
  | { type: "binary"; data: Uint8Array }
  | { type: "ping"; data: Uint8Array }
  | { type: "pong"; data: Uint8Array }
  | { type: "close"; code: number; reason: string };
