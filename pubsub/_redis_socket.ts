/**
 * A TCP connection to Redis that reconnects with backoff, speaking RESP2
 * through `RespDecoder`: the thin I/O under `RedisClient` and
 * `RedisSubscriber`. It runs on `node:net`, reached through
 * `process.getBuiltinModule` (Deno, Node ≥ 20.16, Bun) so that nothing
 * imports a `node:` module statically. Not exported from `mod.ts`.
 *
 * @module
 */

import { RespDecoder, type RespValue } from "./resp.ts";
import { REDIS_DEFAULTS, type RedisConnectionOptions } from "./redis_options.ts";

/** Where Redis is, and how to reconnect. */
export interface _RedisSocketOptions {
  hostname: string;
  port: number;
  /** First delay before reconnecting, in ms; doubled after each failure. */
  reconnectDelay: number;
  /** Longest delay before reconnecting, in ms. */
  maxReconnectDelay: number;
}

/** `RedisConnectionOptions` with their defaults. */
export function _socketOptions(options: RedisConnectionOptions): _RedisSocketOptions {
  return {
    hostname: options.hostname ?? REDIS_DEFAULTS.hostname,
    port: options.port ?? REDIS_DEFAULTS.port,
    reconnectDelay: options.reconnectDelay ?? REDIS_DEFAULTS.reconnectDelay,
    maxReconnectDelay: options.maxReconnectDelay ?? REDIS_DEFAULTS.maxReconnectDelay,
  };
}

/** What the owner hears. */
export interface _RedisSocketEvents {
  /** Connected (again): the owner writes what must go first. */
  onOpen(): void;
  /** A reply or a push. */
  onValue(value: RespValue): void;
  /**
   * The connection is gone, or an attempt to connect failed (`wasOpen`
   * false); it reconnects by itself unless closed.
   */
  onLost(error: Error, wasOpen: boolean): void;
}

/** The part of a `node:net` socket used here. */
interface _NetSocket {
  setNoDelay(on: boolean): void;
  write(bytes: Uint8Array): boolean;
  destroy(): void;
  on(event: "connect" | "close", listener: () => void): void;
  on(event: "data", listener: (data: Uint8Array) => void): void;
  on(event: "error", listener: (error: Error) => void): void;
}

interface _Net {
  createConnection(options: { host: string; port: number }): _NetSocket;
}

function _net(): _Net {
  const process = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } })
    .process;
  const net = process?.getBuiltinModule?.("node:net") as _Net | undefined;
  if (typeof net?.createConnection !== "function") {
    throw new TypeError("Cannot connect to Redis: this runtime has no node:net");
  }
  return net;
}

/** One reconnecting connection. */
export class _RedisSocket {
  #options: _RedisSocketOptions;
  #events: _RedisSocketEvents;
  #socket: _NetSocket | undefined;
  #open = false;
  #closed = false;
  #failures = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #done: (() => void) | undefined;

  constructor(options: _RedisSocketOptions, events: _RedisSocketEvents) {
    this.#options = options;
    this.#events = events;
    this.#connect();
  }

  /** Whether writes go out now. */
  get open(): boolean {
    return this.#open;
  }

  /** Write bytes; `false` when not connected (nothing was written). */
  write(bytes: Uint8Array): boolean {
    if (!this.#open) return false;
    this.#socket!.write(bytes);
    return true;
  }

  /** Drop the connection now (it reconnects unless closed): for a peer that broke the protocol. */
  drop(): void {
    this.#socket?.destroy();
  }

  /** Close for good; resolves once the socket is closed. */
  close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    if (this.#socket === undefined) return Promise.resolve();
    const closed = new Promise<void>((resolve) => this.#done = resolve);
    this.#socket.destroy();
    return closed;
  }

  #connect(): void {
    const socket = _net().createConnection({
      host: this.#options.hostname,
      port: this.#options.port,
    });
    this.#socket = socket;
    const decoder = new RespDecoder();
    let error: Error | undefined;
    socket.on("connect", () => {
      socket.setNoDelay(true);
      this.#failures = 0;
      this.#open = true;
      this.#events.onOpen();
    });
    socket.on("data", (data) => {
      let values: RespValue[];
      try {
        values = decoder.write(data);
      } catch (cause) {
        error = cause as Error;
        socket.destroy();
        return;
      }
      for (const value of values) this.#events.onValue(value);
    });
    socket.on("error", (cause) => error ??= cause);
    socket.on("close", () => {
      const wasOpen = this.#open;
      this.#open = false;
      this.#socket = undefined;
      if (wasOpen || error !== undefined || this.#closed) {
        this.#events.onLost(
          new Error(`Redis connection lost: ${error?.message ?? "closed by the server"}`),
          wasOpen,
        );
      }
      if (this.#closed) {
        this.#done?.();
        return;
      }
      const delay = Math.min(
        this.#options.reconnectDelay * 2 ** this.#failures++,
        this.#options.maxReconnectDelay,
      );
      this.#timer = setTimeout(() => this.#connect(), delay);
    });
  }
}
