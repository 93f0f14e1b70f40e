/**
 * The implementations under test, as subprocesses: three echo servers and
 * three echo clients (this module, Deno's native WebSocket, `ws` on Node).
 * Every child is tracked and killed on the way out.
 *
 * @module
 */

/** Installs `ws` for Node into `bench/.node`, once (shared with `bench/e2e.ts`). */
export { ensureWs } from "../../bench/_node_ws.ts";

export const ROOT = new URL("../../", import.meta.url).pathname;

/** An implementation under test. */
export type ImplKey = "ours" | "native" | "ws";
export const IMPLS: readonly ImplKey[] = ["ours", "native", "ws"];
export const IMPL_NAMES: Record<ImplKey, string> = {
  ours: "ours",
  native: "Deno native",
  ws: "ws (Node)",
};

function deno(script: string, extra: string[] = []): [string, string[]] {
  return [Deno.execPath(), ["run", "--allow-net=127.0.0.1", script, ...extra]];
}

/** The command that starts an echo server printing `listening on ws://HOST:PORT`. */
export function serverCommand(key: ImplKey): [string, string[]] {
  const address = ["--host", "127.0.0.1", "--port", "0"];
  switch (key) {
    case "ours":
      return deno("examples/echo_server.ts", address);
    case "native":
      return deno("bench/native_echo_server.ts", address);
    case "ws":
      return ["node", ["bench/ws_echo_server.mjs", ...address]];
  }
}

/** The command that runs an echo client over the given URLs, one after the other. */
export function clientCommand(key: ImplKey, urls: string[]): [string, string[]] {
  switch (key) {
    case "ours":
      return deno("examples/echo_client.ts", urls);
    case "native":
      return deno("tests/conformance/peers/native_echo_client.ts", urls);
    case "ws":
      return ["node", ["tests/conformance/peers/ws_echo_client.mjs", ...urls]];
  }
}

/** Every child still running. */
const running = new Set<Deno.ChildProcess>();

/** A running child with its output. */
export interface Proc {
  child: Deno.ChildProcess;
  /** Resolves with the first stdout line matching, or rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  /** The last few KiB of stdout and stderr. */
  output(): string;
  /** Exit code once exited. */
  exited: Promise<Deno.CommandStatus>;
}

/** Starts a child in the repository root, stdin closed, output captured. */
export function spawn([command, args]: [string, string[]]): Proc {
  const child = new Deno.Command(command, {
    args,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  running.add(child);
  let text = "";
  let stdoutText = "";
  const watchers = new Set<() => void>();
  const pump = async (stream: ReadableStream<Uint8Array>, isStdout: boolean) => {
    try {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        text = (text + chunk).slice(-8192);
        if (isStdout) {
          stdoutText = (stdoutText + chunk).slice(-65536);
          for (const w of watchers) w();
        }
      }
    } catch {
      // The child is gone.
    }
  };
  const pumps = Promise.all([pump(child.stdout, true), pump(child.stderr, false)]);
  const exited = child.status.then(async (status) => {
    running.delete(child);
    await pumps;
    for (const w of watchers) w();
    return status;
  });
  let done = false;
  void exited.then(() => (done = true));
  return {
    child,
    exited,
    output: () => text.trim(),
    waitFor(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(stdoutText);
          if (match) finish(() => resolve(match));
          else if (done) finish(() => reject(new Error(`exited before printing ${pattern}`)));
        };
        const timer = setTimeout(
          () => finish(() => reject(new Error(`nothing matching ${pattern} in ${timeoutMs} ms`))),
          timeoutMs,
        );
        const finish = (then: () => void) => {
          clearTimeout(timer);
          watchers.delete(check);
          then();
        };
        watchers.add(check);
        check();
      });
    },
  };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the child is gone. */
export async function stop(proc: Proc, graceMs = 2000): Promise<void> {
  try {
    proc.child.kill("SIGTERM");
  } catch {
    // Already exited.
  }
  const timer = setTimeout(() => {
    try {
      proc.child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
  }, graceMs);
  await proc.exited;
  clearTimeout(timer);
}

/** Kills every child still running (on errors and at exit). */
export async function stopAll(): Promise<void> {
  for (const child of running) {
    try {
      child.kill("SIGKILL");
    } catch {
      // Gone.
    }
  }
  await Promise.all([...running].map((c) => c.status.catch(() => {})));
}
