/**
 * The benchmarks' child processes: started with their stdout read line by
 * line and the tail of their stderr kept for error messages, and every one
 * still running stopped by {@linkcode stopChildren} whatever happens.
 *
 * @module
 */
import { stop } from "./_stop.ts";

/** A running child process. */
export interface Child {
  child: Deno.ChildProcess;
  /** The next stdout line, `null` at the end; rejects after `timeoutMs` without one. */
  line(timeoutMs: number): Promise<string | null>;
  /** The last few KiB of stderr. */
  stderr(): string;
}

/** How to start a child. */
export interface ChildOptions {
  /** The working directory. */
  cwd: string;
  /** Bytes written to its stdin, which is then closed; or `"piped"` to write later. */
  stdin?: Uint8Array | "piped" | undefined;
  /** Run it under `ulimit -n` this many open files (through `sh`). */
  fileLimit?: number | undefined;
}

const running = new Set<Deno.ChildProcess>();

/** Start `command args`. */
export function spawnChild(command: string, args: string[], options: ChildOptions): Child {
  const [cmd, argv] = options.fileLimit === undefined
    ? [command, args]
    : ["sh", ["-c", `ulimit -n ${options.fileLimit} && exec "$@"`, "sh", command, ...args]];
  const stdin = options.stdin;
  const child = new Deno.Command(cmd, {
    args: argv,
    cwd: options.cwd,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  running.add(child);
  void child.status.then(() => running.delete(child));
  if (stdin instanceof Uint8Array) {
    const writer = child.stdin.getWriter();
    void writer.write(stdin).then(() => writer.close()).catch(() => {});
  }
  return { child, line: lineReader(child.stdout), stderr: tail(child.stderr) };
}

/** Stop every child still running (SIGTERM, then SIGKILL after `graceMs`). */
export async function stopChildren(graceMs = 2000): Promise<void> {
  await Promise.all([...running].map((child) => stop(child, graceMs)));
}

/** Lines of `stream` as they come (at most 1,000 kept unread). */
function lineReader(stream: ReadableStream<Uint8Array>): Child["line"] {
  const queue: string[] = [];
  const waiters: ((line: string | null) => void)[] = [];
  let ended = false;
  const push = (line: string) => {
    const waiter = waiters.shift();
    if (waiter !== undefined) waiter(line);
    else if (queue.length < 1000) queue.push(line);
  };
  void (async () => {
    let buffered = "";
    try {
      for await (const text of stream.pipeThrough(new TextDecoderStream())) {
        buffered += text;
        let newline;
        while ((newline = buffered.indexOf("\n")) !== -1) {
          push(buffered.slice(0, newline));
          buffered = buffered.slice(newline + 1);
        }
      }
    } catch {
      // The child died; what was read is all there is.
    }
    if (buffered !== "") push(buffered);
    ended = true;
    for (const wake of waiters.splice(0)) wake(null);
  })();
  return (timeoutMs) => {
    const line = queue.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (ended) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const waiter = (value: string | null) => {
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        const i = waiters.indexOf(waiter);
        if (i !== -1) waiters.splice(i, 1);
        reject(new Error(`no output for ${timeoutMs} ms`));
      }, timeoutMs);
      waiters.push(waiter);
    });
  };
}

/** Keeps the last few KiB of a stream (a child's stderr) for error messages. */
function tail(stream: ReadableStream<Uint8Array>): () => string {
  let text = "";
  void (async () => {
    try {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        text = (text + chunk).slice(-4096);
      }
    } catch {
      // Gone.
    }
  })();
  return () => text.trim();
}
