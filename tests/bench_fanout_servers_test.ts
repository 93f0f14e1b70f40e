/**
 * The servers of `bench/fanout.ts` under its own generator
 * (`bench/_fanout_load.mjs`), small: each must deliver every message to
 * every subscriber (the generator stops when a message stays incomplete),
 * or the table would measure a server that is not doing the work. The `ws`
 * server is left out: it needs `ws` installed from npm.
 */
import assert from "node:assert/strict";
import { requireTool, runProcess, startProcess } from "./_process.ts";

const DENO = [Deno.execPath(), "run", "--allow-net=127.0.0.1"];
const SERVERS: Record<string, string[]> = {
  "ours, PubSub": [...DENO, "bench/fanout_server.ts"],
  "ours, Broadcaster": [...DENO, "bench/fanout_server.ts", "--impl", "broadcaster"],
  "Deno native": [...DENO, "bench/fanout_native.ts"],
  "Bun": ["bun", "bench/fanout_bun.ts"],
};

for (const [name, [command, ...args]] of Object.entries(SERVERS)) {
  Deno.test(`bench/fanout.ts's ${name} server delivers every message to 50 subscribers`, async () => {
    if (command === "bun") await requireTool("bun", "see https://bun.sh");
    const node = await requireTool("node", "apt-get install nodejs");
    const server = await startProcess(command!, [...args, "--port", "0"], /listening on (\d+)/);
    try {
      const { code, output } = await runProcess(node, [
        "bench/_fanout_load.mjs",
        "--port",
        server.match[1]!,
        "--subscribers",
        "50",
        "--size",
        "200",
        "--warmup",
        "200",
        "--duration",
        "500",
      ]);
      assert.equal(code, 0, output);
      const result = JSON.parse(output.trim().split("\n").at(-1)!);
      // A message lost for one subscriber would stop the window of 32 for good.
      assert.ok(result.completed >= 100, `only ${result.completed} messages reached everyone`);
      assert.ok(result.published - result.completed <= 32, output);
      assert.ok(result.deliveries > 0, output);
    } finally {
      await server.stop();
    }
  });
}
