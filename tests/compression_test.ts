/**
 * permessage-deflate over real loopback sockets: our client and server with
 * every window size, with and without context takeover; every violation a
 * peer can commit, with its close code; the decompression bomb; a client
 * failing an invalid response; and the CompressionStream fallback's ordering.
 */
import assert from "node:assert/strict";
import { isolated } from "./_process.ts";
import { MessageDeflater, MessageInflater } from "../compression/deflate_codec.ts";
import type { PerMessageDeflateConfig } from "../compression/per_message_deflate.ts";
import { encodeFrame } from "../frames/frame_encoder.ts";
import type { FrameInit } from "../frames/frame.ts";
import { Opcode } from "../frames/opcode.ts";
import {
  connect,
  serve,
  upgradeWebSocket,
  type UpgradeWebSocketOptions,
  WebSocket as OurWebSocket,
  WebSocketStream,
} from "../mod.ts";
import { closeCodeOf, countingRelay, fakeServer, rawClient } from "./_compression.ts";
import { nextEvent, patternBytes } from "./_servers.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);
const KEY = new Uint8Array([1, 2, 3, 4]);
const masked = (frame: FrameInit) => encodeFrame({ ...frame, mask: KEY });

/** Our echo server with `options`. */
function echoServer(options: UpgradeWebSocketOptions) {
  return serve({ hostname: "127.0.0.1", port: 0 }, (request) => {
    const { response, socket } = upgradeWebSocket(request, options);
    socket.binaryType = "arraybuffer";
    socket.onmessage = (event) => socket.send(event.data);
    return response;
  });
}

/** About 1 KiB of JSON, different for each `id`, as a chat or a feed sends. */
function jsonMessage(id: number): string {
  const words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"];
  const text = Array.from({ length: 120 }, (_, i) => words[(id + i * 3) % 8]).join(" ");
  return JSON.stringify({ id, type: "message", room: "general", user: `user-${id % 7}`, text })
    .slice(0, 1024);
}

/** Send everything on one client, then check every echo arrives in order. */
async function echoSequence(url: string, perMessageDeflate: PerMessageDeflateConfig) {
  const ws = await connect(url, { perMessageDeflate, fragmentSize: 300 });
  const writer = ws.writable.getWriter();
  const reader = ws.readable.getReader();
  const messages: (string | Uint8Array)[] = [
    ...Array.from({ length: 50 }, (_, i) => jsonMessage(i)),
    "",
    new Uint8Array(0),
    "κόσμε ".repeat(20_000),
    patternBytes(100_000),
    new Uint8Array(200_000),
  ];
  for (const message of messages) void writer.write(message);
  for (const message of messages) {
    const { value } = await reader.read();
    assert.deepEqual(value, message);
  }
  ws.close({ closeCode: 1000 });
  await ws.closed;
  return ws.extensions;
}

for (const bits of [8, 9, 12, 15]) {
  for (const noContextTakeover of [false, true]) {
    Deno.test(`our client <-> our server, window bits ${bits}, ${noContextTakeover ? "no " : ""}context takeover`, async () => {
      const server = echoServer({
        perMessageDeflate: {
          threshold: 0,
          serverMaxWindowBits: bits,
          clientMaxWindowBits: bits,
          serverNoContextTakeover: noContextTakeover,
          clientNoContextTakeover: noContextTakeover,
        },
        fragmentSize: 1000,
      });
      const relay = countingRelay(server.addr.port);
      try {
        const extensions = await echoSequence(`ws://127.0.0.1:${relay.port}/`, { threshold: 0 });
        const expected = "permessage-deflate" +
          (noContextTakeover ? "; server_no_context_takeover; client_no_context_takeover" : "") +
          (bits < 15 ? `; server_max_window_bits=${bits}; client_max_window_bits=${bits}` : "");
        assert.equal(extensions, expected);
        // 50 KiB of JSON, 220 KB of text, 300 KB of binary (half of it zeros)
        // would be ~670 KB uncompressed each way.
        assert.ok(relay.counts.up < 400_000, `client sent ${relay.counts.up} bytes`);
        assert.ok(relay.counts.down < 400_000, `server sent ${relay.counts.down} bytes`);
      } finally {
        await relay.close();
        await server.shutdown();
      }
    });
  }
}

Deno.test("defaults: our client offers permessage-deflate, our server accepts it only when asked", async () => {
  const plain = echoServer({});
  const deflating = echoServer({ perMessageDeflate: true });
  try {
    const offered = fakeServer("permessage-deflate");
    // The fake server never answers the close: do not wait long for it.
    const socket = new OurWebSocket(`ws://127.0.0.1:${offered.port}/`, [], { closeTimeout: 100 });
    await nextEvent(socket, "open");
    assert.equal(socket.extensions, "permessage-deflate");
    socket.close();
    await nextEvent(socket, "close");
    assert.equal(
      (await offered.clientClosed).offered,
      "permessage-deflate; client_max_window_bits",
    );
    offered.close();

    const declined = await connect(`ws://127.0.0.1:${plain.addr.port}/`);
    assert.equal(declined.extensions, "");
    declined.close();
    await declined.closed;

    const accepted = await connect(`ws://127.0.0.1:${deflating.addr.port}/`);
    assert.equal(accepted.extensions, "permessage-deflate");
    accepted.close();
    await accepted.closed;

    const off = await connect(`ws://127.0.0.1:${deflating.addr.port}/`, {
      perMessageDeflate: false,
    });
    assert.equal(off.extensions, "");
    off.close();
    await off.closed;
  } finally {
    await plain.shutdown();
    await deflating.shutdown();
  }
});

Deno.test("several offers in one header: invalid ones are declined, the next valid one is taken", async () => {
  const server = echoServer({ perMessageDeflate: { threshold: 0 } });
  try {
    const header =
      "permessage-deflate; mystery=1, permessage-deflate; server_max_window_bits=16, " +
      "permessage-deflate; server_max_window_bits=10; client_no_context_takeover, permessage-deflate";
    const client = await rawClient(server.addr.port, header);
    assert.equal(client.status, 101);
    assert.equal(
      client.agreed,
      "permessage-deflate; client_no_context_takeover; server_max_window_bits=10",
    );
    const deflater = new MessageDeflater({ noContextTakeover: true });
    const message = utf8(JSON.stringify({ hello: "world", list: [1, 2, 3] }).repeat(20));
    await client.send(
      masked({ opcode: Opcode.Text, rsv1: true, payload: deflater.deflate(message) }),
    );
    // The echo first, then the close: a reply to a message that arrives in
    // the same read as the peer's close frame is dropped (the close is
    // answered as it is parsed).
    const [echo] = await client.framesUntil(1);
    await client.send(masked({ opcode: Opcode.Close, payload: new Uint8Array([0x03, 0xe8]) }));
    const [, close] = await client.framesUntilClosed();
    assert.equal(echo?.rsv1, true);
    const inflater = new MessageInflater({ windowBits: 10 });
    assert.deepEqual(inflater.inflate(echo!.payload, 1 << 16), message);
    assert.equal(closeCodeOf(close), 1000);

    // Nothing valid on offer: no extension, and the handshake still succeeds.
    const declined = await rawClient(
      server.addr.port,
      "permessage-deflate; x, permessage-deflate; y",
    );
    assert.equal(declined.status, 101);
    assert.equal(declined.agreed, "");
    await declined.send(masked({ opcode: Opcode.Close, payload: new Uint8Array([0x03, 0xe8]) }));
    assert.equal(closeCodeOf((await declined.framesUntilClosed())[0]), 1000);
  } finally {
    await server.shutdown();
  }
});

/** A raw client's violation against our server: the close code it gets. */
async function violation(
  frames: Uint8Array[],
  options: UpgradeWebSocketOptions = { perMessageDeflate: true },
  offer: string | undefined = "permessage-deflate",
): Promise<{ code: number | undefined; reason: string; agreed: string }> {
  const server = echoServer(options);
  try {
    const client = await rawClient(server.addr.port, offer);
    for (const frame of frames) await client.send(frame);
    const received = await client.framesUntilClosed();
    const close = received.find((frame) => frame.opcode === Opcode.Close);
    return {
      code: closeCodeOf(close),
      reason: close === undefined ? "" : new TextDecoder().decode(close.payload.subarray(2)),
      agreed: client.agreed,
    };
  } finally {
    await server.shutdown();
  }
}

Deno.test("over the wire: RSV1 on a control frame closes with 1002", async () => {
  const result = await violation([masked({ opcode: Opcode.Ping, rsv1: true, payload: utf8("x") })]);
  assert.equal(result.agreed, "permessage-deflate");
  assert.equal(result.code, 1002);
  assert.match(result.reason, /RSV1 set on a control frame/);
});

Deno.test("over the wire: RSV1 on a continuation frame closes with 1002", async () => {
  const payload = new MessageDeflater().deflate(utf8("Hello, world"));
  const result = await violation([
    masked({ opcode: Opcode.Text, rsv1: true, fin: false, payload: payload.subarray(0, 3) }),
    masked({ opcode: Opcode.Continuation, rsv1: true, payload: payload.subarray(3) }),
  ]);
  assert.equal(result.code, 1002);
  assert.match(result.reason, /continuation/);
});

Deno.test("over the wire: RSV1 without negotiating permessage-deflate closes with 1002", async () => {
  const payload = new MessageDeflater().deflate(utf8("Hello"));
  const result = await violation([masked({ opcode: Opcode.Text, rsv1: true, payload })], {});
  assert.equal(result.agreed, "");
  assert.equal(result.code, 1002);
});

Deno.test("over the wire: corrupt DEFLATE data closes with 1007", async () => {
  const result = await violation([
    masked({
      opcode: Opcode.Binary,
      rsv1: true,
      payload: new Uint8Array([0xff, 0xff, 0xff, 0xff]),
    }),
  ]);
  assert.equal(result.code, 1007);
  assert.match(result.reason, /Invalid compressed message/);
});

Deno.test("over the wire: compressed text that inflates to invalid UTF-8 closes with 1007", async () => {
  const payload = new MessageDeflater().deflate(new Uint8Array([0x63, 0x61, 0x66, 0xc3, 0x28]));
  const result = await violation([masked({ opcode: Opcode.Text, rsv1: true, payload })]);
  assert.equal(result.code, 1007);
  assert.match(result.reason, /not UTF-8 at byte 4/);
});

/** About 260 KB of DEFLATE that inflates to `mebibytes` MiB of zeros. */
function bomb(mebibytes: number): Uint8Array {
  const deflater = new MessageDeflater({ level: 9 });
  const zeros = new Uint8Array(1 << 20);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < mebibytes; i++) {
    parts.push(deflater.deflate(zeros));
    if (i < mebibytes - 1) parts.push(new Uint8Array([0x00, 0x00, 0xff, 0xff]));
  }
  deflater.close();
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

Deno.test("over the wire: a 260 KB message that inflates to 256 MiB closes with 1009, without the server allocating it", async () => {
  // RSS is the process's: measured in a process of its own.
  if (
    await isolated(
      import.meta.url,
      "over the wire: a 260 KB message that inflates to 256 MiB closes with 1009, without the server allocating it",
    )
  ) return;
  const payload = bomb(256);
  assert.ok(payload.length < 300_000, `${payload.length} bytes`);
  const frame = masked({ opcode: Opcode.Binary, rsv1: true, payload });
  const before = Deno.memoryUsage().rss;
  const result = await violation([frame], {
    perMessageDeflate: true,
    maxMessageSize: 1 << 20,
  });
  const grown = Deno.memoryUsage().rss - before;
  assert.equal(result.code, 1009);
  assert.match(result.reason, /inflates to more than 1048576 bytes/);
  assert.ok(grown < 64 * 1024 * 1024, `the server's process grew by ${grown} bytes`);
});

Deno.test("over the wire: a compressed message over maxMessageSize after inflating closes with 1009", async () => {
  const payload = new MessageDeflater().deflate(new Uint8Array(4097));
  const result = await violation([masked({ opcode: Opcode.Binary, rsv1: true, payload })], {
    perMessageDeflate: true,
    maxMessageSize: 4096,
  });
  assert.equal(result.code, 1009);
});

Deno.test("a client fails a server's invalid permessage-deflate response (1010), and drops the connection", async () => {
  const responses: [string, boolean][] = [
    ["permessage-deflate; server_max_window_bits=20", true],
    ["permessage-deflate; client_max_window_bits", true],
    ["permessage-deflate; server_no_context_takeover=yes", true],
    ["permessage-deflate; mystery", true],
    // Not offered at all: the handshake check itself refuses it.
    ["permessage-deflate", false],
  ];
  for (const [response, offer] of responses) {
    const server = fakeServer(response);
    try {
      const stream = new WebSocketStream(`ws://127.0.0.1:${server.port}/`, {
        perMessageDeflate: offer,
      });
      await assert.rejects(
        stream.opened,
        (error: unknown) => (error as { closeCode?: number }).closeCode === 1010,
        response,
      );
      await assert.rejects(stream.closed);
      assert.equal((await server.clientClosed).closedByClient, true, response);
    } finally {
      server.close();
    }
  }
  // The WHATWG class reports it as browsers do: error, then close 1006.
  const server = fakeServer("permessage-deflate; server_max_window_bits=7");
  try {
    const socket = new OurWebSocket(`ws://127.0.0.1:${server.port}/`);
    const error = nextEvent(socket, "error");
    const close = await nextEvent<CloseEvent>(socket, "close");
    await error;
    assert.equal(close.code, 1006);
    assert.equal(close.wasClean, false);
    assert.equal(socket.readyState, OurWebSocket.CLOSED);
    assert.equal((await server.clientClosed).closedByClient, true);
  } finally {
    server.close();
  }
});

Deno.test("CompressionStream fallback: messages stay in order both ways, and close waits for queued data", async () => {
  const fallback: PerMessageDeflateConfig = { backend: "compression-streams", threshold: 0 };
  const count = 200;
  const server = serve({ hostname: "127.0.0.1", port: 0 }, (request) => {
    const { response, socket } = upgradeWebSocket(request, { perMessageDeflate: fallback });
    let received = 0;
    socket.onmessage = (event) => {
      socket.send(event.data);
      if (++received === count) {
        // Everything queued behind the compressor goes out before the close.
        for (let i = 0; i < 20; i++) socket.send(`after ${i}`);
        socket.close(1000, "done");
      }
    };
    return response;
  });
  try {
    const ws = await connect(`ws://127.0.0.1:${server.addr.port}/`, {
      perMessageDeflate: fallback,
    });
    assert.equal(
      ws.extensions,
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
    );
    const writer = ws.writable.getWriter();
    const sent = Array.from(
      { length: count },
      (_, i) => i % 3 === 0 ? patternBytes(i * 50, i + 1) : jsonMessage(i).slice(0, i * 5),
    );
    for (const message of sent) void writer.write(message);
    const got: (string | Uint8Array)[] = [];
    for await (const message of ws.readable) got.push(message);
    assert.deepEqual(got, [...sent, ...Array.from({ length: 20 }, (_, i) => `after ${i}`)]);
    assert.deepEqual(await ws.closed, { closeCode: 1000, reason: "done" });
  } finally {
    await server.shutdown();
  }
});

Deno.test("CompressionStream fallback: corrupt data and bombs fail with 1007 and 1009", async () => {
  const fallback: UpgradeWebSocketOptions = {
    perMessageDeflate: { backend: "compression-streams" },
    maxMessageSize: 1 << 20,
  };
  const offer = "permessage-deflate; client_no_context_takeover";
  const corrupt = await violation(
    [masked({ opcode: Opcode.Text, rsv1: true, payload: new Uint8Array([0xff, 0xfe, 0xfd]) })],
    fallback,
    offer,
  );
  assert.equal(corrupt.agreed, "permessage-deflate; client_no_context_takeover");
  assert.equal(corrupt.code, 1007);
  const tooBig = await violation(
    [masked({ opcode: Opcode.Binary, rsv1: true, payload: bomb(16) })],
    fallback,
    offer,
  );
  assert.equal(tooBig.code, 1009);
  const badText = await violation(
    [masked({
      opcode: Opcode.Text,
      rsv1: true,
      payload: new MessageDeflater({ noContextTakeover: true }).deflate(new Uint8Array([0xff])),
    })],
    fallback,
    offer,
  );
  assert.equal(badText.code, 1007);
});
