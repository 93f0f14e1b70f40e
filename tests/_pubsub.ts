/** Servers and clients for the pubsub tests: all on loopback, all stoppable. */
import assert from "node:assert/strict";
import { WebSocket } from "../connection/websocket.ts";
import { serve, type WebSocketServer } from "../server/serve.ts";
import { upgradeWebSocket, type UpgradeWebSocketOptions } from "../transports/upgrade_websocket.ts";
import "../transports/mod.ts"; // registers the Deno connector for clients
import type { PubSub } from "../pubsub/pubsub.ts";

/**
 * A server whose sockets join the topics named in the URL's `topics`
 * (default `room`) once open; `onOpen` runs first. Server sockets are
 * pushed to `sockets`.
 */
export function startPubSubServer(
  pubsub: PubSub,
  options: UpgradeWebSocketOptions = {},
  sockets: WebSocket[] = [],
  onOpen?: (socket: WebSocket) => void,
): WebSocketServer {
  return serve({ hostname: "127.0.0.1", port: 0 }, (request) => {
    const topics = new URL(request.url).searchParams.get("topics")?.split(",") ?? ["room"];
    const { response, socket } = upgradeWebSocket(request, options);
    sockets.push(socket);
    socket.onopen = () => {
      onOpen?.(socket);
      for (const topic of topics) void pubsub.subscribe(socket, topic);
    };
    return response;
  });
}

/** Wait (bounded) until `topic` has `count` local members. */
export async function members(pubsub: PubSub, count: number, topic = "room"): Promise<void> {
  for (let i = 0; i < 500 && pubsub.size(topic) !== count; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(pubsub.size(topic), count);
}

/** `promise`, or a rejection after `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** One of our client sockets that collects messages and can wait for the n-th. */
export function collector(url: string) {
  const socket = new WebSocket(url);
  socket.binaryType = "arraybuffer";
  const got: (string | ArrayBuffer)[] = [];
  let want = Infinity;
  let wake: (() => void) | undefined;
  socket.onmessage = (event) => {
    got.push(event.data);
    if (got.length >= want) wake?.();
  };
  return {
    socket,
    got,
    /** Resolves once `count` messages arrived; rejects after 10 s. */
    reached(count: number): Promise<void> {
      if (got.length >= count) return Promise.resolve();
      return within(
        new Promise<void>((resolve) => {
          want = count;
          wake = resolve;
        }),
        10_000,
        `${got.length}/${count} messages`,
      );
    },
  };
}
