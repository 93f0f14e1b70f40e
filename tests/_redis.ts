/** A real redis-server for the tests: on a free loopback port, without persistence, killable. */
import { requireTool } from "./_process.ts";

/** A running redis-server. */
export interface RedisServer {
  port: number;
  /** SIGKILL, and wait until it is gone. */
  kill(): Promise<void>;
  /** Start it again on the same port (empty: nothing was saved). */
  restart(): Promise<void>;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * Start redis-server on a free loopback port with `--save '' --appendonly no`
 * and wait (30 s at most) until it accepts connections.
 */
export async function startRedis(port = freePort()): Promise<RedisServer> {
  const path = await requireTool("redis-server", "apt-get install redis-server");
  let child: Deno.ChildProcess | undefined;
  const start = async () => {
    child = new Deno.Command(path, {
      args: [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--loglevel",
        "warning",
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      try {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        await conn.write(new TextEncoder().encode("PING\r\n"));
        const reply = new Uint8Array(7);
        const n = await conn.read(reply);
        conn.close();
        if (new TextDecoder().decode(reply.subarray(0, n ?? 0)) === "+PONG\r\n") return;
      } catch {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill("SIGKILL");
    await child.status;
    throw new Error(`redis-server did not start on port ${port}`);
  };
  await start();
  return {
    port,
    async kill() {
      try {
        child?.kill("SIGKILL");
      } catch {
        // Already gone.
      }
      await child?.status;
    },
    restart: start,
  };
}
