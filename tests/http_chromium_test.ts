/**
 * Our HTTP server (`serve`) driven by a real headless Chromium (Debian's
 * `chromium`, through `tests/_chromium.ts`): a page it served uploads with
 * `fetch` and reads the answers, and an `EventSource` gets Server-Sent
 * Events as they are sent; when the page closes the EventSource, or the
 * tab, the response's stream is cancelled and `request.signal` aborts.
 */
import assert from "node:assert/strict";
import { launchChromium, type Page } from "./_chromium.ts";
import { deadline, signal, startServer } from "./_http_peers.ts";

const encoder = new TextEncoder();
/** How long the server may take to notice that the browser left. */
const NOTICE_MS = 10_000;

const PAGE = `<!doctype html>
<html>
  <head><meta charset="utf-8"><title>serve</title></head>
  <body><h1>served by serve()</h1></body>
</html>`;

/** The upload of the first test: 1 MiB that the page makes and the server checks. */
const UPLOAD_SIZE = 1024 * 1024;
const byteAt = (i: number) => (i * 31 + (i >> 8)) & 0xff;

/** The server side of an SSE stream: what it was sent, and how it ended. */
interface Events {
  /** Send the event `data` on the open stream. */
  send(data: string): void;
  /** Resolves with the reason when the server cancelled the response's stream. */
  cancelled: Promise<unknown>;
  /** Resolves when the request's signal aborted. */
  aborted: Promise<void>;
}

function startPageServer() {
  const opened: Events[] = [];
  const eventStreams = signal<Events>();
  const peer = startServer(async (request) => {
    const { pathname } = new URL(request.url);
    if (pathname === "/") {
      return new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } });
    }
    if (pathname === "/upload" && request.method === "POST") {
      let size = 0;
      let mismatches = 0;
      for await (const piece of request.body!) {
        for (let i = 0; i < piece.length; i++) if (piece[i] !== byteAt(size + i)) mismatches++;
        size += piece.length;
      }
      return Response.json({ size, mismatches, type: request.headers.get("content-type") });
    }
    if (pathname === "/form" && request.method === "POST") {
      const form = await request.formData();
      const file = form.get("file") as File;
      return Response.json({
        name: form.get("name"),
        file: { name: file.name, type: file.type, text: await file.text() },
      });
    }
    if (pathname === "/events") {
      const cancelled = signal<unknown>();
      const aborted = signal();
      request.signal.addEventListener("abort", () => aborted.resolve(), { once: true });
      let controller!: ReadableStreamDefaultController<Uint8Array>;
      const body = new ReadableStream<Uint8Array>({
        start: (c) => void (controller = c),
        cancel: (reason) => cancelled.resolve(reason),
      });
      const events: Events = {
        send: (data) => controller.enqueue(encoder.encode(`data: ${data}\n\n`)),
        cancelled: cancelled.promise,
        aborted: aborted.promise,
      };
      opened.push(events);
      eventStreams.resolve(events);
      return new Response(body, {
        headers: { "content-type": "text/event-stream", "cache-control": "no-store" },
      });
    }
    return new Response("not found", { status: 404 });
  });
  return { ...peer, opened, firstEvents: eventStreams.promise };
}

Deno.test("chromium's fetch uploads bytes and a form to serve() and reads the answers", async () => {
  const { server, origin } = startPageServer();
  try {
    await using browser = await launchChromium();
    await using page = await browser.newPage(`${origin}/`);
    assert.equal(
      await page.evaluate("document.querySelector('h1').textContent"),
      "served by serve()",
    );
    const uploaded = await page.evaluate(`(async () => {
      const bytes = new Uint8Array(${UPLOAD_SIZE});
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + (i >> 8)) & 0xff;
      const response = await fetch("/upload", {
        method: "POST",
        headers: { "content-type": "application/octet-stream" },
        body: bytes,
      });
      return { status: response.status, body: await response.json() };
    })()`);
    assert.deepEqual(uploaded, {
      status: 200,
      body: { size: UPLOAD_SIZE, mismatches: 0, type: "application/octet-stream" },
    });
    const form = await page.evaluate(`(async () => {
      const form = new FormData();
      form.set("name", "héllo");
      form.set("file", new Blob(["file body\\n"], { type: "text/plain" }), "notes.txt");
      const response = await fetch("/form", { method: "POST", body: form });
      return await response.json();
    })()`);
    assert.deepEqual(form, {
      name: "héllo",
      file: { name: "notes.txt", type: "text/plain", text: "file body\n" },
    });
    assert.deepEqual(page.console, []);
  } finally {
    await server.shutdown();
  }
});

/** Open an EventSource on `page` and send it three events, each once the one before arrived. */
async function receiveThreeEvents(
  page: Page,
  firstEvents: Promise<Events>,
): Promise<Events> {
  await page.evaluate(`
    globalThis.received = [];
    globalThis.source = new EventSource("/events");
    source.onmessage = (event) => received.push(event.data);
    source.onerror = () => received.push("error");
  `);
  const events = await deadline(firstEvents, NOTICE_MS, "the EventSource did not connect");
  for (let n = 1; n <= 3; n++) {
    events.send(`event ${n}`);
    // The next is sent only once this one arrived: a response held back
    // until its end would stall here.
    await page.waitFor(`received.length >= ${n}`);
  }
  assert.deepEqual(await page.evaluate("received"), ["event 1", "event 2", "event 3"]);
  return events;
}

Deno.test("chromium's EventSource gets events; closing it cancels the response", async () => {
  const { server, origin, opened, firstEvents } = startPageServer();
  try {
    await using browser = await launchChromium();
    await using page = await browser.newPage(`${origin}/`);
    const events = await receiveThreeEvents(page, firstEvents);
    await page.evaluate("source.close()");
    await deadline(events.cancelled, NOTICE_MS, "the response's stream was not cancelled");
    await deadline(events.aborted, NOTICE_MS, "request.signal did not abort");
    assert.equal(opened.length, 1, "the EventSource reconnected");
  } finally {
    await server.shutdown();
  }
});

Deno.test("chromium's EventSource gets events; closing the tab cancels the response", async () => {
  const { server, origin, opened, firstEvents } = startPageServer();
  try {
    await using browser = await launchChromium();
    const page = await browser.newPage(`${origin}/`);
    const events = await receiveThreeEvents(page, firstEvents);
    await page.close();
    await deadline(events.cancelled, NOTICE_MS, "the response's stream was not cancelled");
    await deadline(events.aborted, NOTICE_MS, "request.signal did not abort");
    assert.equal(opened.length, 1);
  } finally {
    await server.shutdown();
  }
});
