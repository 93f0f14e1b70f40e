import { encodeCommand, RedisError, type RespValue } from "./resp.ts";
import { _RedisSocket, _socketOptions } from "./_redis_socket.ts";
import { REDIS_DEFAULTS, type RedisClientOptions } from "./redis_options.ts";

interface _Command {
  bytes: Uint8Array;
  resolve: (value: RespValue) => void;
  reject: (error: Error) => void;
}

/**
 * Sends commands to Redis over one connection, pipelined: each `command`
 * is written at once and its promise settles with its reply, in order.
 * While disconnected, commands wait (up to `maxPending`) and go out on
 * reconnection, which is retried with exponential backoff. A command
 * written before the connection broke is rejected: it may or may not have
 * run.
 * Its cases run against a real redis-server in `pubsub/redis_client_test.ts`.
 */
export class RedisClient {
  #socket: _RedisSocket;
  #maxPending: number;
  /** Written, waiting for their replies (in order). */
  #sent: _Command[] = [];
  /** Waiting for the connection. */
  #queued: _Command[] = [];
  #closed = false;

  /**
   * Connect (in the background) to Redis.
   *
   * @param options Where, and the bounds.
   */
  constructor(options: RedisClientOptions = {}) {
    this.#maxPending = options.maxPending ?? REDIS_DEFAULTS.maxPending;
    this.#socket = new _RedisSocket(_socketOptions(options), {
      onOpen: () => {
        this.#flushQueued();
        options.onConnectionChange?.(true);
      },
      onValue: (value) => this.#reply(value),
      onLost: (error, wasOpen) => {
        this.#lost(error);
        if (wasOpen) options.onConnectionChange?.(false);
      },
    });
  }

  /** Whether the connection is up. */
  get connected(): boolean {
    return this.#socket.open;
  }

  /**
   * Run a command.
   *
   * @param args The command and its arguments.
   * @returns Its reply.
   * @throws {RedisError} For an error reply.
   * @throws {RangeError} When `maxPending` commands already wait.
   * @throws {Error} When the connection broke after the command was written, or the client is closed.
   */
  command(args: readonly (string | number | Uint8Array)[]): Promise<RespValue> {
    if (this.#closed) return Promise.reject(new Error("Cannot send: the Redis client is closed"));
    const pending = this.#sent.length + this.#queued.length;
    if (pending >= this.#maxPending) {
      return Promise.reject(
        new RangeError(`Cannot send: ${pending} Redis commands already wait (maxPending)`),
      );
    }
    return new Promise((resolve, reject) => {
      const command = { bytes: encodeCommand(args), resolve, reject };
      if (this.#socket.write(command.bytes)) this.#sent.push(command);
      else this.#queued.push(command);
    });
  }

  /** Close the connection; waiting commands are rejected. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const error = new Error("Cannot send: the Redis client is closed");
    for (const command of this.#queued.splice(0)) command.reject(error);
    await this.#socket.close();
  }

  #flushQueued(): void {
    const queued = this.#queued;
    this.#queued = [];
    for (const command of queued) {
      this.#socket.write(command.bytes);
      this.#sent.push(command);
    }
  }

  #reply(value: RespValue): void {
    const command = this.#sent.shift();
    if (command === undefined) {
      // A reply to nothing: the stream is out of step, start over.
      this.#socket.drop();
      return;
    }
    if (value instanceof RedisError) command.reject(value);
    else command.resolve(value);
  }

  #lost(error: Error): void {
    for (const command of this.#sent.splice(0)) command.reject(error);
    if (this.#closed) { for (const command of this.#queued.splice(0)) command.reject(error); }
  }
}
