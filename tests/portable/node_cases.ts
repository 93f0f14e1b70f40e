/**
 * Cases only Node and Bun have: `nodeUpgradeListener` on a `node:http`
 * server the application runs itself, and the Node server's `addr` before
 * it listens. Run by `main_node.ts` after the shared cases.
 */
import assert from "node:assert/strict";
import * as http from "node:http";
import type * as Node from "../../node.ts";
import type { PortableCase } from "./cases.ts";

/** A case that needs the Node entry point. */
export interface NodeCase {
  name: string;
  run(api: typeof Node): Promise<void>;
}

/** The Node-only cases, in order. */
export const nodeCases: NodeCase[] = [
  {
    name: "nodeUpgradeListener on the application's own node:http server",
    async run(api) {
      const server = http.createServer((_request, response) => response.end("plain http"));
      server.on(
        "upgrade",
        api.nodeUpgradeListener((request) => {
          const { response, socket } = api.upgradeWebSocket(request, { protocols: ["x"] });
          socket.onmessage = (event) =>
            socket.send(`${new URL(request.url).pathname} ${event.data}`);
          return response;
        }),
      );
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      try {
        const { port } = server.address() as { port: number };
        assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), "plain http");
        const ws = await api.connect(`ws://127.0.0.1:${port}/room`, { protocols: ["x"] });
        assert.equal(ws.protocol, "x");
        await ws.writable.getWriter().write("hi");
        assert.equal((await ws.readable.getReader().read()).value, "/room hi");
        ws.close();
        await ws.closed;
      } finally {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    },
  },
  {
    name: "serve on Node: addr after listening, a clear error before",
    async run(api) {
      const server = api.serve({ hostname: "127.0.0.1", port: 0 }, () => new Response("ok"));
      assert.throws(() => server.addr, /not listening yet: await server.listening/);
      const addr = await server.listening;
      assert.equal(server.addr.port, addr.port);
      assert.equal(addr.hostname, "127.0.0.1");
      assert.equal(await (await fetch(`http://127.0.0.1:${addr.port}/`)).text(), "ok");
      await server.shutdown();
      await server.finished;
    },
  },
  {
    name: "serve on Node: plain requests with bodies, 431 for too many headers",
    async run(api) {
      const server = api.serve(
        { hostname: "127.0.0.1", port: 0, maxHeaders: 10 },
        async (request) => {
          if (request.method === "POST") return new Response(`got ${await request.text()}`);
          const { response, socket } = api.upgradeWebSocket(request);
          socket.onmessage = (event) => socket.send(event.data);
          return response;
        },
      );
      try {
        const { port } = await server.listening;
        const posted = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: "a body" });
        assert.equal(await posted.text(), "got a body");
        const headers: Record<string, string> = {};
        for (let i = 0; i < 12; i++) headers[`x-extra-${i}`] = "1";
        await assert.rejects(
          api.connect(`ws://127.0.0.1:${port}/`, { headers }),
          (error: unknown) => error instanceof api.WebSocketError && /431/.test(error.message),
        );
        const ws = await api.connect(`ws://127.0.0.1:${port}/`);
        ws.close();
        await ws.closed;
      } finally {
        await server.shutdown();
      }
    },
  },
];

/** The Node-only cases as portable ones, for `runCases`. */
export function asPortable(api: typeof Node): PortableCase[] {
  return nodeCases.map((nodeCase) => ({ name: nodeCase.name, run: () => nodeCase.run(api) }));
}
