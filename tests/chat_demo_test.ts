/**
 * The chat demo's rules, each against the demo run as a process and driven by
 * real clients (Deno's native WebSocket, this module's WebSocketStream, raw
 * TCP where a well-behaved client cannot send what is needed): the origin
 * policy, the line limit, the rate limit, the coalesced presence notices,
 * and the page and JSON endpoint over plain HTTP.
 */
import assert from "node:assert/strict";
import { WebSocket as WsClient } from "ws";
import { WebSocket as EdgeWebSocket, WebSocketStream } from "../mod.ts";
import { FrameCollector } from "../frames/frame_collector.ts";
import { FrameDecoder } from "../frames/frame_decoder.ts";
import type { Frame } from "../frames/frame.ts";
import { startExample } from "./_examples.ts";
import { nextEvent } from "./_servers.ts";

// The demo's limits (examples/chat/server.ts, presence.ts).
const MAX_LINE_BYTES = 4096;
const BURST = 10;
const LINES_PER_SECOND = 1;
const PRESENCE_INTERVAL_MS = 1000;

async function startChat(env: Record<string, string> = {}) {
  const chat = await startExample(
    ["examples/chat/server.ts"],
    /chat on http:\/\/localhost:(\d+)/,
    { PORT: "0", ...env },
  );
  const port = Number(chat.match[1]);
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    url: `ws://127.0.0.1:${port}/ws`,
    async [Symbol.asyncDispose]() {
      const status = await chat.stop();
      assert.equal(status.success, true, "the demo exits cleanly on SIGTERM");
    },
  };
}

interface ChatMessage {
  type: string;
  name?: string;
  text?: string;
  count?: number;
}

/** A chat member on Deno's native WebSocket: what it received, and a wait for a message. */
async function join(url: string, origin: string) {
  const socket = new WebSocket(url, { protocols: ["chat"], headers: { origin } });
  const received: ChatMessage[] = [];
  const waiters = new Set<() => void>();
  socket.onmessage = (event) => {
    received.push(JSON.parse(event.data));
    for (const waiter of waiters) waiter();
  };
  const closeEvent = new Promise<CloseEvent>((resolve) => {
    socket.addEventListener("close", resolve, { once: true });
  });
  await nextEvent(socket, "open");
  const member = {
    socket,
    received,
    name: "",
    /** The close event (rejects if none comes within 10 s of asking). */
    get closed(): Promise<CloseEvent> {
      return withDeadline(closeEvent, 10_000, "close");
    },
    /** Resolve once a received message passes `test` (rejects after 20 s). */
    waitFor(test: (message: ChatMessage) => boolean): Promise<ChatMessage> {
      const found = received.find(test);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no such message in ${JSON.stringify(received).slice(0, 500)}`));
        }, 20_000);
        const check = () => {
          const message = received.find(test);
          if (message === undefined) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(message);
        };
        waiters.add(check);
      });
    },
  };
  member.name = (await member.waitFor((m) => m.type === "welcome")).name!;
  return member;
}

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

async function leave(member: { socket: WebSocket; closed: Promise<CloseEvent> }) {
  member.socket.close(1000);
  await member.closed;
}

Deno.test("chat demo: a page from another origin, or no Origin, is refused with 403", async () => {
  await using chat = await startChat();
  for (const origin of ["http://evil.example", `http://127.0.0.1:${chat.port + 1}`, undefined]) {
    const headers: Record<string, string> = origin === undefined ? {} : { origin };
    const stream = new WebSocketStream(chat.url, { protocols: ["chat"], headers });
    await assert.rejects(stream.opened, { name: "HandshakeStatusError", status: 403 }, origin);
  }
  // Deno's client too (its error names the status).
  const evil = new WebSocket(chat.url, { headers: { origin: "http://evil.example" } });
  const [error] = await Promise.all([
    nextEvent<ErrorEvent>(evil, "error"),
    nextEvent<CloseEvent>(evil, "close"),
  ]);
  assert.match(error.message, /403/);
  // The page's own origins, under both names it is served by, join.
  for (const origin of [chat.origin, `http://localhost:${chat.port}`]) {
    await leave(await join(chat.url, origin));
  }
});

Deno.test("chat demo: ORIGINS replaces the default origins", async () => {
  await using chat = await startChat({ ORIGINS: "https://chat.example.com, https://b.example" });
  await leave(await join(chat.url, "https://chat.example.com"));
  await leave(await join(chat.url, "https://b.example"));
  const stream = new WebSocketStream(chat.url, { headers: { origin: chat.origin } });
  await assert.rejects(stream.opened, { name: "HandshakeStatusError", status: 403 });
});

Deno.test("chat demo: a line over 4096 bytes closes with 1009, compressed or not; one of 4096 is relayed", async () => {
  await using chat = await startChat();
  const longest = "é".repeat(MAX_LINE_BYTES / 2); // 4096 bytes, 2048 characters
  const over = longest + "a"; // 4097 bytes, far below 4096 characters
  // npm:ws offers permessage-deflate: the limit applies to the inflated line.
  const ws = new WsClient(chat.url, ["chat"], { origin: chat.origin, perMessageDeflate: true });
  const wsClosed = new Promise<number>((resolve) => ws.once("close", resolve));
  const wsTexts: string[] = [];
  const relayed = new Promise<void>((resolve) => {
    ws.on("message", (data: Buffer) => {
      const message: ChatMessage = JSON.parse(data.toString());
      if (message.type === "message") wsTexts.push(message.text!);
      if (message.text === longest) resolve();
    });
  });
  await new Promise((resolve) => ws.once("open", resolve));
  assert.equal(ws.extensions, "permessage-deflate");
  ws.send(longest);
  await withDeadline(relayed, 10_000, "the 4096-byte line");
  ws.send(over);
  assert.equal(await withDeadline(wsClosed, 10_000, "close"), 1009);
  assert.deepEqual(wsTexts, [longest]);
  // This module's client without compression: refused from the frame header.
  const plain = new EdgeWebSocket(chat.url, ["chat"], {
    headers: { origin: chat.origin },
    perMessageDeflate: false,
  });
  await nextEvent(plain, "message"); // the welcome
  plain.send(over);
  assert.equal((await nextEvent<CloseEvent>(plain, "close")).code, 1009);
});

Deno.test("chat demo: a frame announcing 16 MiB is refused with 1009 from its header, before any payload", async () => {
  await using chat = await startChat();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: chat.port });
  await conn.write(new TextEncoder().encode(
    `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${chat.port}\r\nOrigin: ${chat.origin}\r\n` +
      "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: chat\r\n\r\n",
  ));
  const frames: Frame[] = [];
  const decoder = new FrameDecoder(new FrameCollector((frame) => frames.push(frame)), {
    role: "client",
  });
  const buffer = new Uint8Array(16 * 1024);
  let head = "";
  let headDone = false;
  // The header of a masked text frame of 16 MiB, and none of its payload.
  const header = new Uint8Array([0x81, 0xff, 0, 0, 0, 0, 0x01, 0, 0, 0, 1, 2, 3, 4]);
  const deadline = setTimeout(() => conn.close(), 10_000);
  try {
    while (!frames.some((frame) => frame.opcode === 0x8)) {
      const n = await conn.read(buffer);
      if (n === null) break;
      let chunk = buffer.slice(0, n);
      if (!headDone) {
        head += new TextDecoder("latin1").decode(chunk);
        const end = head.indexOf("\r\n\r\n");
        if (end === -1) continue;
        assert.match(head, /^HTTP\/1\.1 101 /);
        chunk = chunk.slice(end + 4 - (head.length - n));
        headDone = true;
        await conn.write(header);
      }
      decoder.write(chunk);
    }
  } finally {
    clearTimeout(deadline);
    conn.close();
  }
  const close = frames.find((frame) => frame.opcode === 0x8);
  assert.ok(close, "the server sent a close frame before the deadline");
  assert.equal((close.payload[0]! << 8) | close.payload[1]!, 1009);
});

Deno.test("chat demo: a binary message closes with 1003 (text lines only)", async () => {
  await using chat = await startChat();
  const ann = await join(chat.url, chat.origin);
  ann.socket.send(new Uint8Array([1, 2, 3]));
  assert.equal((await ann.closed).code, 1003);
});

Deno.test("chat demo: a flood closes with 1008 while a normal client keeps chatting", async () => {
  await using chat = await startChat();
  const ann = await join(chat.url, chat.origin);
  const flooder = await join(chat.url, chat.origin);
  const started = performance.now();
  for (let i = 0; i < 200; i++) flooder.socket.send(`flood ${i}`);
  for (const text of ["one", "two", "three"]) ann.socket.send(text);
  const closed = await flooder.closed;
  assert.equal(closed.code, 1008);
  assert.equal(closed.reason, "Rate limit exceeded");
  for (const text of ["one", "two", "three"]) {
    await ann.waitFor((m) => m.type === "message" && m.name === ann.name && m.text === text);
  }
  ann.socket.send("still here");
  await ann.waitFor((m) => m.type === "message" && m.text === "still here");
  assert.equal(ann.socket.readyState, WebSocket.OPEN);
  const elapsed = (performance.now() - started) / 1000;
  const relayed = ann.received.filter((m) => m.type === "message" && m.name === flooder.name);
  assert.ok(
    relayed.length <= BURST + Math.floor(elapsed * LINES_PER_SECOND),
    `${relayed.length} flood lines relayed in ${elapsed.toFixed(1)} s`,
  );
  await leave(ann);
});

Deno.test("chat demo: 200 joins cost O(members) presence lines, not O(members²)", async () => {
  const members = 200;
  await using chat = await startChat();
  const started = performance.now();
  const all = await Promise.all(Array.from({ length: members }, () => join(chat.url, chat.origin)));
  // Every member learns the final count: the last joiner from its welcome, the
  // others from a coalesced presence update.
  await Promise.all(all.map((member) => member.waitFor((m) => m.count === members)));
  const elapsed = performance.now() - started;
  const counts = all.map((member) => member.received.length);
  // Updates go out at least PRESENCE_INTERVAL_MS apart (less a few ms: timers
  // may round): within `elapsed`, at most this many, plus each member's welcome.
  // One notice per join would send the first member 200 lines, the room 20,100.
  const perMember = Math.floor(elapsed / (PRESENCE_INTERVAL_MS - 10)) + 1 + 1;
  const most = Math.max(...counts);
  assert.ok(
    most <= perMember,
    `a member got ${most} lines in ${elapsed | 0} ms, over ${perMember}`,
  );
  const total = counts.reduce((sum, count) => sum + count, 0);
  assert.ok(total <= members * perMember, `${total} lines for ${members} joins`);
  await Promise.all(all.map(leave));
});

Deno.test("chat demo: the page and GET /api/stats over HTTP, on the same port as /ws", async () => {
  await using chat = await startChat();
  const page = await fetch(`${chat.origin}/`);
  assert.equal(page.status, 200);
  assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
  assert.match(await page.text(), /<title>edgews chat<\/title>/);
  const before = await fetch(`${chat.origin}/api/stats`);
  assert.equal(before.status, 200);
  assert.match(before.headers.get("content-type") ?? "", /^application\/json/);
  assert.deepEqual(await before.json(), { members: 0, messages: 0 });
  const ann = await join(chat.url, chat.origin);
  ann.socket.send("hello");
  await ann.waitFor((m) => m.type === "message" && m.text === "hello");
  const after = await fetch(`${chat.origin}/api/stats`);
  assert.deepEqual(await after.json(), { members: 1, messages: 1 });
  const post = await fetch(`${chat.origin}/api/stats`, { method: "POST", body: "x" });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get("allow"), "GET, HEAD");
  await post.body?.cancel();
  const missing = await fetch(`${chat.origin}/nope`);
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
  await leave(ann);
});

Deno.test("chat demo: the page and the JSON endpoint on one kept-alive connection", async () => {
  await using chat = await startChat();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: chat.port });
  const deadline = setTimeout(() => conn.close(), 10_000);
  const http = responseReader(conn);
  try {
    const request = (path: string) =>
      conn.write(new TextEncoder().encode(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`));
    await request("/");
    const first = await http.next();
    assert.equal(first.status, 200);
    assert.match(new TextDecoder().decode(first.body), /<title>edgews chat<\/title>/);
    assert.notEqual(first.headers.get("connection")?.toLowerCase(), "close");
    await request("/api/stats");
    const second = await http.next();
    assert.equal(second.status, 200);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(second.body)), {
      members: 0,
      messages: 0,
    });
  } finally {
    clearTimeout(deadline);
    try {
      conn.close();
    } catch { /* closed by the deadline */ }
  }
});

/** Reads HTTP/1.1 responses one after another from a connection (Content-Length or chunked). */
function responseReader(conn: Deno.Conn) {
  let pending = new Uint8Array(0);
  let ended = false;
  async function fill(): Promise<boolean> {
    const chunk = new Uint8Array(16 * 1024);
    const n = ended ? null : await conn.read(chunk);
    if (n === null) {
      ended = true;
      return false;
    }
    const joined = new Uint8Array(pending.length + n);
    joined.set(pending);
    joined.set(chunk.subarray(0, n), pending.length);
    pending = joined;
    return true;
  }
  async function line(): Promise<string> {
    for (;;) {
      const end = pending.findIndex((byte, i) => byte === 0x0a && pending[i - 1] === 0x0d);
      if (end !== -1) {
        const text = new TextDecoder("latin1").decode(pending.subarray(0, end - 1));
        pending = pending.slice(end + 1);
        return text;
      }
      if (!(await fill())) throw new Error("connection closed mid-response");
    }
  }
  async function bytes(length: number): Promise<Uint8Array> {
    while (pending.length < length) {
      if (!(await fill())) throw new Error("connection closed mid-body");
    }
    const out = pending.slice(0, length);
    pending = pending.slice(length);
    return out;
  }
  return {
    async next() {
      const status = Number((await line()).split(" ")[1]);
      const headers = new Headers();
      for (let header = await line(); header !== ""; header = await line()) {
        const colon = header.indexOf(":");
        headers.append(header.slice(0, colon), header.slice(colon + 1).trim());
      }
      const parts: Uint8Array[] = [];
      if (headers.get("transfer-encoding")?.toLowerCase() === "chunked") {
        for (;;) {
          const size = parseInt((await line()).split(";")[0]!, 16);
          if (size === 0) break;
          parts.push(await bytes(size));
          await line();
        }
        while ((await line()) !== "") { /* trailers */ }
      } else {
        parts.push(await bytes(Number(headers.get("content-length") ?? "0")));
      }
      const body = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
      let offset = 0;
      for (const part of parts) {
        body.set(part, offset);
        offset += part.length;
      }
      return { status, headers, body };
    },
  };
}
