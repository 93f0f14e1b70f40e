/** Helpers for the permessage-deflate tests: a byte-counting relay and a raw client. */
import { FrameCollector } from "../frames/frame_collector.ts";
import { FrameDecoder } from "../frames/frame_decoder.ts";
import type { Frame } from "../frames/frame.ts";

/**
 * A TCP relay on loopback that counts the bytes going each way, to see what
 * compression does on the wire.
 */
export function countingRelay(targetPort: number) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const counts = { up: 0, down: 0 };
  const pipes: Promise<void>[] = [];
  const pipe = async (from: Deno.Conn, to: Deno.Conn, way: "up" | "down") => {
    const buffer = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const n = await from.read(buffer);
        if (n === null) break;
        counts[way] += n;
        let offset = 0;
        while (offset < n) offset += await to.write(buffer.subarray(offset, n));
      }
    } catch {
      // One side went away.
    }
    for (const conn of [from, to]) {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
      conns.delete(conn);
    }
  };
  const accepting = (async () => {
    for await (const client of listener) {
      const server = await Deno.connect({ hostname: "127.0.0.1", port: targetPort });
      conns.add(client);
      conns.add(server);
      pipes.push(pipe(client, server, "up"), pipe(server, client, "down"));
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    counts,
    async close() {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // Already closed.
        }
      }
      await accepting;
      await Promise.all(pipes);
    },
  };
}

const KEY = "dGhlIHNhbXBsZSBub25jZQ==";
const latin1 = new TextDecoder("latin1");

/**
 * A client that speaks raw bytes after a real handshake, to send what no
 * well-behaved client would.
 */
export async function rawClient(port: number, extensions: string | undefined) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const head = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n" +
    `Connection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n` +
    (extensions === undefined ? "" : `Sec-WebSocket-Extensions: ${extensions}\r\n`) + "\r\n";
  await conn.write(new TextEncoder().encode(head));
  const frames: Frame[] = [];
  const decoder = new FrameDecoder(new FrameCollector((frame) => frames.push(frame)), {
    role: "client",
    allowedReservedBits: 0x4,
  });
  const buffer = new Uint8Array(64 * 1024);
  let text = "";
  let leftover = new Uint8Array(0);
  // Bounded by the server: it answers or closes.
  while (!text.includes("\r\n\r\n")) {
    const n = await conn.read(buffer);
    if (n === null) throw new Error(`server closed during the handshake: ${text}`);
    const chunk = buffer.subarray(0, n);
    const before = text.length;
    text += latin1.decode(chunk); // one character per byte
    const end = text.indexOf("\r\n\r\n");
    if (end !== -1) leftover = chunk.slice(end + 4 - before);
  }
  const response = text.slice(0, text.indexOf("\r\n\r\n"));
  const agreed = /^sec-websocket-extensions: *(.*)$/im.exec(response)?.[1]?.trim() ?? "";
  if (leftover.length > 0) decoder.write(leftover);
  return {
    agreed,
    status: Number(response.split(" ")[1]),
    async send(bytes: Uint8Array) {
      await conn.write(bytes);
    },
    /** Drop the connection (no closing handshake). */
    close() {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    },
    /** Read until `count` frames have come (or 10 s pass, or TCP closes); return them. */
    async framesUntil(count: number): Promise<Frame[]> {
      const timer = setTimeout(() => conn.close(), 10_000);
      try {
        while (frames.length < count) {
          const n = await conn.read(buffer);
          if (n === null) break;
          decoder.write(buffer.slice(0, n));
        }
      } catch {
        // Reset or closed by the timer: the frames so far.
      } finally {
        clearTimeout(timer);
      }
      return frames.slice(0, count);
    },
    /** Read frames until the server closes TCP (or 10 s pass); return them. */
    async framesUntilClosed(): Promise<Frame[]> {
      const timer = setTimeout(() => conn.close(), 10_000);
      try {
        while (true) {
          const n = await conn.read(buffer);
          if (n === null) break;
          decoder.write(buffer.slice(0, n));
        }
      } catch {
        // Reset counts as closed.
      } finally {
        clearTimeout(timer);
        try {
          conn.close();
        } catch {
          // Closed by the timer or already.
        }
      }
      return frames;
    },
  };
}

/** The close code in a close frame's payload. */
export function closeCodeOf(frame: Frame | undefined): number | undefined {
  if (frame === undefined || frame.opcode !== 0x8 || frame.payload.length < 2) return undefined;
  return (frame.payload[0]! << 8) | frame.payload[1]!;
}

/**
 * A one-shot server that answers the handshake with `extensions` as its
 * `Sec-WebSocket-Extensions` header, then waits for the client to close.
 * Resolves `clientClosed` when the client dropped the connection.
 */
export function fakeServer(extensions: string) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const clientClosed = (async () => {
    const conn = await listener.accept();
    const buffer = new Uint8Array(4096);
    let head = "";
    while (!head.includes("\r\n\r\n")) {
      const n = await conn.read(buffer);
      if (n === null) return { offered: "", closedByClient: false };
      head += new TextDecoder().decode(buffer.subarray(0, n));
    }
    const offered = /^sec-websocket-extensions: *(.*)$/im.exec(head)?.[1]?.trim() ?? "";
    const key = /sec-websocket-key: *(\S+)/i.exec(head)![1]!;
    const { computeAcceptKey } = await import("../handshake/accept_key.ts");
    await conn.write(new TextEncoder().encode(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        `Sec-WebSocket-Accept: ${computeAcceptKey(key)}\r\n` +
        `Sec-WebSocket-Extensions: ${extensions}\r\n\r\n`,
    ));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      conn.close();
    }, 10_000);
    try {
      while ((await conn.read(buffer)) !== null) { /* until the client closes */ }
    } catch {
      // A reset is a close too; the timer's close is not.
    } finally {
      clearTimeout(timer);
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
    return { offered, closedByClient: !timedOut };
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    clientClosed,
    close() {
      listener.close();
    },
  };
}
