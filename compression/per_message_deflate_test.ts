import assert from "node:assert/strict";
import { WebSocketError } from "../errors/websocket_error.ts";
import { formatExtensionHeader, parseExtensionHeader } from "../handshake/extension_header.ts";
import { deflateBackend, PerMessageDeflate } from "./per_message_deflate.ts";

const encoder = new TextEncoder();

function message(id: number): Uint8Array {
  return encoder.encode(
    JSON.stringify({ id, kind: "tick", symbol: "ACME", bid: 100 + id, note: "x".repeat(1200) }),
  );
}

/** Negotiate like a real handshake: the client's offer, the server's answer, both codecs. */
function pair(
  server: ConstructorParameters<typeof PerMessageDeflate>[2],
  client: ConstructorParameters<typeof PerMessageDeflate>[2],
): { server: PerMessageDeflate; client: PerMessageDeflate; agreed: string } {
  const offer = PerMessageDeflate.clientOffer(client)!;
  const answer = PerMessageDeflate.serverExtension(server).negotiate(
    parseExtensionHeader(formatExtensionHeader([offer])),
  );
  assert.ok(answer !== undefined, "the server accepted the offer");
  const agreed = formatExtensionHeader([answer]);
  return {
    server: PerMessageDeflate.fromHandshake(agreed, "server", server)!,
    client: PerMessageDeflate.fromHandshake(agreed, "client", client)!,
    agreed,
  };
}

Deno.test("this runtime compresses with zlib, synchronously", () => {
  assert.equal(deflateBackend(), "zlib");
  const { server } = pair({}, {});
  assert.equal(server.synchronous, true);
});

Deno.test("fromHandshake: no element, another extension, or a malformed header", () => {
  assert.equal(PerMessageDeflate.fromHandshake("", "server"), undefined);
  assert.equal(PerMessageDeflate.fromHandshake("x-other", "client"), undefined);
  assert.throws(
    () => PerMessageDeflate.fromHandshake("permessage-deflate; =", "client"),
    (error: unknown) => error instanceof WebSocketError && error.closeCode === 1010,
  );
});

Deno.test("each side compresses with its own parameters and decompresses with the peer's", () => {
  const { server, client, agreed } = pair(
    { serverMaxWindowBits: 10, clientNoContextTakeover: true, threshold: 0 },
    { clientMaxWindowBits: 12, threshold: 0 },
  );
  assert.equal(
    agreed,
    "permessage-deflate; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12",
  );
  assert.deepEqual(client.params, {
    serverNoContextTakeover: false,
    clientNoContextTakeover: true,
    serverMaxWindowBits: 10,
    clientMaxWindowBits: 12,
  });
  assert.deepEqual(server.params, client.params);
  for (let i = 0; i < 20; i++) {
    assert.deepEqual(client.decompress(server.compress(message(i))!, 1 << 16), message(i));
    assert.deepEqual(server.decompress(client.compress(message(i))!, 1 << 16), message(i));
  }
  // The client resets after every message, so its repeats cost the same.
  assert.equal(client.compress(message(1))!.length, client.compress(message(1))!.length);
  // The server keeps its window (1 KiB): a repeat of a short message is tiny.
  const words = Array.from({ length: 60 }, (_, i) => ((i * 7919) % 4099).toString(36));
  const short = encoder.encode(JSON.stringify({ id: 1, kind: "tick", words }));
  const first = server.compress(short)!.length;
  assert.ok(server.compress(short)!.length < first / 4);
  server.close();
  client.close();
});

Deno.test("threshold: shorter messages go uncompressed", () => {
  const codec = PerMessageDeflate.fromHandshake("permessage-deflate", "server", {
    threshold: 100,
  })!;
  assert.equal(codec.compress(new Uint8Array(99)), undefined);
  assert.ok(codec.compress(new Uint8Array(100)) instanceof Uint8Array);
  const byDefault = PerMessageDeflate.fromHandshake("permessage-deflate", "server")!;
  assert.equal(byDefault.compress(new Uint8Array(1023)), undefined);
  assert.ok(byDefault.compress(new Uint8Array(1024)) instanceof Uint8Array);
  assert.throws(() => PerMessageDeflate.clientOffer({ threshold: -1 }), RangeError);
  codec.close();
  byDefault.close();
});

Deno.test("a client fails a response that does not fit its offer", () => {
  const cases: [string, ConstructorParameters<typeof PerMessageDeflate>[2]][] = [
    ["permessage-deflate; server_max_window_bits=12", { serverMaxWindowBits: 10 }],
    ["permessage-deflate", { serverNoContextTakeover: true }],
    ["permessage-deflate; client_max_window_bits", {}],
    ["permessage-deflate; mystery", {}],
  ];
  for (const [header, config] of cases) {
    assert.throws(
      () => PerMessageDeflate.fromHandshake(header, "client", config),
      (error: unknown) => error instanceof WebSocketError && error.closeCode === 1010,
      header,
    );
  }
});

Deno.test("CompressionStream backend: the peer is asked to reset, and it interoperates with zlib", async () => {
  // Server on CompressionStream, client on zlib.
  const offer = PerMessageDeflate.clientOffer({ backend: "compression-streams" })!;
  assert.equal(
    formatExtensionHeader([offer]),
    "permessage-deflate; server_no_context_takeover; client_max_window_bits",
  );
  const { server, client, agreed } = pair({ backend: "compression-streams", threshold: 0 }, {
    threshold: 0,
  });
  assert.equal(agreed, "permessage-deflate; client_no_context_takeover");
  assert.equal(server.synchronous, false);
  assert.throws(() => server.compress(message(1)), TypeError);
  for (let i = 0; i < 5; i++) {
    const down = await server.compressAsync(message(i));
    assert.ok(down !== undefined && down.length < message(i).length);
    assert.deepEqual(client.decompress(down, 1 << 16), message(i));
    const up = client.compress(message(i))!;
    assert.deepEqual(await server.decompressAsync(up, 1 << 16), message(i));
  }
  await assert.rejects(
    server.decompressAsync(client.compress(new Uint8Array(5000))!, 4999),
    (error: unknown) => error instanceof WebSocketError && error.closeCode === 1009,
  );
  await assert.rejects(
    server.decompressAsync(new Uint8Array([0xff, 0xff, 0xff]), 100),
    (error: unknown) => error instanceof WebSocketError && error.closeCode === 1007,
  );
  // Both ends on CompressionStream.
  const both = pair({ backend: "compression-streams", threshold: 0 }, {
    backend: "compression-streams",
    threshold: 0,
  });
  assert.equal(
    both.agreed,
    "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
  );
  const wire = (await both.client.compressAsync(message(3)))!;
  assert.deepEqual(await both.server.decompressAsync(wire, 1 << 16), message(3));
  const empty = (await both.client.compressAsync(new Uint8Array(0)))!;
  assert.equal((await both.server.decompressAsync(empty, 0)).length, 0);
  assert.equal((await client.decompressAsync(empty, 0)).length, 0);
  client.close();
});

Deno.test("CompressionStream backend: a window limit below 15 bits means sending uncompressed", async () => {
  const codec = PerMessageDeflate.fromHandshake(
    "permessage-deflate; client_no_context_takeover; server_max_window_bits=10",
    "server",
    { backend: "compression-streams", threshold: 0 },
  )!;
  assert.equal(await codec.compressAsync(message(1)), undefined);
  assert.throws(
    () =>
      PerMessageDeflate.fromHandshake("permessage-deflate", "server", {
        backend: "compression-streams",
      }),
    TypeError,
  );
});

Deno.test("tryDecompress: short messages at once; long ones go on in decompressAsync, with timers run between slices", async () => {
  const { server, client } = pair({ threshold: 0 }, {});
  const short = message(1);
  assert.deepEqual(client.tryDecompress(server.compress(short)!, 1 << 20), short);
  const long = new Uint8Array(4 << 20).fill(120);
  const payload = server.compress(long)!;
  assert.equal(client.tryDecompress(payload, 8 << 20), undefined);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  try {
    assert.deepEqual(await client.decompressAsync(payload, 8 << 20), long);
    assert.ok(ticks > 4, `${ticks} timer ticks while 4 MiB were inflated`);
    // The window carried over: the next message refers back to this one.
    assert.deepEqual(client.tryDecompress(server.compress(short)!, 1 << 20), short);
    // Past the limit in a later slice: 1009.
    await assert.rejects(
      () => client.decompressAsync(server.compress(long)!, (2 << 20) - 1),
      (error: unknown) => error instanceof WebSocketError && error.closeCode === 1009,
    );
  } finally {
    clearInterval(timer);
    server.close();
    client.close();
  }
});

Deno.test("tryDecompress: behind an unfinished message the next ones wait, and come out in order", async () => {
  const { server, client } = pair({ threshold: 0 }, {});
  const long = new Uint8Array(1 << 20).fill(122);
  const messages = [long, message(1), long, message(2)];
  const payloads = messages.map((bytes) => server.compress(bytes)!);
  assert.equal(client.tryDecompress(payloads[0]!, 2 << 20), undefined);
  for (const payload of payloads.slice(1)) {
    assert.equal(client.tryDecompress(payload, 2 << 20), undefined);
  }
  for (const [i, payload] of payloads.entries()) {
    assert.deepEqual(await client.decompressAsync(payload, 2 << 20), messages[i]);
  }
  server.close();
  client.close();
});

Deno.test("long messages take turns: one inflates at a time in the process, first come first served", async () => {
  const long = new Uint8Array(8 << 20).fill(121);
  const codecs = [0, 1].map(() => pair({ threshold: 0 }, {}));
  const payloads = codecs.map(({ server }) => server.compress(long)!);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  const finished: number[] = [];
  try {
    await Promise.all(
      codecs.map(({ client }, i) =>
        client.decompressAsync(payloads[i]!, 16 << 20).then((bytes) => {
          assert.deepEqual(bytes, long);
          finished.push(ticks);
        })
      ),
    );
  } finally {
    clearInterval(timer);
    for (const { server, client } of codecs) {
      server.close();
      client.close();
    }
  }
  // The second started when the first was done: some 30 slices later, not one.
  assert.ok(finished[1]! - finished[0]! > 8, `finished at ticks ${finished.join(", ")}`);
});

Deno.test("CompressionStream backend: a long message lets timers run, and long messages take turns", async () => {
  const long = new Uint8Array(8 << 20).fill(123);
  const codecs = [0, 1].map(() => pair({ backend: "compression-streams", threshold: 0 }, {}));
  const payloads = codecs.map(({ client }) => client.compress(long)!);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  const finished: number[] = [];
  try {
    await Promise.all(
      codecs.map(({ server }, i) =>
        server.decompressAsync(payloads[i]!, 16 << 20).then((bytes) => {
          assert.deepEqual(bytes, long);
          finished.push(ticks);
        })
      ),
    );
    // A short one does not wait for a turn.
    assert.deepEqual(
      await codecs[0]!.server.decompressAsync(codecs[0]!.client.compress(message(1))!, 1 << 16),
      message(1),
    );
  } finally {
    clearInterval(timer);
    for (const { client } of codecs) client.close();
  }
  assert.ok(finished[0]! > 4, `${finished[0]} timer ticks while 8 MiB were inflated`);
  assert.ok(finished[1]! - finished[0]! > 4, `finished at ticks ${finished.join(", ")}`);
});
