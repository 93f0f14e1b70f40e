import assert from "node:assert/strict";
import { WebSocketError } from "../frames/websocket_error.ts";
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
