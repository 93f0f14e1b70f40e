/** A client session against `examples/app.ts`, wherever it runs. */
import assert from "node:assert/strict";
import { connect } from "../mod.ts";
import { RawHttp } from "./_http_raw.ts";
import { nextEvent, patternBytes } from "./_servers.ts";

/** Talk to the app at `port` the way a person's client would, and check every answer. */
export async function exerciseApp(port: number, runtime: RegExp): Promise<void> {
  const url = `ws://127.0.0.1:${port}/app`;
  // This module's client: streams, subprotocol, text, a large binary message, the app's close.
  const ws = await connect(url, { protocols: ["echo"] });
  assert.equal(ws.protocol, "echo");
  const reader = ws.readable.getReader();
  const writer = ws.writable.getWriter();
  const welcome = (await reader.read()).value;
  assert.equal(typeof welcome, "string");
  assert.match(welcome as string, new RegExp(`^welcome from ${runtime.source}`));
  await writer.write("κόσμε");
  assert.equal((await reader.read()).value, "κόσμε");
  const big = patternBytes(300_000, 7);
  await writer.write(big);
  assert.deepEqual((await reader.read()).value, big);
  await writer.write("bye");
  assert.deepEqual(await ws.closed, { closeCode: 4000, reason: "bye" });

  // Deno's native client: events, arraybuffers, a clean close it starts.
  const native = new WebSocket(url, "echo");
  native.binaryType = "arraybuffer";
  const first = await nextEvent<MessageEvent>(native, "message");
  assert.match(first.data, new RegExp(`^welcome from ${runtime.source}`));
  native.send(new Uint8Array([0, 1, 2, 255]));
  const echoed = await nextEvent<MessageEvent>(native, "message");
  assert.deepEqual(new Uint8Array(echoed.data), new Uint8Array([0, 1, 2, 255]));
  native.close(3001, "done");
  const closed = await nextEvent<CloseEvent>(native, "close");
  assert.equal(closed.wasClean, true);
  assert.equal(closed.code, 3001);

  // The page and the JSON API, one after the other on one kept-alive connection.
  const http = await RawHttp.connect(port);
  try {
    await http.send(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    const page = await http.response();
    assert.match(page.body, new RegExp(`^edgews example app on ${runtime.source}`));
    assert.notEqual(page.headers.get("connection"), "close");
    const json = JSON.stringify({ greeting: "κόσμε", n: [1, 2] });
    const length = new TextEncoder().encode(json).length;
    await http.send(
      `POST /api/echo HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${length}\r\n\r\n${json}`,
    );
    const answer = await http.response();
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get("content-type") ?? "", /^application\/json/);
    const parsed = JSON.parse(answer.body) as { runtime: string; received: unknown };
    assert.match(parsed.runtime, runtime);
    assert.deepEqual(parsed.received, { greeting: "κόσμε", n: [1, 2] });
  } finally {
    http.close();
  }
}
