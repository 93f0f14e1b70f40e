/**
 * A runtime's own server-side WebSocket (Deno's from `Deno.upgradeWebSocket`,
 * a Cloudflare `WebSocketPair` end) seen as a byte duplex of RFC 6455
 * frames, so that this module's connection engine, and with it the very same
 * `WebSocket` and `WebSocketStream` API, runs on top of it. The runtime does
 * the framing on the wire; this bridge re-frames messages in memory. Not
 * exported from `mod.ts`.
 *
 * @module
 */

import type { ByteDuplex } from "../connection/duplex.ts";
import { isValidCloseCode } from "../errors/close_code.ts";
import { FrameDecoder } from "../frames/frame_decoder.ts";
import { FrameEncoder } from "../frames/frame_encoder.ts";
import { Opcode } from "../frames/opcode.ts";
import { WebSocketError } from "../errors/websocket_error.ts";
import { encodeClosePayload } from "../messages/close_payload.ts";
import type { Message } from "../messages/message.ts";
import { MessageAssembler } from "../messages/message_assembler.ts";
import { CONNECTION_DEFAULTS } from "../connection/connection_options.ts";

/** What the bridge uses of a WHATWG-style `WebSocket`. */
export interface _NativeSocket extends EventTarget {
  readonly readyState: number;
  readonly protocol: string;
  readonly bufferedAmount?: number | undefined;
  binaryType?: BinaryType | string;
  send(data: string | ArrayBufferLike | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
}

const _OPEN = 1;
const _CLOSING = 2;
const _CLOSED = 3;
/** Bytes the runtime may buffer before a write waits: the engine's own default bound. */
const _HIGH_WATER_MARK = CONNECTION_DEFAULTS.writeHighWaterMark;
/** No size limit on what the engine sends: its own options limit what it receives. */
const _NO_LIMIT = Number.MAX_SAFE_INTEGER;
const _encoder = new TextEncoder();
/**
 * The protocol violations Deno's server socket fails a connection with by
 * itself (the `error` event's message; its close event then says code 0),
 * and the close code this module's framing fails the same violation with.
 */
const _RUNTIME_VIOLATIONS: Record<string, number> = {
  "Invalid UTF-8": 1007,
  "Frame too large": 1009,
  "Reserved bits are not zero": 1002,
  "Control frame must not be fragmented": 1002,
  "Ping frame too large": 1002,
  "Invalid continuation frame": 1002,
  "Invalid fragment": 1002,
  "Invalid close frame": 1002,
  "Invalid close code": 1002,
  "Invalid value": 1002,
};

/**
 * Bridge `socket`. Incoming messages become masked client frames on
 * `readable` (the engine runs as a server); the runtime cannot pause its
 * socket, so they queue there while the application reads slowly. Frames
 * written to `writable` become `send()` and `close()` calls, and a write
 * resolves once the runtime's `bufferedAmount` is under 256 KiB again. The
 * peer's close arrives as a close frame (code and reason kept); a connection
 * that dropped without one ends the stream, which the engine reports as
 * 1006. Pings cannot be sent through this API: the runtime does keep-alive.
 */
export function _nativeSocketDuplex(socket: _NativeSocket): ByteDuplex {
  if ("binaryType" in socket) socket.binaryType = "arraybuffer";
  const toEngine = new FrameEncoder({ role: "client" });
  let inbound!: ReadableStreamDefaultController<Uint8Array>;
  let ended = false;
  const push = (opcode: number, payload: Uint8Array) => {
    if (ended) return;
    for (const chunk of toEngine.encode({ opcode, payload })) inbound.enqueue(chunk);
  };
  const end = () => {
    if (ended) return;
    ended = true;
    inbound.close();
  };
  socket.addEventListener("message", (event) => {
    const data = (event as MessageEvent).data;
    if (typeof data === "string") push(Opcode.Text, _encoder.encode(data));
    else if (data instanceof ArrayBuffer) push(Opcode.Binary, new Uint8Array(data));
    else if (ArrayBuffer.isView(data)) {
      push(Opcode.Binary, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    }
  });
  // A violation the runtime found: the engine fails with the same code as on its own framing.
  let violation: WebSocketError | undefined;
  socket.addEventListener("error", (event) => {
    const message = (event as ErrorEvent).message;
    const code = typeof message === "string" ? _RUNTIME_VIOLATIONS[message] : undefined;
    if (code !== undefined) violation = new WebSocketError(code, `Protocol violation: ${message}`);
  });
  socket.addEventListener("close", (event) => {
    const { code, reason, wasClean } = event as CloseEvent;
    if (wasClean && code === 1005) push(Opcode.Close, new Uint8Array(0));
    else if (wasClean && isValidCloseCode(code)) {
      push(Opcode.Close, encodeClosePayload(code, reason));
    } else if (violation !== undefined && !ended) {
      ended = true;
      inbound.error(violation);
      return;
    }
    end();
  });
  const readable = new ReadableStream<Uint8Array>({
    start(controller) {
      inbound = controller;
    },
    cancel() {
      ended = true;
    },
  });

  const fromEngine = new FrameDecoder(
    new MessageAssembler((message) => _deliver(socket, message), { maxMessageSize: _NO_LIMIT }),
    { role: "client", maxFrameSize: _NO_LIMIT },
  );
  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      const error = fromEngine.write(chunk);
      if (error !== undefined) throw error;
      await _drained(socket);
    },
  });
  return {
    readable,
    writable,
    close() {
      if (socket.readyState < _CLOSING) socket.close();
      end();
    },
  };
}

/** Resolves once `socket` is open, rejects when it closes first. */
export function _whenOpen(socket: _NativeSocket): Promise<void> {
  if (socket.readyState === _OPEN) return Promise.resolve();
  if (socket.readyState > _OPEN) {
    return Promise.reject(new Error("The WebSocket closed before it opened"));
  }
  return new Promise((resolve, reject) => {
    const onOpen = () => {
      socket.removeEventListener("close", onClose);
      resolve();
    };
    const onClose = () => {
      socket.removeEventListener("open", onOpen);
      reject(new Error("The WebSocket closed before it opened"));
    };
    socket.addEventListener("open", onOpen, { once: true });
    socket.addEventListener("close", onClose, { once: true });
  });
}

/** One message from the engine, through the runtime's API. */
function _deliver(socket: _NativeSocket, message: Message): void {
  switch (message.type) {
    case "text":
    case "binary":
      // After the closing handshake started the WHATWG API drops data; so does this.
      if (socket.readyState === _OPEN) socket.send(message.data);
      break;
    case "close":
      // CLOSING after the peer's close frame: Deno has answered it already
      // (and is CLOSED), Workers wait for this close() to answer it.
      if (socket.readyState === _CLOSED) break;
      try {
        if (message.code === 1005) socket.close();
        else socket.close(message.code, message.reason);
      } catch {
        // A runtime that only lets scripts send 1000 and 3000-4999.
        socket.close(1000, message.reason);
      }
      break;
    default:
      // Pings and pongs have no WHATWG API; the runtime answers pings itself.
      break;
  }
}

/** Wait (polling, as the WHATWG API has no drain event) while the runtime buffers a lot. */
async function _drained(socket: _NativeSocket): Promise<void> {
  let delay = 1;
  while (socket.readyState === _OPEN && (socket.bufferedAmount ?? 0) > _HIGH_WATER_MARK) {
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 50);
  }
}
