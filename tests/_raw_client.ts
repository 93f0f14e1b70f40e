/**
 * A WebSocket client that completes the handshake by hand and then reads
 * only when told to: the slow consumer of the fan-out tests, and a way to
 * see frames as they are on the wire (RSV1, the negotiated extension).
 */
import assert from "node:assert/strict";
import { FrameDecoder, ReservedBits } from "../frames/frame_decoder.ts";
import { MessageAssembler } from "../messages/message_assembler.ts";
import type { Message } from "../messages/message.ts";
import type { FrameHeader } from "../frames/frame.ts";

/** A raw client connection. */
export interface RawClient {
  /** The 101 response head. */
  head: string;
  /** The `Sec-WebSocket-Extensions` the server agreed to, or "". */
  extensions: string;
  /** Everything decoded so far (compressed messages stay `{ type: "compressed" }`). */
  messages: Message[];
  /** Frame headers received so far, in order. */
  frames: FrameHeader[];
  /** Read until the connection ends or `count` data messages arrived in all. */
  drain(count?: number): Promise<void>;
  /** Send raw bytes (frames must be masked by the caller). */
  write(bytes: Uint8Array): Promise<number>;
  close(): void;
}

/**
 * Open a connection to `port` and send a WebSocket handshake (offering
 * `extensions` when given); the response head is read byte by byte, so
 * that no frame after it is consumed with it. The server's answer may be
 * anything: `head` says what it was.
 */
export async function rawHandshake(
  port: number,
  extensions?: string,
): Promise<{ conn: Deno.Conn; head: string }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(
    new TextEncoder().encode(
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
        (extensions === undefined ? "" : `Sec-WebSocket-Extensions: ${extensions}\r\n`) +
        "\r\n",
    ),
  );
  let head = "";
  const one = new Uint8Array(1);
  while (!head.endsWith("\r\n\r\n")) {
    if (await conn.read(one) !== 1) throw new Error(`closed during the handshake: ${head}`);
    head += String.fromCharCode(one[0]!);
  }
  return { conn, head };
}

/** A raw WebSocket connection whose handshake got a 101 (nothing read after it). */
export async function openRaw(port: number, extensions?: string): Promise<Deno.Conn> {
  const { conn, head } = await rawHandshake(port, extensions);
  assert.match(head, /^HTTP\/1\.1 101 /);
  return conn;
}

/**
 * Connect to `port`, offering `extensions` when given, and read the 101
 * byte by byte so that no frame is consumed with it.
 */
export async function rawClient(port: number, extensions?: string): Promise<RawClient> {
  const { conn, head } = await rawHandshake(port, extensions);
  assert.match(head, /^HTTP\/1\.1 101 /);
  const agreed = /^sec-websocket-extensions: *(.*?)\r$/im.exec(head)?.[1] ?? "";
  const messages: Message[] = [];
  const frames: FrameHeader[] = [];
  const assembler = new MessageAssembler((m) => messages.push(m), { compression: agreed !== "" });
  const decoder = new FrameDecoder({
    onFrameStart(header) {
      frames.push({ ...header });
      assembler.onFrameStart(header);
    },
    onFramePayload: (chunk) => assembler.onFramePayload(chunk),
    onFrameEnd: () => assembler.onFrameEnd(),
  }, { role: "client", allowedReservedBits: agreed !== "" ? ReservedBits.Rsv1 : 0 });
  let data = 0;
  return {
    head,
    extensions: agreed,
    messages,
    frames,
    async drain(count = Infinity): Promise<void> {
      const buffer = new Uint8Array(256 * 1024);
      while (data < count) {
        const n = await conn.read(buffer).catch(() => null);
        if (n === null) return;
        const before = messages.length;
        const error = decoder.write(buffer.subarray(0, n));
        assert.equal(error, undefined, `invalid frames from the server: ${error?.message}`);
        for (let i = before; i < messages.length; i++) {
          const type = messages[i]!.type;
          if (type === "text" || type === "binary" || type === "compressed") data++;
        }
      }
    },
    write: (bytes) => conn.write(bytes),
    close: () => {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    },
  };
}

/** The text messages among `messages`. */
export function texts(messages: Message[]): string[] {
  return messages.flatMap((m) => m.type === "text" ? [m.data] : []);
}
