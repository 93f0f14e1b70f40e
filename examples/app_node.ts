/**
 * Runs `app.ts` on Node or Bun with the `serve` of `@edgews/websocket/node`
 * (`node:http`; this module frames on the upgraded socket).
 *
 * Run with Bun: `bun examples/app_node.ts --host 127.0.0.1 --port 8080`.
 * Node 20 cannot run TypeScript: bundle it first, then run the bundle:
 * `deno bundle -o app_node.mjs examples/app_node.ts && node app_node.mjs --port 8080`
 * (prints `listening on ws://HOST:PORT`; SIGTERM or SIGINT stops it).
 *
 * @module
 */
import process from "node:process";
import { serve } from "../node.ts";
import { parseFlags } from "./_args.ts";
import { handler } from "./app.ts";

const { flags } = parseFlags(process.argv.slice(2));
const server = serve({
  hostname: flags.get("host") ?? "127.0.0.1",
  port: Number(flags.get("port") ?? "8080"),
  onListen: (addr) => console.log(`listening on ws://${addr.hostname}:${addr.port}`),
}, handler);
process.on("SIGINT", () => void server.shutdown());
process.on("SIGTERM", () => void server.shutdown());
await server.finished;
