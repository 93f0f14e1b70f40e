/**
 * Issue 8's features written once against the public API and run on Deno
 * (`features_runtimes_test.ts`), Node and Bun (`_feature_cases_node.ts`):
 * `upgradeWebSocketStream` with per-message streams, 101 headers both ways,
 * redirects, the lifetime `signal` and the heartbeat, each runtime's own
 * sockets underneath. Runtime-neutral: only the API handed in, web
 * globals and `node:assert`.
 */
import assert from "node:assert/strict";
import type { Api, PortableCase } from "./portable/cases.ts";

type Server = ReturnType<Api["serve"]>;

/** The bound port: at once on Deno, after `listening` on Node. */
async function portOf(server: Server): Promise<number> {
  const listening = (server as { listening?: Promise<{ port: number }> }).listening;
  return listening === undefined ? server.addr.port : (await listening).port;
}

const decoder = new TextDecoder();

export const featureCases: PortableCase[] = [
  {
    name: "upgradeWebSocketStream + streamMessages: a 64 MiB message echoed chunk by chunk",
    async run(api) {
      const server = api.serve({ hostname: "127.0.0.1", port: 0 }, (request) => {
        const { response, socket } = api.upgradeWebSocketStream(request, {
          streamMessages: true,
          maxMessageSize: 1 << 30,
        });
        socket.opened.then(async ({ readable, writable }) => {
          const writer = writable.getWriter();
          for await (const message of readable) await writer.write(message);
        }).catch(() => {});
        return response;
      });
      try {
        const ws = await api.connect(`ws://127.0.0.1:${await portOf(server)}/`, {
          streamMessages: true,
          maxMessageSize: 1 << 30,
        });
        const total = 64 * 1024 * 1024;
        let made = 0;
        const source = new ReadableStream<Uint8Array>({
          pull(controller) {
            if (made >= total) return controller.close();
            const chunk = new Uint8Array(128 * 1024).fill(made / (128 * 1024) & 0xff);
            made += chunk.length;
            controller.enqueue(chunk);
          },
        }, { highWaterMark: 0 });
        const writer = ws.writable.getWriter();
        const sent = writer.write(source);
        const reader = ws.readable.getReader();
        const { value: message } = await reader.read();
        assert.equal(message?.type, "binary");
        let received = 0;
        for await (const chunk of message!.readable) {
          for (let i = 0; i < chunk.length; i += 4096) {
            assert.equal(chunk[i], ((received + i) / (128 * 1024)) & 0xff);
          }
          received += chunk.length;
        }
        await sent;
        assert.equal(received, total);
        await writer.write({
          type: "text",
          readable: ReadableStream.from(["ka", "λη", "μέρα"]),
        });
        const { value: text } = await reader.read();
        assert.equal(text?.type, "text");
        assert.equal(decoder.decode(await new Response(text!.readable).arrayBuffer()), "kaλημέρα");
        ws.close({ closeCode: 1000 });
        await ws.closed;
      } finally {
        await server.shutdown();
      }
    },
  },
  {
    name: "headers both ways: request headers to the handler, Set-Cookie on the 101 to the client",
    async run(api) {
      let authorization: string | null = null;
      const server = api.serve({ hostname: "127.0.0.1", port: 0 }, (request) => {
        authorization = request.headers.get("authorization");
        const { response, socket } = api.upgradeWebSocketStream(request, {
          headers: { "set-cookie": "a=1" },
        });
        response.headers.append("set-cookie", "b=2");
        socket.opened.then(({ readable, writable }) => readable.pipeTo(writable)).catch(() => {});
        return response;
      });
      try {
        const ws = await api.connect(`ws://127.0.0.1:${await portOf(server)}/`, {
          headers: { authorization: "Bearer x" },
        });
        assert.equal(authorization, "Bearer x");
        assert.deepEqual(ws.headers?.getSetCookie(), ["a=1", "b=2"]);
        ws.close({ closeCode: 1000 });
        await ws.closed;
      } finally {
        await server.shutdown();
      }
    },
  },
  {
    name: "redirects followed with followRedirects, refused without",
    async run(api) {
      const server = api.serve({ hostname: "127.0.0.1", port: 0 }, (request) => {
        if (new URL(request.url).pathname === "/old") {
          return new Response(null, { status: 308, headers: { location: "/new" } });
        }
        return api.upgradeWebSocket(request).response;
      });
      try {
        const base = `ws://127.0.0.1:${await portOf(server)}`;
        const ws = await api.connect(`${base}/old`, { followRedirects: true });
        assert.equal(ws.socket.url, `${base}/new`);
        ws.close({ closeCode: 1000 });
        await ws.closed;
        await assert.rejects(api.connect(`${base}/old`), (error: unknown) => {
          assert.ok(error instanceof api.HandshakeStatusError);
          assert.equal(error.status, 308);
          return true;
        });
      } finally {
        await server.shutdown();
      }
    },
  },
  {
    name: "signal closes an open connection; heartbeat measures the round trip",
    async run(api) {
      const server = api.serve({ hostname: "127.0.0.1", port: 0 }, (request) => {
        return api.upgradeWebSocket(request, { heartbeat: { interval: 20, maxMissedPongs: 50 } })
          .response;
      });
      try {
        const controller = new AbortController();
        const ws = await api.connect(`ws://127.0.0.1:${await portOf(server)}/`, {
          signal: controller.signal,
          heartbeat: { interval: 20, maxMissedPongs: 50 },
        });
        for (let i = 0; i < 500 && ws.socket.lastRoundTripTime === undefined; i++) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        assert.ok(ws.socket.lastRoundTripTime! >= 0);
        controller.abort();
        assert.deepEqual(await ws.closed, { closeCode: 1000, reason: "" });
      } finally {
        await server.shutdown();
      }
    },
  },
];
