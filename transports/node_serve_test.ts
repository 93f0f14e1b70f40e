/**
 * The Node `serve` (on `node:http`) keeps the Deno server's promises where
 * node:http leaves them to us: the body limit, and a client that leaves
 * cancelling the response stream and aborting `request.signal`.
 */
import assert from "node:assert/strict";
import { deadline, RawHttp } from "../tests/_http_raw.ts";
import { bundleModule, NODE_STDIN_MODULE, requireTool, startProcess } from "../tests/_process.ts";

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
