/**
 * Per-message streams (`streamMessages`, and messages sent from a
 * `ReadableStream`) over real loopback sockets: chunks arrive before the
 * rest of their message is sent, text is validated as it streams, a
 * message's stream can be skipped, backpressure holds a slow reader's
 * memory down, compressed messages come as one chunk, `npm:ws` interoperates
 * both ways, and a 1 GiB message passes in bounded memory.
 */
import assert from "node:assert/strict";
import { type WebSocket as WsClient, WebSocketServer as WsServer } from "ws";
import type { StreamedMessage } from "./mod.ts";
import {
  serve,
  upgradeWebSocketStream,
  type WebSocketError,
  type WebSocketServer,
  WebSocketStream,
} from "../mod.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Reject after `ms` instead of hanging (a stream that never delivers fails the test). */
function within<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms);
    }),
  ]);
}

/** A stream whose chunks the test pushes one at a time. */
function pushable<T>(): { readable: ReadableStream<T>; push(chunk: T): void; end(): void } {
  let controller!: ReadableStreamDefaultController<T>;
  const readable = new ReadableStream<T>({ start: (c) => void (controller = c) });
  return { readable, push: (chunk) => controller.enqueue(chunk), end: () => controller.close() };
}

/** Our server handing each streamed-message socket to `onSocket`. */
function startServer(
  onSocket: (socket: WebSocketStream<true>) => void,
  options: { perMessageDeflate?: boolean } = {},
): WebSocketServer {
  return serve({ hostname: "127.0.0.1", port: 0 }, (request) => {
    const { response, socket } = upgradeWebSocketStream(request, {
      streamMessages: true,
      ...options,
    });
    onSocket(socket);
    return response;
  });
}

Deno.test("streamMessages: a chunk is delivered before the rest of its message is sent", async () => {
  const source = pushable<string>();
  const server = startServer((socket) => {
    void socket.opened.then(({ writable }) =>
      writable.getWriter().write({ type: "text", readable: source.readable })
    ).catch(() => {});
  });
  try {
    const client = new WebSocketStream(`ws://127.0.0.1:${server.addr.port}/`, {
      streamMessages: true,
    });
    const { readable } = await client.opened;
    const messages = readable.getReader();
    source.push("κόσμε, ");
    const { value: message } = await within(messages.read(), "the message to start");
    assert.equal(message!.type, "text");
    const chunks = message!.readable.getReader();
    // The first piece arrives while the sender has not produced the rest yet.
    assert.equal(decoder.decode((await within(chunks.read(), "the first chunk")).value), "κόσμε, ");
    source.push("world");
    assert.equal(decoder.decode((await within(chunks.read(), "the second chunk")).value), "world");
    source.end();
    assert.equal((await within(chunks.read(), "the end of the message")).done, true);
    client.close({ closeCode: 1000 });
    await client.closed;
  } finally {
    await server.shutdown();
  }
});

for (const where of ["our serve", "Deno.serve"]) {
  Deno.test(`streamMessages on ${where}: streamed echo of text and binary, whole messages too`, async () => {
    const handler = (request: Request) => {
      const { response, socket } = upgradeWebSocketStream(request, { streamMessages: true });
      void socket.opened.then(async ({ readable, writable }) => {
        const writer = writable.getWriter();
        // Received messages written back as they are: echoed chunk by chunk.
        for await (const message of readable) await writer.write(message);
      }).catch(() => {});
      return response;
    };
    const server = where === "our serve"
      ? serve({ hostname: "127.0.0.1", port: 0 }, handler)
      : Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
    try {
      const client = new WebSocketStream(`ws://127.0.0.1:${server.addr.port}/`, {
        streamMessages: true,
        perMessageDeflate: false,
      });
      const { readable, writable } = await client.opened;
      const writer = writable.getWriter();
      const reader = readable.getReader();
      const binary = Array.from({ length: 5 }, (_, i) => new Uint8Array(10_000 + i).fill(i));
      void writer.write(ReadableStream.from(binary));
      void writer.write({
        type: "text",
        readable: ReadableStream.from(["a", encoder.encode("é"), "z"]),
      });
      void writer.write("whole text");
      void writer.write(new Uint8Array([9, 8, 7]));
      void writer.write({ type: "text", readable: ReadableStream.from([]) });
      const results: [string, Uint8Array][] = [];
      for (let i = 0; i < 5; i++) {
        const { value } = await within(reader.read(), `message ${i}`);
        const bytes = new Uint8Array(await new Response(value!.readable).arrayBuffer());
        results.push([value!.type, bytes]);
      }
      const joined = new Uint8Array(binary.reduce((n, b) => n + b.length, 0));
      binary.reduce((at, b) => (joined.set(b, at), at + b.length), 0);
      assert.deepEqual(results[0], ["binary", joined]);
      assert.deepEqual(results[1], ["text", encoder.encode("aéz")]);
      assert.deepEqual(results[2], ["text", encoder.encode("whole text")]);
      assert.deepEqual(results[3], ["binary", new Uint8Array([9, 8, 7])]);
      assert.deepEqual(results[4], ["text", new Uint8Array(0)]);
      client.close({ closeCode: 1000 });
      await client.closed;
    } finally {
      await server.shutdown();
    }
  });
}

/** An npm:ws server that runs `onSocket` for each connection. */
async function startWsServer(
  onSocket: (socket: WsClient) => void,
): Promise<{ port: number; stop(): Promise<void> }> {
  const wss = new WsServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
  await new Promise((resolve) => wss.once("listening", resolve));
  wss.on("connection", onSocket);
  return {
    port: (wss.address() as { port: number }).port,
    stop: () =>
      new Promise((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}

Deno.test("streamMessages: text is validated as it streams; invalid UTF-8 fails at its fragment (1007)", async () => {
  let release!: () => void;
  const released = new Promise<void>((resolve) => release = resolve);
  const peer = await startWsServer((socket) => {
    void (async () => {
      socket.send(Buffer.from("héllo "), { binary: false, fin: false });
      await released; // the client has read the valid part by now
      socket.send(Buffer.from([0x77, 0xff, 0x77]), { fin: true });
    })();
  });
  try {
    const client = new WebSocketStream(`ws://127.0.0.1:${peer.port}/`, { streamMessages: true });
    const { readable } = await client.opened;
    const { value: message } = await within(readable.getReader().read(), "the message");
    const chunks = message!.readable.getReader();
    assert.equal(decoder.decode((await within(chunks.read(), "the valid part")).value), "héllo ");
    release();
    await assert.rejects(chunks.read(), (error: WebSocketError) => {
      assert.equal(error.closeCode, 1007);
      assert.match(error.message, /not UTF-8 at byte 8/);
      return true;
    });
    await assert.rejects(client.closed, { closeCode: 1007 });
  } finally {
    await peer.stop();
  }
});

Deno.test("streamMessages: a text message that ends inside a character fails with 1007", async () => {
  const peer = await startWsServer((socket) => {
    socket.send(Buffer.from([0x68, 0xce]), { binary: false, fin: false });
    socket.send(Buffer.from([]), { fin: true });
  });
  try {
    const client = new WebSocketStream(`ws://127.0.0.1:${peer.port}/`, { streamMessages: true });
    const { readable } = await client.opened;
    const { value: message } = await within(readable.getReader().read(), "the message");
    await assert.rejects(new Response(message!.readable).arrayBuffer(), /middle of a UTF-8/);
    await assert.rejects(client.closed, { closeCode: 1007 });
  } finally {
    await peer.stop();
  }
});

Deno.test("npm:ws interop: its fragments arrive as our chunks; our streamed message arrives whole there", async () => {
  let received: { data: Uint8Array; binary: boolean } | undefined;
  const peer = await startWsServer((socket) => {
    socket.send(Buffer.from("one "), { binary: false, fin: false });
    socket.send(Buffer.from("two "), { fin: false });
    socket.send(Buffer.from("three"), { fin: true });
    socket.on("message", (data: Uint8Array, binary: boolean) => {
      received = { data, binary };
      socket.close(1000);
    });
  });
  try {
    const client = new WebSocketStream(`ws://127.0.0.1:${peer.port}/`, { streamMessages: true });
    const { readable, writable } = await client.opened;
    const { value: message } = await within(readable.getReader().read(), "the message");
    const pieces: string[] = [];
    for await (const chunk of message!.readable) pieces.push(decoder.decode(chunk));
    assert.deepEqual(pieces, ["one ", "two ", "three"]);
    const big = new Uint8Array(3 * 65536 + 17).map((_, i) => i % 253);
    await writable.getWriter().write(
      ReadableStream.from([
        big.subarray(0, 65536),
        big.subarray(65536, 200_000),
        big.subarray(200_000),
      ]),
    );
    await client.closed;
    assert.equal(received?.binary, true);
    assert.deepEqual(new Uint8Array(received!.data), big);
  } finally {
    await peer.stop();
  }
});

Deno.test("streamMessages: cancelling a message's stream skips the rest of it", async () => {
  const server = startServer((socket) => {
    void socket.opened.then(async ({ writable }) => {
      const writer = writable.getWriter();
      const chunks = Array.from({ length: 64 }, () => new Uint8Array(64 * 1024).fill(1));
      await writer.write(ReadableStream.from(chunks)); // 4 MiB nobody wants
      await writer.write("after");
    }).catch(() => {});
  });
  try {
    const client = new WebSocketStream(`ws://127.0.0.1:${server.addr.port}/`, {
      streamMessages: true,
    });
    const { readable } = await client.opened;
    const reader = readable.getReader();
    const { value: first } = await within(reader.read(), "the first message");
    await first!.readable.cancel();
    const { value: second } = await within(reader.read(), "the second message");
    assert.equal(second!.type, "text");
    assert.equal(decoder.decode(await new Response(second!.readable).arrayBuffer()), "after");
    client.close({ closeCode: 1000 });
    await client.closed;
  } finally {
    await server.shutdown();
  }
});

Deno.test("streamMessages: a reader that does not read holds the sender back (bounded memory)", async () => {
  let generated = 0;
  let sent: Promise<void> | undefined;
  const total = 64 * 1024 * 1024;
  const server = startServer((socket) => {
    void socket.opened.then(({ writable }) => {
      const source = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (generated >= total) return controller.close();
          generated += 64 * 1024;
          controller.enqueue(new Uint8Array(64 * 1024));
        },
      }, { highWaterMark: 0 });
      sent = writable.getWriter().write(source);
    }).catch(() => {});
  }, {});
  try {
    const client = new WebSocketStream(`ws://127.0.0.1:${server.addr.port}/`, {
      streamMessages: true,
      maxMessageSize: total,
    });
    const { readable } = await client.opened;
    const { value: message } = await within(readable.getReader().read(), "the message");
    // Nobody reads the message for a while: the sender must stall far below 64 MiB.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stalledAt = generated;
    assert.ok(stalledAt < 16 * 1024 * 1024, `the sender stalled at ${stalledAt} bytes`);
    let size = 0;
    for await (const chunk of message!.readable) size += chunk.length;
    assert.equal(size, total);
    await within(sent!, "the send to complete");
    client.close({ closeCode: 1000 });
    await client.closed;
  } finally {
    await server.shutdown();
  }
});

Deno.test("streamMessages with permessage-deflate: compressed messages come as one chunk", async () => {
  const server = startServer((socket) => {
    void socket.opened.then(async ({ readable, writable }) => {
      const writer = writable.getWriter();
      await writer.write("compressed ".repeat(1000));
      for await (const message of readable) await writer.write(message);
    }).catch(() => {});
  }, { perMessageDeflate: true });
  try {
    const client = new WebSocketStream(`ws://127.0.0.1:${server.addr.port}/`, {
      streamMessages: true,
    });
    const { readable, writable, extensions } = await client.opened;
    assert.match(extensions, /permessage-deflate/);
    const reader = readable.getReader();
    const { value: whole } = await within(reader.read(), "the compressed message");
    const pieces: Uint8Array[] = [];
    for await (const chunk of whole!.readable) pieces.push(chunk);
    assert.equal(pieces.length, 1);
    assert.equal(decoder.decode(pieces[0]), "compressed ".repeat(1000));
    // A streamed send goes uncompressed, and passes all the same.
    await writable.getWriter().write({ type: "text", readable: ReadableStream.from(["x", "y"]) });
    const { value: echoed } = await within(reader.read(), "the echo");
    assert.equal(decoder.decode(await new Response(echoed!.readable).arrayBuffer()), "xy");
    client.close({ closeCode: 1000 });
    await client.closed;
  } finally {
    await server.shutdown();
  }
});

Deno.test("sending from a stream: invalid UTF-8 is refused; a source failing mid-message closes with 1011", async () => {
  const serverCloses: Promise<unknown>[] = [];
  const server = startServer((socket) => {
    serverCloses.push(socket.closed.then((info) => info, (error) => error));
    void socket.opened.then(async ({ readable }) => {
      for await (const message of readable) await message.readable.cancel();
    }).catch(() => {});
  });
  try {
    const url = `ws://127.0.0.1:${server.addr.port}/`;
    const first = new WebSocketStream(url);
    const { writable } = await first.opened;
    await assert.rejects(
      writable.getWriter().write({
        type: "text",
        readable: ReadableStream.from([new Uint8Array([0x61, 0xc0, 0x80])]),
      }),
      /not UTF-8 at byte 1/,
    );
    first.close({ closeCode: 1000 });
    await first.closed;

    const second = new WebSocketStream(url);
    const opened = await second.opened;
    let calls = 0;
    const failing = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (++calls === 1) controller.enqueue(new Uint8Array(100));
        else controller.error(new Error("disk on fire"));
      },
    });
    await assert.rejects(opened.writable.getWriter().write(failing), /disk on fire/);
    assert.deepEqual(await serverCloses[1], {
      closeCode: 1011,
      reason: "The source of a streamed message failed",
    });
  } finally {
    await server.shutdown();
  }
});

Deno.test("streamMessages: a connection that drops inside a message errors that message's stream", async () => {
  const peer = await startWsServer((socket) => {
    socket.send(Buffer.from([1, 2, 3]), { binary: true, fin: false });
    setTimeout(() => socket.terminate(), 50);
  });
  try {
    const client = new WebSocketStream(`ws://127.0.0.1:${peer.port}/`, { streamMessages: true });
    const { readable } = await client.opened;
    const { value: message } = await within(readable.getReader().read(), "the message");
    const chunks = message!.readable.getReader();
    assert.deepEqual((await chunks.read()).value, new Uint8Array([1, 2, 3]));
    await assert.rejects(chunks.read(), { closeCode: 1006 });
    await assert.rejects(client.closed, { closeCode: 1006 });
  } finally {
    await peer.stop();
  }
});

Deno.test("a 1 GiB message streams through a real socket, both ways, in bounded memory", async () => {
  // A separate process, so that its peak memory is the transfer's alone.
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "tests/_large_message.ts", "1024"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, decoder.decode(stderr));
  const result = JSON.parse(decoder.decode(stdout).trim()) as {
    type: string;
    bytes: number;
    chunks: number;
    peakRss: number;
  };
  assert.equal(result.type, "binary");
  assert.equal(result.bytes, 1024 * 1024 * 1024);
  assert.ok(result.chunks > 1, "it arrived in pieces");
  assert.ok(
    result.peakRss < 400 * 1024 * 1024,
    `peak RSS ${(result.peakRss / 1048576).toFixed(0)} MiB (bound 400 MiB)`,
  );
});

Deno.test("types: streamMessages: true gives StreamedMessage, otherwise string | Uint8Array", async () => {
  const server = startServer(() => {});
  try {
    const url = `ws://127.0.0.1:${server.addr.port}/`;
    const streamed = new WebSocketStream(url, { streamMessages: true });
    const plain = new WebSocketStream(url);
    const a: ReadableStream<StreamedMessage> = (await streamed.opened).readable;
    const b: ReadableStream<string | Uint8Array> = (await plain.opened).readable;
    assert.ok(a instanceof ReadableStream && b instanceof ReadableStream);
    streamed.close({ closeCode: 1000 });
    plain.close({ closeCode: 1000 });
    await Promise.all([streamed.closed, plain.closed]);
  } finally {
    await server.shutdown();
  }
});
