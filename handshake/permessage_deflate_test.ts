import assert from "node:assert/strict";
import { WebSocketError } from "../errors/websocket_error.ts";
import { formatExtensionHeader, parseExtensionHeader } from "./extension_header.ts";
import {
  acceptPerMessageDeflateResponse,
  perMessageDeflateOffer,
  type PerMessageDeflateOptions,
  perMessageDeflateServer,
} from "./permessage_deflate.ts";
import { negotiateServerHandshake } from "./server_handshake.ts";

/** Offers header × server options → the response header, or undefined (declined). */
const table: [string, PerMessageDeflateOptions, string | undefined][] = [
  ["permessage-deflate", {}, "permessage-deflate"],
  ["permessage-deflate; client_max_window_bits", {}, "permessage-deflate"],
  [
    "permessage-deflate; client_max_window_bits",
    { clientMaxWindowBits: 10 },
    "permessage-deflate; client_max_window_bits=10",
  ],
  // The server wants to limit the client's window, but the client cannot: declined.
  ["permessage-deflate", { clientMaxWindowBits: 10 }, undefined],
  // ... unless a later offer allows it.
  [
    "permessage-deflate, permessage-deflate; client_max_window_bits=12",
    { clientMaxWindowBits: 10 },
    "permessage-deflate; client_max_window_bits=10",
  ],
  [
    "permessage-deflate; client_max_window_bits=9",
    { clientMaxWindowBits: 12 },
    "permessage-deflate; client_max_window_bits=9",
  ],
  [
    "permessage-deflate; client_max_window_bits=9",
    {},
    "permessage-deflate; client_max_window_bits=9",
  ],
  [
    "permessage-deflate; server_max_window_bits=10",
    {},
    "permessage-deflate; server_max_window_bits=10",
  ],
  [
    "permessage-deflate; server_max_window_bits=12",
    { serverMaxWindowBits: 9 },
    "permessage-deflate; server_max_window_bits=9",
  ],
  [
    "permessage-deflate",
    { serverMaxWindowBits: 11 },
    "permessage-deflate; server_max_window_bits=11",
  ],
  [
    "permessage-deflate; server_no_context_takeover",
    {},
    "permessage-deflate; server_no_context_takeover",
  ],
  [
    "permessage-deflate",
    { serverNoContextTakeover: true, clientNoContextTakeover: true },
    "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
  ],
  [
    "permessage-deflate; client_no_context_takeover",
    {},
    "permessage-deflate; client_no_context_takeover",
  ],
  // Invalid offers are declined one by one; the first valid one is accepted.
  ["permessage-deflate; unknown=1", {}, undefined],
  ["permessage-deflate; server_max_window_bits", {}, undefined],
  ["permessage-deflate; server_max_window_bits=7", {}, undefined],
  ["permessage-deflate; server_max_window_bits=16", {}, undefined],
  ["permessage-deflate; server_max_window_bits=010", {}, undefined],
  ["permessage-deflate; client_max_window_bits=abc", {}, undefined],
  ["permessage-deflate; server_no_context_takeover=1", {}, undefined],
  [
    "permessage-deflate; foo, permessage-deflate; server_max_window_bits=20, permessage-deflate; server_no_context_takeover",
    {},
    "permessage-deflate; server_no_context_takeover",
  ],
  // Quoted values are values like any other (RFC 7692 §7.1.2).
  [
    'permessage-deflate; client_max_window_bits="10"',
    {},
    "permessage-deflate; client_max_window_bits=10",
  ],
];

function handshake(extensions: string): Request {
  return new Request("http://example.com/", {
    headers: {
      host: "example.com",
      upgrade: "websocket",
      connection: "Upgrade",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      "sec-websocket-version": "13",
      "sec-websocket-extensions": extensions,
    },
  });
}

for (const [offers, options, expected] of table) {
  Deno.test(`permessage-deflate negotiation: ${offers} with ${JSON.stringify(options)}`, () => {
    const result = negotiateServerHandshake(handshake(offers), {
      extensions: [perMessageDeflateServer(options)],
    });
    assert.ok(result.ok, "the handshake itself never fails for an extension offer");
    assert.equal(result.headers.get("sec-websocket-extensions") ?? undefined, expected);
  });
}

Deno.test("permessage-deflate: every server response the table produces is accepted by a client that made that offer", () => {
  for (const [offers, options, expected] of table) {
    if (expected === undefined) continue;
    const response = parseExtensionHeader(expected)[0]!;
    // Reconstruct what the client offered in the accepted element.
    const accepted = parseExtensionHeader(offers).find((offer) => {
      const r = perMessageDeflateServer(options).negotiate([offer]);
      return r !== undefined && formatExtensionHeader([r]) === expected;
    })!;
    const bits = accepted.params.get("server_max_window_bits");
    const clientBits = accepted.params.get("client_max_window_bits");
    const params = acceptPerMessageDeflateResponse(response, {
      serverMaxWindowBits: typeof bits === "string" ? Number(bits) : undefined,
      clientMaxWindowBits: typeof clientBits === "string" ? Number(clientBits) : undefined,
    });
    assert.ok(params.serverMaxWindowBits >= 8 && params.serverMaxWindowBits <= 15);
    assert.ok(params.clientMaxWindowBits >= 8 && params.clientMaxWindowBits <= 15);
  }
});

Deno.test("permessage-deflate: client offers", () => {
  assert.equal(
    formatExtensionHeader([perMessageDeflateOffer()]),
    "permessage-deflate; client_max_window_bits",
  );
  assert.equal(
    formatExtensionHeader([
      perMessageDeflateOffer({
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
        serverMaxWindowBits: 10,
        clientMaxWindowBits: 9,
      }),
    ]),
    "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9",
  );
  assert.throws(() => perMessageDeflateOffer({ serverMaxWindowBits: 7 }), RangeError);
  assert.throws(() => perMessageDeflateServer({ clientMaxWindowBits: 16 }), RangeError);
});

Deno.test("permessage-deflate: the client fails invalid responses with 1010", () => {
  const invalid: [string, PerMessageDeflateOptions][] = [
    ["permessage-deflate; unknown", {}],
    ["permessage-deflate; client_max_window_bits", {}],
    ["permessage-deflate; server_max_window_bits=12", { serverMaxWindowBits: 10 }],
    ["permessage-deflate", { serverMaxWindowBits: 10 }],
    ["permessage-deflate; client_max_window_bits=12", { clientMaxWindowBits: 10 }],
    ["permessage-deflate; server_max_window_bits=abc", {}],
    ["permessage-deflate; server_no_context_takeover=x", {}],
    // §7.1.1.1: an accepted server_no_context_takeover must be echoed.
    ["permessage-deflate", { serverNoContextTakeover: true }],
    ["permessage-deflate; client_max_window_bits=7", {}],
  ];
  for (const [header, offered] of invalid) {
    assert.throws(
      () => acceptPerMessageDeflateResponse(parseExtensionHeader(header)[0]!, offered),
      (error: unknown) => error instanceof WebSocketError && error.closeCode === 1010,
      header,
    );
  }
  assert.deepEqual(
    acceptPerMessageDeflateResponse(
      parseExtensionHeader(
        "permessage-deflate; server_max_window_bits=9; client_max_window_bits=8",
      )[0]!,
    ),
    {
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 9,
      clientMaxWindowBits: 8,
    },
  );
});
