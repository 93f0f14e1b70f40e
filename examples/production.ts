/**
 * A server set up for production, as the README's "Production guide"
 * shows it: bound to every interface, TLS when given a certificate chain,
 * a health endpoint, clients authenticated before the upgrade (401
 * otherwise), rooms through `PubSub`, limits set, and a graceful stop on
 * SIGTERM. `tests/production_guide_test.ts` runs it directly, behind
 * nginx, and with a CA-issued chain.
 *
 * ```sh
 * TOKENS=secret deno run --allow-net=0.0.0.0:8080 --allow-env --allow-read examples/production.ts
 * ```
 *
 * @module
 */
import { PubSub, serve, upgradeWebSocket } from "../mod.ts";

const hostname = Deno.env.get("HOST") ?? "0.0.0.0";
const port = Number(Deno.env.get("PORT") ?? 8080);
const tokens = new Set((Deno.env.get("TOKENS") ?? "").split(",").filter((token) => token !== ""));
// The certificate file holds the server's certificate, then the intermediates.
const certFile = Deno.env.get("TLS_CERT");
const keyFile = Deno.env.get("TLS_KEY");
const tls = certFile !== undefined && keyFile !== undefined
  ? { cert: await Deno.readTextFile(certFile), key: await Deno.readTextFile(keyFile) }
  : {};
const rooms = new PubSub();

const server = serve({
  hostname,
  port,
  ...tls,
  maxBodySize: 1024 * 1024,
  maxConnections: 10_000,
  onListen: (addr) =>
    console.log(
      `listening on ${"cert" in tls ? "https" : "http"}://${addr.hostname}:${addr.port}/`,
    ),
}, (request) => {
  const url = new URL(request.url);
  if (url.pathname === "/health") return Response.json({ ok: true });
  // Authenticate before upgrading: a refused client never gets a socket.
  // Browsers cannot set headers on a WebSocket: take the token from the
  // query (or a cookie), and from Authorization for other clients.
  const token = url.searchParams.get("token") ??
    request.headers.get("authorization")?.replace(/^Bearer /, "");
  if (token === undefined || token === null || !tokens.has(token)) {
    return new Response("Unauthorized\n", {
      status: 401,
      headers: { "www-authenticate": "Bearer" },
    });
  }
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    return new Response("Connect with a WebSocket\n", {
      status: 426,
      headers: { upgrade: "websocket" },
    });
  }
  const room = url.searchParams.get("room") ?? "lobby";
  const { response, socket } = upgradeWebSocket(request, { maxMessageSize: 64 * 1024 });
  socket.onopen = () => void rooms.subscribe(socket, room);
  socket.onmessage = (event) => {
    if (typeof event.data === "string") void rooms.publish(room, event.data);
  };
  return response;
});

Deno.addSignalListener("SIGTERM", () => void server.shutdown().then(() => Deno.exit(0)));
