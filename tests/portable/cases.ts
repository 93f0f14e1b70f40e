/**
 * A chosen subset of the suite, written once against the public API and run
 * on Deno (`portable_test.ts`), Node and Bun (`main_node.ts`): real servers
 * and clients of this module on loopback, each case on its own port.
 * Runtime-neutral: only the API handed in, web globals and `node:assert`.
 */
import assert from "node:assert/strict";
import type * as Mod from "../../mod.ts";
import { FrameDecoder, FrameEncoder } from "../../frames/mod.ts";
import { type Message, MessageAssembler, MessageEncoder } from "../../messages/mod.ts";

/** The module under test: `mod.ts` on Deno, `node.ts` on Node and Bun. */
export type Api = typeof Mod;

/** PEM files for `wss:` cases, made by the Deno side with openssl. */
export interface Certificates {
  ca: string;
  cert: string;
  key: string;
}

/** One case. */
export interface PortableCase {
  name: string;
  run(api: Api, certificates: Certificates): Promise<void>;
}

type Server = ReturnType<Api["serve"]>;

/** The bound port: at once on Deno, after `listening` on Node. */
async function portOf(server: Server): Promise<number> {
  const listening = (server as { listening?: Promise<{ port: number }> }).listening;
  return listening === undefined ? server.addr.port : (await listening).port;
}

function echoServer(
  api: Api,
  options: Mod.ServeOptions = {},
  upgrade: Mod.UpgradeWebSocketOptions = {},
) {
  return api.serve({ hostname: "127.0.0.1", port: 0, ...options }, (request) => {
    const { response, socket } = api.upgradeWebSocket(request, upgrade);
    socket.binaryType = "arraybuffer";
    socket.onmessage = (event) => socket.send(event.data);
    return response;
  });
}

function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function once<E extends Event>(target: EventTarget, type: string, ms = 10_000): Promise<E> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${type}`)), ms);
    target.addEventListener(type, (event) => {
      clearTimeout(timer);
      resolve(event as E);
    }, { once: true });
  });
}

/** The cases, in the order they run. */
export const cases: PortableCase[] = [
  {
    name: "WebSocketStream echo over ws: text, a 1 MiB binary message, fragments",
    async run(api) {
      const server = echoServer(api);
      try {
        const port = await portOf(server);
        const ws = await api.connect(`ws://127.0.0.1:${port}/`, { fragmentSize: 1000 });
        const reader = ws.readable.getReader();
        const writer = ws.writable.getWriter();
        await writer.write("héllo wörld");
        assert.equal((await reader.read()).value, "héllo wörld");
        const big = bytes(1 << 20, 3);
        await writer.write(big);
        assert.deepEqual((await reader.read()).value, big);
        ws.close({ closeCode: 1000, reason: "done" });
        // The close info is the peer's close frame: the server echoes the code only.
        assert.deepEqual(await ws.closed, { closeCode: 1000, reason: "" });
      } finally {
        await server.shutdown();
      }
    },
  },
  {
    name: "WHATWG WebSocket client: subprotocol, events, the server's close code and reason",
    async run(api) {
      const server = api.serve({ hostname: "127.0.0.1", port: 0 }, (request) => {
        const { response, socket } = api.upgradeWebSocket(request, { protocols: ["v2", "v1"] });
        socket.onmessage = (event) => {
          if (event.data === "quit") socket.close(4001, "asked to quit");
          else socket.send(`got ${event.data}`);
        };
        return response;
      });
      try {
        const port = await portOf(server);
        const ws = new api.WebSocket(`ws://127.0.0.1:${port}/`, ["v1", "v2"]);
        await once(ws, "open");
        assert.equal(ws.protocol, "v2");
        ws.send("one");
        assert.equal((await once<MessageEvent>(ws, "message")).data, "got one");
        ws.send("quit");
        const closed = await once<CloseEvent>(ws, "close");
        assert.equal(closed.code, 4001);
        assert.equal(closed.reason, "asked to quit");
        assert.equal(closed.wasClean, true);
        assert.equal(ws.readyState, api.WebSocket.CLOSED);
      } finally {
        await server.shutdown();
      }
    },
  },
  {
    name: "wss: with a private CA passed as caCerts",
    async run(api, { ca, cert, key }) {
      const server = echoServer(api, { cert, key });
      try {
        const port = await portOf(server);
        const ws = await api.connect(`wss://127.0.0.1:${port}/`, { caCerts: [ca] });
        const writer = ws.writable.getWriter();
        await writer.write(bytes(70_000, 9));
        assert.deepEqual((await ws.readable.getReader().read()).value, bytes(70_000, 9));
        ws.close();
        await ws.closed;
        await assert.rejects(
          api.connect(`wss://127.0.0.1:${port}/`),
          (error: unknown) => error instanceof api.WebSocketError,
          "without the CA the certificate is not trusted",
        );
      } finally {
        await server.shutdown();
      }
    },
  },
  {
    name: "handshake refusals: 403 for the origin policy, 400 for a plain GET",
    async run(api) {
      const server = echoServer(api, {}, { origin: ["https://app.example"] });
      try {
        const port = await portOf(server);
        await assert.rejects(
          api.connect(`ws://127.0.0.1:${port}/`, { headers: { origin: "https://evil.example" } }),
          (error: unknown) => {
            assert.ok(error instanceof api.WebSocketError);
            assert.equal(error.closeCode, 1002);
            assert.match(error.message, /403/);
            return true;
          },
        );
        const ok = await api.connect(`ws://127.0.0.1:${port}/`, {
          headers: { origin: "https://app.example" },
        });
        ok.close();
        await ok.closed;
        const plain = await fetch(`http://127.0.0.1:${port}/`);
        assert.equal(plain.status, 400);
        assert.match(await plain.text(), /Upgrade/);
      } finally {
        await server.shutdown();
      }
    },
  },
  {
    name: "maxMessageSize: a bigger message fails the connection with 1009",
    async run(api) {
      const server = echoServer(api, {}, { maxMessageSize: 1000 });
      try {
        const port = await portOf(server);
        const ws = await api.connect(`ws://127.0.0.1:${port}/`);
        await ws.writable.getWriter().write(new Uint8Array(1001)).catch(() => {});
        const info = await ws.closed.then((info) => info, (error) => error);
        assert.equal(info.closeCode, 1009);
      } finally {
        await server.shutdown();
      }
    },
  },
  {
    name: "server shutdown closes open WebSockets with 1001",
    async run(api) {
      const server = echoServer(api);
      const port = await portOf(server);
      const ws = await api.connect(`ws://127.0.0.1:${port}/`);
      const closed = ws.closed;
      await server.shutdown();
      const info = await closed;
      assert.equal(info.closeCode, 1001);
      await assert.rejects(api.connect(`ws://127.0.0.1:${port}/`));
    },
  },
  {
    name: "permessage-deflate negotiated by both sides and used both ways",
    async run(api) {
      const server = echoServer(api, {}, { perMessageDeflate: true });
      try {
        const port = await portOf(server);
        const ws = await api.connect(`ws://127.0.0.1:${port}/`, { perMessageDeflate: true });
        assert.match(ws.extensions, /^permessage-deflate/);
        const reader = ws.readable.getReader();
        const writer = ws.writable.getWriter();
        const text = "compressible ".repeat(10_000);
        await writer.write(text);
        assert.equal((await reader.read()).value, text);
        await writer.write(bytes(50_000, 11));
        assert.deepEqual((await reader.read()).value, bytes(50_000, 11));
        ws.close();
        await ws.closed;
      } finally {
        await server.shutdown();
      }
    },
  },
  {
    name: "the sans-I/O core: a fragmented, masked message round trip",
    // deno-lint-ignore require-await
    async run() {
      const received: Message[] = [];
      const decoder = new FrameDecoder(
        new MessageAssembler((message) => received.push(message)),
        { role: "server" },
      );
      const encoder = new FrameEncoder({ role: "client" });
      const message = { type: "text" as const, data: "fragmented ✓" };
      for (const frame of new MessageEncoder({ fragmentSize: 3 }).encode(message)) {
        for (const chunk of encoder.encode(frame)) assert.equal(decoder.write(chunk), undefined);
      }
      assert.deepEqual(received, [message]);
    },
  },
];

/** Run every case in order; prints `ok - name` or `not ok - name: error` and a summary. */
export async function runCases(
  api: Api,
  certificates: Certificates,
  print: (line: string) => void,
  list: PortableCase[] = cases,
): Promise<number> {
  let failed = 0;
  for (const testCase of list) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        testCase.run(api, certificates),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error("timed out after 30 s")), 30_000);
        }),
      ]);
      print(`ok - ${testCase.name}`);
    } catch (error) {
      failed++;
      print(`not ok - ${testCase.name}: ${error instanceof Error ? error.stack : String(error)}`);
    } finally {
      clearTimeout(timer);
    }
  }
  print(`${list.length - failed} passed, ${failed} failed`);
  return failed;
}
