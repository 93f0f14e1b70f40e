/**
 * One application for every runtime: a WebSocket echo endpoint that greets
 * each client with the runtime it runs on, echoes text and binary messages,
 * and closes with 4000 when asked with "bye". `POST /api/echo` answers the
 * JSON it was sent, with the runtime; other requests get a plain page. Only `upgradeWebSocket` is used, so the file runs unchanged under
 * this module's `serve` (Deno, or Node and Bun through
 * `@edgews/websocket/node`) and under `Deno.serve` or Deno Deploy (where
 * Deno does the framing). The launchers beside it start it:
 *
 * - `deno run --allow-net examples/app_deno.ts --port 8080` (this module's `serve`)
 * - `deno run --allow-net examples/app_deno_serve.ts --port 8080` (`Deno.serve`)
 * - `bun examples/app_node.ts --port 8080` (Bun), or Node on a bundle of it
 *   (see the README's "Runtimes" section)
 *
 * @module
 */
import { upgradeWebSocket } from "../mod.ts";

/** Where the application runs, as the runtime tells it (Node 20 has no `navigator`). */
export const runtime: string = globalThis.navigator?.userAgent ??
  `Node.js/${(globalThis as { process?: { version?: string } }).process?.version}`;

/**
 * The request handler: `(request) => Response`, as every server here takes it.
 *
 * @param request The HTTP request.
 * @returns The 101 for WebSocket upgrades, JSON for the API, a page otherwise.
 */
export function handler(request: Request): Response | Promise<Response> {
  if (request.method === "POST" && new URL(request.url).pathname === "/api/echo") {
    return request.json().then(
      (received) => Response.json({ runtime, received }),
      () => Response.json({ error: "the body is not JSON" }, { status: 400 }),
    );
  }
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    return new Response(`edgews example app on ${runtime}\n`, {
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  }
  const { response, socket } = upgradeWebSocket(request, { protocols: ["echo"] });
  socket.binaryType = "arraybuffer";
  socket.onopen = () => socket.send(`welcome from ${runtime}`);
  socket.onmessage = (event) => {
    if (event.data === "bye") socket.close(4000, "bye");
    else socket.send(event.data);
  };
  return response;
}
