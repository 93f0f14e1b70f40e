/**
 * Runs `app.ts` on `Deno.serve`, as on Deno Deploy (Deno frames, through
 * `Deno.upgradeWebSocket`).
 *
 * Run: `deno run --allow-net examples/app_deno_serve.ts --host 127.0.0.1 --port 8080`
 * (prints `listening on ws://HOST:PORT`; SIGTERM or SIGINT stops it).
 *
 * @module
 */
import { parseFlags } from "./_args.ts";
import { handler } from "./app.ts";

const { flags } = parseFlags(Deno.args);
const server = Deno.serve({
  hostname: flags.get("host") ?? "127.0.0.1",
  port: Number(flags.get("port") ?? "8080"),
  onListen: (addr) => console.log(`listening on ws://${addr.hostname}:${addr.port}`),
}, handler);
Deno.addSignalListener("SIGINT", () => void server.shutdown());
Deno.addSignalListener("SIGTERM", () => void server.shutdown());
await server.finished;
