/**
 * Chat demo: a web page, a JSON endpoint and a WebSocket endpoint on one
 * port, where every browser tab sees the others' messages. Meant to be
 * copied, so it sets the limits a public chat needs:
 *
 * - only pages from this server's own origin may join (403 otherwise);
 * - a line is at most 4096 bytes, refused (1009) before it is buffered;
 * - each client may send 10 lines at once and 1 per second after that
 *   (a token bucket), and is closed with 1008 past it;
 * - join and leave notices are coalesced into one presence update per
 *   second, so a wave of joins costs O(members) lines, not O(members²).
 *
 * Run: `deno task start`, then open http://localhost:8000 in two tabs.
 * `PORT` changes the port; `ORIGINS` (comma-separated, such as
 * `https://chat.example.com`) lists the origins of the page when it is
 * served under other names, e.g. behind a proxy. With `REDIS=host:port`
 * the room spans every process started that way (README, "Topics and
 * scale-out").
 *
 * @module
 */
import { serve, upgradeWebSocket } from "../../mod.ts";
import { MemoryEngine, PubSub, RedisEngine } from "../../pubsub/mod.ts";
import { Presence } from "./presence.ts";
import { TokenBucket } from "./token_bucket.ts";

const port = Number(Deno.env.get("PORT") ?? "8000");
const hostname = "127.0.0.1";
const page = await Deno.readFile(new URL("./index.html", import.meta.url));
/** Largest line in bytes of UTF-8; the page's 1000-character input stays below it. */
const MAX_LINE_BYTES = 4096;
/** Lines a client may send at once, and per second after that. */
const BURST = 10;
const LINES_PER_SECOND = 1;

/** In this process only, or through Redis with `REDIS=host:port`. */
function engine(): MemoryEngine | RedisEngine {
  const redis = Deno.env.get("REDIS");
  if (redis === undefined) return new MemoryEngine();
  const [redisHost, redisPort] = redis.split(":");
  return new RedisEngine({
    hostname: redisHost,
    port: Number(redisPort ?? "6379"),
    onConnectionChange: (up) => console.log(`redis ${up ? "connected" : "disconnected"}`),
  });
}

// One room. A member more than 1 MiB behind is closed with 1013 "try again
// later" rather than buffered without bound.
const room = new PubSub({ engine: engine(), policy: "close", highWaterMark: 1024 * 1024 });
const presence = new Presence({
  send: (update) => broadcast({ type: "presence", count: room.size("chat"), ...update }),
});
const stats = { messages: 0 };
let nextId = 1;
let origins: string[] = [];

function broadcast(message: object): void {
  // While Redis is down, publishes wait for it (up to 10,000).
  room.publish("chat", JSON.stringify(message)).catch((error) => {
    console.error(`publish failed: ${error.message}`);
  });
}

function chat(request: Request): Response {
  const { response, socket } = upgradeWebSocket(request, {
    protocols: ["chat"],
    // Cross-site WebSocket hijacking: browsers send the page's origin, and a
    // page elsewhere must not join with the visitor's cookies. A list rather
    // than "same as Host": a DNS-rebinding page sends a matching Host.
    origin: origins,
    // Refused (1009) from the frame header on, and after inflating.
    maxMessageSize: MAX_LINE_BYTES,
    // Chat messages are small JSON: compress them all, with context takeover.
    perMessageDeflate: { threshold: 0 },
  });
  const name = `guest-${nextId++}`;
  const bucket = new TokenBucket({ capacity: BURST, refillPerSecond: LINES_PER_SECOND });
  socket.onopen = () => {
    void room.subscribe(socket, "chat");
    socket.send(JSON.stringify({
      type: "welcome",
      name,
      count: room.size("chat"),
      extensions: socket.extensions,
    }));
    presence.join(name);
    socket.onclose = () => {
      room.unsubscribe(socket); // the room would also notice by itself, after this handler
      presence.leave(name);
    };
  };
  socket.onmessage = (event) => {
    // Messages already read when we closed are still delivered: ignore them.
    if (socket.readyState !== WebSocket.OPEN) return;
    if (!bucket.take()) return socket.close(1008, "Rate limit exceeded");
    if (typeof event.data !== "string") return socket.close(1003, "Text lines only");
    stats.messages++;
    broadcast({ type: "message", name, text: event.data });
  };
  return response;
}

const server = serve({
  hostname,
  port,
  onListen(addr) {
    origins = Deno.env.get("ORIGINS")?.split(",").map((origin) => origin.trim()) ??
      [`http://localhost:${addr.port}`, `http://${hostname}:${addr.port}`];
    console.log(`chat on http://localhost:${addr.port}`);
  },
}, (request) => {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response("Method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
  }
  switch (new URL(request.url).pathname) {
    case "/":
      return new Response(page, { headers: { "content-type": "text/html; charset=utf-8" } });
    case "/api/stats":
      return Response.json({ members: room.size("chat"), messages: stats.messages });
    case "/ws":
      return chat(request);
    default:
      return new Response("Not found\n", { status: 404 });
  }
});

Deno.addSignalListener("SIGINT", () => void server.shutdown());
Deno.addSignalListener("SIGTERM", () => void server.shutdown());
await server.finished;
presence.close();
await room.close();
