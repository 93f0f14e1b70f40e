/**
 * Every core on one box: N workers, each running this module's `serve` on
 * the same port (`reusePort`, so the kernel spreads connections between
 * them), sharing topics through a `BroadcastChannel` (which spans the
 * workers of one process). Run:
 *
 * ```sh
 * deno run --unstable-net --allow-net=0.0.0.0 --allow-read=. examples/cluster/main.ts --port 8080 --workers 2
 * ```
 *
 * `--workers` defaults to the number of cores. It prints
 * `listening on http://HOST:PORT/ with N workers` once every worker listens.
 *
 * @module
 */
import { parseFlags } from "../_args.ts";

const { flags } = parseFlags(Deno.args);
const hostname = flags.get("host") ?? "0.0.0.0";
const count = Number(flags.get("workers") ?? navigator.hardwareConcurrency);
let port = Number(flags.get("port") ?? Deno.env.get("PORT") ?? 8000);
if (port === 0) {
  // Every worker must bind the same port: pick a free one first.
  const probe = Deno.listen({ hostname, port: 0 });
  port = (probe.addr as Deno.NetAddr).port;
  probe.close();
}

const workers: Worker[] = [];
const ready: Promise<void>[] = [];
for (let id = 0; id < count; id++) {
  const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
  ready.push(
    new Promise((resolve, reject) => {
      worker.onmessage = () => resolve();
      worker.onerror = (event) => reject(event.error ?? new Error(event.message));
    }),
  );
  worker.postMessage({ id, hostname, port });
  workers.push(worker);
}
await Promise.all(ready);
console.log(`listening on http://${hostname}:${port}/ with ${count} workers`);

Deno.addSignalListener("SIGTERM", () => {
  for (const worker of workers) worker.terminate();
  Deno.exit(0);
});
