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
 * `compressed` is a data message whose first frame had RSV1 set while a
 * per-message compression extension was negotiated (RFC 7692 §6): `data`
 * is still compressed, and text in it has not been checked for UTF-8 yet.
 * Only a `MessageAssembler` created with `compression: true` produces it;
 * `MessageEncoder` sends it with RSV1 on its first frame.
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
  | { type: "close"; code: number; reason: string }
  | { type: "compressed"; messageType: "text" | "binary"; data: Uint8Array };
