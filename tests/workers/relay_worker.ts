/**
 * A Worker that opens an outbound WebSocket with `cloudflareConnector` over
 * the real `connect()` of `cloudflare:sockets`: `GET /relay?target=WS_URL&text=T`
 * sends T to the target, and answers with the reply and the close info as
 * JSON. Served by workerd in `tests/workers_test.ts`.
 */
import { connect } from "../../mod.ts";
import { type CloudflareConnect, cloudflareConnector } from "../../transports/mod.ts";

// A computed specifier, so that Deno's type checker does not try to resolve
// the Workers-only module; workerd resolves it at run time.
const SOCKETS = ["cloudflare", "sockets"].join(":");

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const target = url.searchParams.get("target");
    if (url.pathname !== "/relay" || target === null) {
      return new Response("GET /relay?target=WS_URL&text=T\n", { status: 404 });
    }
    try {
      const sockets = await import(SOCKETS) as { connect: CloudflareConnect };
      const ws = await connect(target, { connector: cloudflareConnector(sockets.connect) });
      await ws.writable.getWriter().write(url.searchParams.get("text") ?? "");
      const { value } = await ws.readable.getReader().read();
      ws.close({ closeCode: 1000, reason: "relayed" });
      const closed = await ws.closed;
      return Response.json({ reply: value, closed });
    } catch (error) {
      return Response.json({ error: String(error) }, { status: 502 });
    }
  },
};
