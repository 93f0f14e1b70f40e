/** Debian's tinyproxy on loopback, configured from stdin (no files), for the proxy tests. */
import { requireTool } from "./_process.ts";

/** A running tinyproxy. */
export interface Tinyproxy {
  port: number;
  /** Its log so far (one line per connection and request, at LogLevel Connect). */
  log(): string;
  stop(): Promise<void>;
}

/** Options for {@linkcode startTinyproxy}. */
export interface TinyproxyOptions {
  /** Require `Proxy-Authorization: Basic` with this user and password. */
  auth?: { user: string; password: string };
  /** Allow CONNECT to these ports only (tinyproxy answers 403 otherwise). */
  connectPorts?: number[];
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Start tinyproxy on a free loopback port and wait (10 s at most) until it accepts. */
export async function startTinyproxy(options: TinyproxyOptions = {}): Promise<Tinyproxy> {
  const binary = await requireTool(
    "tinyproxy",
    "apt-get install tinyproxy",
  );
  const port = freePort();
  const lines = [
    `Port ${port}`,
    "Listen 127.0.0.1",
    "Timeout 30",
    "MaxClients 50",
    "Allow 127.0.0.1",
    "LogLevel Connect",
  ];
  if (options.auth) lines.push(`BasicAuth ${options.auth.user} ${options.auth.password}`);
  for (const allowed of options.connectPorts ?? []) lines.push(`ConnectPort ${allowed}`);
  const child = new Deno.Command(binary, {
    args: ["-d", "-c", "/dev/stdin"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(lines.join("\n") + "\n"));
  await writer.close();
  let output = "";
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) output += text;
  };
  const collecting = Promise.all([collect(child.stdout), collect(child.stderr)]);
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // Already exited.
    }
    // tinyproxy notices SIGTERM only when its accept loop wakes up (the signal
    // does not cut its poll short: seen hanging a test run for 10 minutes), so
    // knock once; if it still runs 3 s later, kill it.
    const knock = Deno.connect({ hostname: "127.0.0.1", port }).then(
      (conn) => conn.close(),
      () => {},
    );
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already exited.
      }
    }, 3000);
    await child.status;
    clearTimeout(timer);
    await knock;
    await collecting;
  };
  let exited = false;
  void child.status.then(() => exited = true);
  for (let attempt = 0; attempt < 200 && !exited; attempt++) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return { port, log: () => output, stop };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  await stop();
  throw new Error(`tinyproxy did not start on port ${port}:\n${output}`);
}
