/**
 * The Node `serve` (on `node:http`) keeps the Deno server's promises where
 * node:http leaves them to us: the body limit, and a client that leaves
 * cancelling the response stream and aborting `request.signal`.
 */
import assert from "node:assert/strict";
import { deadline, RawHttp, readUpgrade } from "../tests/_http_raw.ts";
import { bundleModule, NODE_STDIN_MODULE, requireTool, startProcess } from "../tests/_process.ts";
import type { ServeHandlerInfo } from "../server/serve.ts";
import { serve } from "./node_serve.ts";
import { upgradeWebSocket } from "./upgrade_websocket.ts";

Deno.test("node serve: maxBodySize (413), and a client that leaves cancels the stream", async () => {
  const node = await requireTool("node", "install Node.js 20 or later");
  const bundle = await bundleModule("tests/_node_serve_child.ts");
  const server = await startProcess(node, NODE_STDIN_MODULE, /listening on (\d+)/, {}, bundle);
  try {
    const port = Number(server.match[1]);
    const client = await RawHttp.connect(port);
    await client.send(
      "POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n" + "x".repeat(50),
    );
    assert.equal((await client.response()).body, "50");
    await client.send("POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n");
    assert.equal((await client.response()).status, 413);
    client.close();

    const chunked = await RawHttp.connect(port);
    await chunked.send(
      "POST /count HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
        `c8\r\n${"y".repeat(200)}\r\n0\r\n\r\n`,
    );
    assert.equal((await chunked.response()).status, 413);
    chunked.close();

    const events = await RawHttp.connect(port);
    await events.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
    await events.head();
    events.close();
    await deadline(
      (async () => {
        while (!/cancelled/.test(server.output()) || !/aborted/.test(server.output())) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })(),
      10_000,
      "the stream cancelled and the signal aborted",
    );
  } finally {
    await server.stop();
  }
});

Deno.test("node serve: a frame sent with the upgrade head is read; remoteAddr is the client's", async () => {
  const addresses: string[] = [];
  const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request, info) => {
    const { response, socket } = upgradeWebSocket(request);
    socket.onmessage = (event) => {
      addresses.push(`${info.remoteAddr.hostname} ${info.remoteAddr.port > 0}`);
      socket.send(event.data);
    };
    return response;
  });
  const { port } = await server.listening;
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    // The handshake and a masked "hi" in one write: the frame comes with the head.
    const head = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    const mask = [1, 2, 3, 4];
    const frame = [0x81, 0x82, ...mask, "h".charCodeAt(0) ^ 1, "i".charCodeAt(0) ^ 2];
    await conn.write(new Uint8Array([...new TextEncoder().encode(head), ...frame]));
    const reply = new Uint8Array(
      [0x81, 0x02, ..."hi"].map((c) => typeof c === "string" ? c.charCodeAt(0) : c),
    );
    const { head: text, rest } = await readUpgrade(conn, reply.length);
    assert.match(text, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.deepEqual(rest, reply);
    assert.deepEqual(addresses, ["127.0.0.1 true"]);
  } finally {
    conn.close();
    await server.shutdown();
  }
});

Deno.test("node serve: remoteAddr is still the client's when first read after the socket closed", async () => {
  let upgradeInfo: ServeHandlerInfo | undefined;
  let socketClosed!: () => void;
  const closed = new Promise<void>((resolve) => socketClosed = resolve);
  const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request, info) => {
    const { response, socket } = upgradeWebSocket(request);
    // Nothing reads the address while the socket is open.
    socket.onclose = () => {
      upgradeInfo = info;
      socketClosed();
    };
    return response;
  });
  const { port } = await server.listening;
  try {
    const client = new WebSocket(`ws://127.0.0.1:${port}/`);
    await deadline(new Promise((resolve) => client.onopen = resolve), 10_000, "the open");
    client.close();
    await deadline(closed, 10_000, "the server socket's close");
  } finally {
    await server.shutdown();
  }
  // Node forgets the address with the socket's handle, closed by now.
  assert.equal(upgradeInfo!.remoteAddr.hostname, "127.0.0.1");
  assert.ok(upgradeInfo!.remoteAddr.port > 0);
});
