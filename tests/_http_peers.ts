/**
 * Helpers for the tests that drive our HTTP server (`serve`) with real
 * clients (curl, Node's fetch, Chromium, Hono's app on our server): a
 * loopback server that counts the connections its requests came on, a child
 * process whose output can be awaited as it arrives, and deadlines.
 */
import { serve, type ServeHandler, type WebSocketServer } from "../mod.ts";

/** Our server on 127.0.0.1, a free port, with what it saw. */
export interface PeerServer {
  server: WebSocketServer;
  origin: string;
  /** The client ports the requests came from: one per connection that carried a request. */
  ports: Set<number>;
}

/** Start `serve()` on 127.0.0.1 and a free port, counting the connections requests came on. */
export function startServer(handler: ServeHandler): PeerServer {
  const ports = new Set<number>();
  const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request, info) => {
    ports.add(info.remoteAddr.port);
    return handler(request, info);
  });
  return { server, origin: `http://127.0.0.1:${server.addr.port}`, ports };
}

/** Reject with `what` if `promise` has not settled within `ms`; the timer never outlives it. */
export function deadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} (no answer within ${ms} ms)`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** A promise with its resolve function, for "this happened" signals. */
export function signal<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => resolve = done);
  return { promise, resolve };
}

/**
 * A running child whose stdout and stderr are collected as text as they
 * come. Disposing of it kills it if it still runs (`await using`).
 */
export class Child implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #collecting: Promise<unknown>;
  #stdout = "";
  #stderr = "";
  #stdoutEnded = false;
  #waiters: (() => void)[] = [];

  constructor(command: string, args: string[], stdin?: Uint8Array) {
    this.#child = new Deno.Command(command, {
      args,
      stdin: stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    if (stdin !== undefined) {
      const writer = this.#child.stdin.getWriter();
      writer.write(stdin).then(() => writer.close()).catch(() => {});
    }
    this.#collecting = Promise.all([
      this.#collect(this.#child.stdout, (text) => this.#stdout += text).finally(() => {
        this.#stdoutEnded = true;
        for (const wake of this.#waiters.splice(0)) wake();
      }),
      this.#collect(this.#child.stderr, (text) => this.#stderr += text),
    ]);
  }

  get stdout(): string {
    return this.#stdout;
  }

  get stderr(): string {
    return this.#stderr;
  }

  /** Resolve once stdout contains `text`; reject after `ms`, or when stdout ended without it. */
  async waitForStdout(text: string, ms = 10_000): Promise<void> {
    const seen = (async () => {
      while (!this.#stdout.includes(text)) {
        if (this.#stdoutEnded) {
          throw new Error(`stdout ended without ${JSON.stringify(text)}:\n${this.#stdout}`);
        }
        await new Promise<void>((resolve) => this.#waiters.push(resolve));
      }
    })();
    await deadline(seen, ms, `waiting for ${JSON.stringify(text)} on stdout:\n${this.#stdout}`);
  }

  /**
   * Its exit code once it ended and its output was read, killing it (and
   * rejecting) if that takes longer than `ms`.
   */
  async finish(ms: number): Promise<number> {
    try {
      const { code } = await deadline(this.#child.status, ms, "the child did not finish");
      await this.#collecting;
      return code;
    } catch (error) {
      await this[Symbol.asyncDispose]();
      throw new Error(`${(error as Error).message}\n--- stderr ---\n${this.#stderr}`);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await this.#child.status;
    await this.#collecting;
  }

  async #collect(stream: ReadableStream<Uint8Array>, add: (text: string) => void): Promise<void> {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      add(text);
      for (const wake of this.#waiters.splice(0)) wake();
    }
  }
}
