/**
 * Chat demo: a web page plus a WebSocket endpoint where every browser tab sees
 * the others' messages.
 *
 * Run: `deno task start`, then open http://localhost:8000 in two tabs
 * (`PORT` changes the port).
 *
 * @module
 */
import { serve, upgradeWebSocket, type WebSocket } from "../../mod.ts";

const port = Number(Deno.env.get("PORT") ?? "8000");
const page = await Deno.readFile(new URL("./index.html", import.meta.url));
const members = new Set<WebSocket>();
let nextId = 1;

function broadcast(message: string): void {
  for (const member of members) {
    // A slow member is dropped rather than buffering without bound.
    if (member.bufferedAmount > 1024 * 1024) member.close(4008, "Too slow");
    else member.send(message);
  }
}

const server = serve({
  hostname: "127.0.0.1",
  port,
  onListen(addr) {
    console.log(`chat on http://localhost:${addr.port}`);
  },
}, (request) => {
  const { pathname } = new URL(request.url);
  if (pathname === "/ws") {
    const { response, socket } = upgradeWebSocket(request, { protocols: ["chat"] });
    const name = `guest-${nextId++}`;
    socket.onopen = () => {
      members.add(socket);
      socket.send(JSON.stringify({ type: "welcome", name, extensions: socket.extensions }));
      broadcast(JSON.stringify({ type: "join", name, count: members.size }));
    };
    socket.onmessage = (event) => {
      if (typeof event.data !== "string" || event.data.length > 4096) return;
      broadcast(JSON.stringify({ type: "message", name, text: event.data }));
    };
    socket.onclose = () => {
      if (members.delete(socket)) {
        broadcast(JSON.stringify({ type: "leave", name, count: members.size }));
      }
    };
    return response;
  }
  if (pathname === "/") {
    return new Response(page, { headers: { "content-type": "text/html; charset=utf-8" } });
  }
  return new Response("Not found\n", { status: 404 });
});

Deno.addSignalListener("SIGINT", () => void server.shutdown());
Deno.addSignalListener("SIGTERM", () => void server.shutdown());
await server.finished;
