/** Child processes for the runtime tests: other runtimes found or failed on, bundles, servers. */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

/** The path of `tool` on PATH; throws (the test fails, never skips) when it is missing. */
export async function requireTool(tool: string, installHint: string): Promise<string> {
  const { code, stdout } = await new Deno.Command("bash", {
    args: ["-c", `command -v ${tool}`],
    stdout: "piped",
    stderr: "null",
  }).output();
  const path = new TextDecoder().decode(stdout).trim();
  if (code !== 0 || path === "") {
    throw new Error(`${tool} is not installed: ${installHint} (deno task test installs it)`);
  }
  return path;
}

/**
 * Bundle `entry` (a TypeScript file of this repository) into one ES module
 * with `deno bundle` (its esbuild comes from the npm registry on first use),
 * for runtimes that cannot run TypeScript or import by path: Node 20 (which
 * reads it from stdin with `node --input-type=module -`) and workerd (which
 * gets it inside its config). Returns the module's source, so the tests
 * write no files.
 */
export async function bundleModule(entry: string): Promise<Uint8Array> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--quiet", entry],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  if (code !== 0 || stdout.length === 0) {
    throw new Error(`deno bundle ${entry} failed: ${new TextDecoder().decode(stderr)}`);
  }
  return stdout;
}

/** Arguments that make Node run a module given on stdin. */
export const NODE_STDIN_MODULE = ["--input-type=module", "-"];

/** A started child with the match of its ready line. */
export interface Started {
  match: RegExpExecArray;
  /** Everything it printed so far. */
  output(): string;
  /** SIGTERM, then the exit status (SIGKILL after 10 s). */
  stop(): Promise<Deno.CommandStatus>;
}

/**
 * Start `command args` in the repository root and wait (30 s at most) until
 * it is ready: `ready` on its output, or, for a port number, the port
 * accepting TCP connections (for programs that print nothing, as workerd).
 */
export async function startProcess(
  command: string,
  args: string[],
  ready: RegExp | number,
  env: Record<string, string> = {},
  stdin?: Uint8Array,
): Promise<Started> {
  const child = new Deno.Command(command, {
    args,
    cwd: ROOT,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).spawn();
  if (stdin !== undefined) await _feed(child, stdin);
  let output = "";
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) output += text;
  };
  const collecting = Promise.all([collect(child.stdout), collect(child.stderr)]);
  let exited = false;
  void child.status.then(() => exited = true);
  const isReady = async (): Promise<RegExpExecArray | null> => {
    if (typeof ready !== "number") return ready.exec(output);
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port: ready })).close();
      return /$/.exec("") as RegExpExecArray;
    } catch {
      return null;
    }
  };
  const deadline = Date.now() + 30_000;
  let match: RegExpExecArray | null = null;
  while (Date.now() < deadline) {
    match = await isReady();
    if (match !== null || exited) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // Already exited.
    }
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already exited.
      }
    }, 10_000);
    const status = await child.status;
    clearTimeout(timer);
    await collecting;
    return status;
  };
  if (match === null) {
    await stop();
    throw new Error(`${command} ${args.join(" ")} did not become ready (${ready}):\n${output}`);
  }
  return { match, output: () => output, stop };
}

/** Run `command args` to completion (bounded by `timeout` ms); returns its status and output. */
export async function runProcess(
  command: string,
  args: string[],
  env: Record<string, string> = {},
  stdin?: Uint8Array,
  timeout = 120_000,
): Promise<{ code: number; output: string }> {
  const child = new Deno.Command(command, {
    args,
    cwd: ROOT,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).spawn();
  if (stdin !== undefined) await _feed(child, stdin);
  const timer = setTimeout(() => child.kill("SIGKILL"), timeout);
  const { code, stdout, stderr } = await child.output();
  clearTimeout(timer);
  const decoder = new TextDecoder();
  return { code, output: decoder.decode(stdout) + decoder.decode(stderr) };
}

async function _feed(child: Deno.ChildProcess, bytes: Uint8Array): Promise<void> {
  const writer = child.stdin.getWriter();
  try {
    await writer.write(bytes);
    await writer.close();
  } catch {
    // The child exited early; its output tells why.
  }
}

/** A child process that talks in lines: what it prints, read a line at a time. */
export interface LineChild {
  process: Deno.ChildProcess;
  /** The next line it printed (without the newline); rejects once it exited. */
  nextLine(): Promise<string>;
  /** Write `line` and a newline to its stdin (when started with `stdin: true`). */
  send(line: string): Promise<void>;
  /** Close its stdin (the child's cue to end) and stop reading its stdout. */
  close(): Promise<void>;
}

/**
 * Start `deno args...` in the repository root with piped stdout (and stdin
 * when asked), stderr inherited: the servers that memory tests measure in
 * a process of their own.
 */
export function spawnDeno(args: string[], options: { stdin?: boolean } = {}): LineChild {
  const process = new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdin: options.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = process.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const stdin = options.stdin ? process.stdin.getWriter() : undefined;
  const encoder = new TextEncoder();
  let pending = "";
  return {
    process,
    async nextLine() {
      while (!pending.includes("\n")) {
        const { value, done } = await lines.read();
        if (done) throw new Error("the child exited");
        pending += value;
      }
      const line = pending.slice(0, pending.indexOf("\n"));
      pending = pending.slice(line.length + 1);
      return line;
    },
    async send(line) {
      if (stdin === undefined) throw new Error("the child was started without stdin");
      await stdin.write(encoder.encode(`${line}\n`));
    },
    async close() {
      await stdin?.close().catch(() => {});
      await lines.cancel().catch(() => {});
    },
  };
}

/** The environment variable that tells a test file it runs as `isolated`'s child. */
const _ISOLATED = "EDGEWS_ISOLATED_TEST";

/**
 * Run the test named `name` of the file `url` alone, in a `deno test`
 * process of its own, and assert it passed: for tests that measure the
 * process's memory (RSS), which other test files running in parallel in
 * the same process would disturb. Returns `true` in the parent (the test
 * ran in the child), `false` in the child (go on with the test's body).
 */
export async function isolated(url: string, name: string): Promise<boolean> {
  if (Deno.env.get(_ISOLATED) === name) return false;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["test", "--allow-all", "--filter", name, new URL(url).pathname],
    cwd: ROOT,
    env: { [_ISOLATED]: name, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const output = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  if (code !== 0 || !/\| 1 passed \| 0 failed/.test(output)) {
    throw new Error(`"${name}" failed in its own process:\n${output}`);
  }
  return true;
}

/**
 * Drive the server at `url` with the benchmarks' idle client
 * (`bench/echo_load.ts --mode idle`): it must open `count` connections,
 * answer one 64-byte round trip on each, and let the client close them all.
 */
export async function assertServesIdleClient(url: string, count: number): Promise<void> {
  const { code, output } = await runProcess(
    Deno.execPath(),
    [
      "run",
      "--allow-net=127.0.0.1",
      "bench/echo_load.ts",
      "--mode",
      "idle",
      "--url",
      url,
      "--count",
      String(count),
      "--batch",
      "10",
      "--lifetime",
      "60000",
    ],
    {},
    new TextEncoder().encode("echo\nclose\n"),
    90_000,
  );
  assert.equal(code, 0, output);
  const lines = output.split("\n").filter((line) => line.startsWith("{"));
  assert.deepEqual(lines.map((line) => JSON.parse(line)), [
    { opened: count, failed: 0 },
    { echoed: count },
  ]);
}
