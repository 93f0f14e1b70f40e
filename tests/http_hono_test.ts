/**
 * Hono (from npm, pinned in deno.json, unchanged) running on our server:
 * `serve(options, app.fetch)` with Hono's routing, middleware, body
 * parsing, connection info and streaming helpers, driven by `fetch`.
 */
import assert from "node:assert/strict";
import { Hono } from "hono";
import { getConnInfo } from "hono/deno";
import { stream, streamSSE } from "hono/streaming";
import { serve } from "../mod.ts";
import { deadline, signal } from "./_http_peers.ts";

/** How long an answer may take, and the server to notice that the client left. */
const NOTICE_MS = 10_000;

/** `fetch` that fails (TimeoutError) when the answer, body included, stalls. */
function fetchWithin(url: string, init: RequestInit = {}): Promise<Response> {
  const timeout = AbortSignal.timeout(NOTICE_MS);
  const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
  return fetch(url, { ...init, signal });
}

function startHono() {
  const ports = new Set<number>();
  /** Gates the SSE route waits on between events (opened by the client as it reads). */
  const gates = [signal(), signal()];
  const streamAborted = signal();
  const app = new Hono();
  app.use("*", async (c, next) => {
    ports.add(getConnInfo(c).remote.port!);
    await next();
    c.header("x-served-by", "hono");
  });
  app.get("/hello/:name", (c) => c.text(`hello ${c.req.param("name")}`));
  app.get("/search", (c) => c.json({ q: c.req.query("q"), tags: c.req.queries("tag") }));
  app.post("/items", async (c) => {
    const body = await c.req.json<{ items: string[] }>();
    return c.json({ count: body.items.length, first: body.items[0] }, 201);
  });
  app.post("/form", async (c) => c.json(await c.req.parseBody()));
  app.get("/sse", (c) =>
    streamSSE(c, async (sse) => {
      for (let n = 1; n <= 3; n++) {
        await sse.writeSSE({ event: "tick", id: String(n), data: `tick ${n}` });
        if (n <= gates.length) await gates[n - 1]!.promise;
      }
    }));
  app.get("/stream", (c) =>
    stream(c, async (s) => {
      const left = signal();
      s.onAbort(() => {
        streamAborted.resolve();
        left.resolve();
      });
      await s.write("first\n");
      await left.promise; // until the client goes away
    }));
  const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  return {
    server,
    origin: `http://127.0.0.1:${server.addr.port}`,
    ports,
    gates,
    streamAborted: streamAborted.promise,
  };
}

Deno.test("hono on serve(): routing, middleware, JSON and form bodies", async () => {
  const { server, origin } = startHono();
  try {
    const hello = await fetchWithin(`${origin}/hello/world`);
    assert.equal(hello.status, 200);
    assert.equal(hello.headers.get("x-served-by"), "hono");
    assert.equal(await hello.text(), "hello world");

    const search = await fetchWithin(`${origin}/search?q=deno&tag=a&tag=b`);
    assert.deepEqual(await search.json(), { q: "deno", tags: ["a", "b"] });

    const items = await fetchWithin(`${origin}/items`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ items: ["x", "y", "z"] }),
    });
    assert.equal(items.status, 201);
    assert.deepEqual(await items.json(), { count: 3, first: "x" });

    const form = await fetchWithin(`${origin}/form`, {
      method: "POST",
      body: new URLSearchParams({ name: "hono", runtime: "deno" }),
    });
    assert.deepEqual(await form.json(), { name: "hono", runtime: "deno" });

    const missing = await fetchWithin(`${origin}/nowhere`);
    assert.equal(missing.status, 404);
    assert.equal(await missing.text(), "404 Not Found");
  } finally {
    await server.shutdown();
  }
});

Deno.test("hono on serve(): sequential requests keep one connection", async () => {
  const { server, origin, ports } = startHono();
  try {
    for (const name of ["a", "b", "c"]) {
      const response = await fetchWithin(`${origin}/hello/${name}`);
      assert.equal(await response.text(), `hello ${name}`);
    }
    const items = await fetchWithin(`${origin}/items`, {
      method: "POST",
      body: JSON.stringify({ items: ["one"] }),
    });
    assert.deepEqual(await items.json(), { count: 1, first: "one" });
    assert.equal(ports.size, 1, `requests came on ${ports.size} connections`);
  } finally {
    await server.shutdown();
  }
});

Deno.test("hono's streamSSE on serve(): each event arrives as it is written", async () => {
  const { server, origin, gates } = startHono();
  try {
    const response = await fetchWithin(`${origin}/sse`);
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    assert.equal(response.headers.get("transfer-encoding"), "chunked");
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    const events: string[] = [];
    // The route writes the next event only once the client read this one:
    // a response held back until its end would stall here (the deadline).
    while (events.length < 3) {
      const { done, value } = await deadline(reader.read(), NOTICE_MS, "no next event");
      if (done) break;
      text += value;
      let end;
      while ((end = text.indexOf("\n\n")) !== -1) {
        events.push(text.slice(0, end));
        text = text.slice(end + 2);
        gates[events.length - 1]?.resolve();
      }
    }
    assert.deepEqual(events, [
      "event: tick\ndata: tick 1\nid: 1",
      "event: tick\ndata: tick 2\nid: 2",
      "event: tick\ndata: tick 3\nid: 3",
    ]);
    assert.deepEqual(await reader.read(), { done: true, value: undefined });
  } finally {
    await server.shutdown();
  }
});

Deno.test("hono's stream on serve(): onAbort runs when the client goes away", async () => {
  const { server, origin, streamAborted } = startHono();
  try {
    const client = new AbortController();
    const response = await fetchWithin(`${origin}/stream`, { signal: client.signal });
    const reader = response.body!.getReader();
    const first = await deadline(reader.read(), NOTICE_MS, "no first piece");
    assert.equal(new TextDecoder().decode(first.value), "first\n");
    client.abort();
    await reader.cancel().catch(() => {});
    await deadline(streamAborted, NOTICE_MS, "hono's onAbort did not run");
  } finally {
    await server.shutdown();
  }
});
