/**
 * Chat demo: a web page plus a WebSocket endpoint where every browser tab sees
 * the others' messages.
 *
 * Run: `deno task start`, then open http://localhost:8000 in two tabs
 * (`PORT` changes the port).
 *
 * @module
 */
import { Broadcaster, serve, upgradeWebSocket } from "../../mod.ts";

const port = Number(Deno.env.get("PORT") ?? "8000");
const page = await Deno.readFile(new URL("./index.html", import.meta.url));
// One room. A member more than 1 MiB behind is closed with 1013 "try again
// later" rather than buffered without bound. With a BroadcastChannel adapter
// (`adapter: new BroadcastChannel("chat")`) the room spans every isolate of a
// Deno Deploy app; the Deno CLI delivers BroadcastChannel within one process.
const room = new Broadcaster({ policy: "close", highWaterMark: 1024 * 1024 });
let nextId = 1;

function broadcast(message: string): void {
  void room.publish("chat", message);
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
    const { response, socket } = upgradeWebSocket(request, {
      protocols: ["chat"],
      // Chat messages are small JSON: compress them all, with context takeover.
      perMessageDeflate: { threshold: 0 },
    });
    const name = `guest-${nextId++}`;
    socket.onopen = () => {
      room.subscribe(socket, "chat");
      socket.send(JSON.stringify({ type: "welcome", name, extensions: socket.extensions }));
      broadcast(JSON.stringify({ type: "join", name, count: room.size("chat") }));
    };
    socket.onmessage = (event) => {
      if (typeof event.data !== "string" || event.data.length > 4096) return;
      broadcast(JSON.stringify({ type: "message", name, text: event.data }));
    };
    socket.onclose = () => {
      room.unsubscribe(socket); // the room would also notice by itself, after this handler
      broadcast(JSON.stringify({ type: "leave", name, count: room.size("chat") }));
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
