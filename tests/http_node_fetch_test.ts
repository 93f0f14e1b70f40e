/**
 * Our HTTP server (`serve`) driven by Node's `fetch` (undici) in a child
 * process: sequential requests share one kept-alive connection and get
 * the right bodies, a streamed (chunked) response among them, and a POST
 * whose body is a stream.
 */
import assert from "node:assert/strict";
import { NODE_STDIN_MODULE, requireTool } from "./_process.ts";
import { Child, startServer } from "./_http_peers.ts";

const encoder = new TextEncoder();

/** The Node side: five requests one after the other, their results printed as JSON. */
const CLIENT = `
const origin = process.argv[2];
const results = [];
// undici frees a connection for the next request in a setImmediate after
// the response ended, when its body was already handed over: wait for that
// turn, or the next request opens a second connection (with Deno.serve and
// node:http as well).
const settle = () => new Promise((resolve) => setImmediate(resolve));
const hello = await fetch(origin + "/hello");
results.push({ status: hello.status, text: await hello.text() });

await settle();
const streamed = await fetch(origin + "/stream");
const pieces = [];
for await (const piece of streamed.body) pieces.push(new TextDecoder().decode(piece));
results.push({
  encoding: streamed.headers.get("transfer-encoding"),
  text: pieces.join(""),
});

await settle();
const parts = ["one,", "two,", "three"];
const upload = new ReadableStream({
  async pull(controller) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    const part = parts.shift();
    if (part === undefined) controller.close();
    else controller.enqueue(new TextEncoder().encode(part));
  },
});
const echoed = await fetch(origin + "/echo", { method: "POST", body: upload, duplex: "half" });
results.push({ status: echoed.status, json: await echoed.json() });

await settle();
const json = await fetch(origin + "/json", {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ n: 41 }),
});
results.push({ status: json.status, json: await json.json() });

await settle();
const again = await fetch(origin + "/hello");
results.push({ status: again.status, text: await again.text() });
console.log(JSON.stringify(results));
`;

Deno.test("node's fetch reuses one connection for sequential requests and streams", async () => {
  const { server, origin, ports } = startServer(async (request) => {
    const { pathname } = new URL(request.url);
    if (pathname === "/hello") return new Response("hello from serve");
    if (pathname === "/stream") {
      let n = 0;
      // Pieces come a macrotask apart, so the response cannot be sent with a length.
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          await new Promise((resolve) => setTimeout(resolve, 1));
          if (++n > 3) controller.close();
          else controller.enqueue(encoder.encode(`piece ${n};`));
        },
      });
      return new Response(body);
    }
    if (pathname === "/echo") {
      const pieces: string[] = [];
      for await (const piece of request.body!.pipeThrough(new TextDecoderStream())) {
        pieces.push(piece);
      }
      return Response.json({
        transferEncoding: request.headers.get("transfer-encoding"),
        text: pieces.join(""),
      });
    }
    if (pathname === "/json") {
      const { n } = await request.json();
      return Response.json({ n: n + 1 });
    }
    return new Response("not found", { status: 404 });
  });
  try {
    const node = await requireTool("node", "install Node 20 or later");
    await using child = new Child(node, [...NODE_STDIN_MODULE, origin], encoder.encode(CLIENT));
    assert.equal(await child.finish(30_000), 0, child.stderr);
    assert.deepEqual(JSON.parse(child.stdout), [
      { status: 200, text: "hello from serve" },
      { encoding: "chunked", text: "piece 1;piece 2;piece 3;" },
      { status: 200, json: { transferEncoding: "chunked", text: "one,two,three" } },
      { status: 200, json: { n: 42 } },
      { status: 200, text: "hello from serve" },
    ]);
    assert.equal(ports.size, 1, `requests came on ${ports.size} connections`);
  } finally {
    await server.shutdown();
  }
});
