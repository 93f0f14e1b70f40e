/** Servers and helpers shared by the session tests: all on loopback, all stoppable. */
import { serve, upgradeWebSocket, type WebSocketServer } from "../mod.ts";
import type { UpgradeWebSocketOptions } from "../transports/upgrade_websocket.ts";

/** Our echo server on a free port. */
export function startEchoServer(options: UpgradeWebSocketOptions = {}): WebSocketServer {
  return serve({ hostname: "127.0.0.1", port: 0 }, (request) => {
    const { response, socket } = upgradeWebSocket(request, options);
    socket.binaryType = "arraybuffer";
    socket.onmessage = (event) => socket.send(event.data);
    return response;
  });
}

/** Deno's native echo server (`Deno.upgradeWebSocket`) on a free port. */
export function startNativeEchoServer(): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const { response, socket } = Deno.upgradeWebSocket(request);
    socket.binaryType = "arraybuffer";
    socket.onmessage = (event) => socket.send(event.data);
    return response;
  });
}

/** Resolve with the next event of `type` on `target`, or reject after `ms`. */
export function nextEvent<E extends Event>(
  target: EventTarget,
  type: string,
  ms = 10_000,
): Promise<E> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${type}`)), ms);
    target.addEventListener(type, (event) => {
      clearTimeout(timer);
      resolve(event as E);
    }, { once: true });
  });
}

/** Deterministic bytes of a given length. */
export function patternBytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}
