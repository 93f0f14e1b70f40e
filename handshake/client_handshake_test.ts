import assert from "node:assert/strict";
import { WebSocketError } from "../errors/websocket_error.ts";
import { computeAcceptKey, isValidKey } from "./accept_key.ts";
import {
  createClientHandshake,
  type ExpectedHandshake,
  verifyServerHandshake,
} from "./client_handshake.ts";
import type { ExtensionOffer } from "./extension_header.ts";
import { negotiateServerHandshake } from "./server_handshake.ts";

const SAMPLE_KEY = "dGhlIHNhbXBsZSBub25jZQ==";
const SAMPLE_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

function offer(name: string, params: [string, string | true][] = []): ExtensionOffer {
  return { name, params: new Map(params) };
}

Deno.test("createClientHandshake: the request of RFC 6455 §4.1", () => {
  const { request, key } = createClientHandshake("ws://server.example.com/chat", {
    protocols: ["chat", "superchat"],
    origin: "http://example.com",
  });
  assert.equal(request.method, "GET");
  assert.equal(request.url, "http://server.example.com/chat");
  assert.equal(request.body, null);
  assert.equal(isValidKey(key), true);
  assert.deepEqual([...request.headers], [
    ["connection", "Upgrade"],
    ["host", "server.example.com"],
    ["origin", "http://example.com"],
    ["sec-websocket-key", key],
    ["sec-websocket-protocol", "chat, superchat"],
    ["sec-websocket-version", "13"],
    ["upgrade", "websocket"],
  ]);
});

Deno.test("createClientHandshake: a fresh key every time", () => {
  const a = createClientHandshake("ws://x/");
  const b = createClientHandshake("ws://x/");
  assert.notEqual(a.key, b.key);
});

Deno.test("createClientHandshake: ws(s) URLs map to http(s), Host keeps a non-default port", () => {
  const cases: [string | URL, string, string][] = [
    ["ws://example.com", "http://example.com/", "example.com"],
    ["wss://example.com/a?b=c", "https://example.com/a?b=c", "example.com"],
    ["ws://example.com:80/", "http://example.com/", "example.com"],
    ["wss://example.com:443/", "https://example.com/", "example.com"],
    ["ws://example.com:8080/", "http://example.com:8080/", "example.com:8080"],
    ["wss://example.com:80/", "https://example.com:80/", "example.com:80"],
    ["WS://EXAMPLE.com/Path", "http://example.com/Path", "example.com"],
    ["http://example.com/x", "http://example.com/x", "example.com"],
    ["https://[::1]:9000/", "https://[::1]:9000/", "[::1]:9000"],
    [new URL("wss://example.com/u"), "https://example.com/u", "example.com"],
    ["ws://user:secret@example.com/", "http://example.com/", "example.com"],
  ];
  for (const [url, expected, host] of cases) {
    const { request } = createClientHandshake(url);
    assert.equal(request.url, expected, String(url));
    assert.equal(request.headers.get("host"), host, String(url));
  }
  const input = new URL("ws://example.com/");
  createClientHandshake(input);
  assert.equal(input.href, "ws://example.com/", "the caller's URL is not changed");
});

Deno.test("createClientHandshake: bad URLs are SyntaxErrors (WHATWG WebSocket rules)", () => {
  for (
    const url of [
      "ftp://example.com/",
      "file:///tmp/x",
      "data:text/plain,x",
      "example.com/chat",
      "/chat",
      "",
      "ws://",
      "ws://example.com/#",
      "ws://example.com/#frag",
      "wss://example.com/?q#frag",
      new URL("ws://example.com/#x"),
    ]
  ) {
    assert.throws(() => createClientHandshake(url), SyntaxError, String(url));
  }
});

Deno.test("createClientHandshake: subprotocols must be unique tokens (SyntaxError)", () => {
  for (const protocols of [["chat room"], [""], ["a", "a"], ["a,b"], ["\u00e9"]]) {
    assert.throws(
      () => createClientHandshake("ws://x/", { protocols }),
      SyntaxError,
      JSON.stringify(protocols),
    );
  }
  // Case-different names are different subprotocols.
  const { request } = createClientHandshake("ws://x/", { protocols: ["a", "A"] });
  assert.equal(request.headers.get("sec-websocket-protocol"), "a, A");
  assert.equal(
    createClientHandshake("ws://x/", { protocols: [] }).request.headers.has(
      "sec-websocket-protocol",
    ),
    false,
  );
});

Deno.test("createClientHandshake: extension offers are formatted", () => {
  const { request } = createClientHandshake("ws://x/", {
    extensions: [
      offer("permessage-deflate", [["client_max_window_bits", true]]),
      offer("permessage-deflate"),
    ],
  });
  assert.equal(
    request.headers.get("sec-websocket-extensions"),
    "permessage-deflate; client_max_window_bits, permessage-deflate",
  );
  assert.equal(
    createClientHandshake("ws://x/", { extensions: [] }).request.headers.has(
      "sec-websocket-extensions",
    ),
    false,
  );
  assert.throws(
    () => createClientHandshake("ws://x/", { extensions: [offer("a b")] }),
    TypeError,
  );
});

Deno.test("createClientHandshake: custom headers, but not the handshake's", () => {
  const { request } = createClientHandshake("ws://x/", {
    headers: [["Authorization", "Bearer t"], ["Cookie", "a=1"], ["Origin", "https://o.example"]],
  });
  assert.equal(request.headers.get("authorization"), "Bearer t");
  assert.equal(request.headers.get("cookie"), "a=1");
  assert.equal(request.headers.get("origin"), "https://o.example");
  for (
    const name of [
      "Host",
      "Upgrade",
      "Connection",
      "Sec-WebSocket-Key",
      "Sec-WebSocket-Version",
      "Sec-WebSocket-Protocol",
      "Sec-WebSocket-Extensions",
      "sec-websocket-accept",
      "Sec-WebSocket-Anything",
    ]
  ) {
    assert.throws(
      () => createClientHandshake("ws://x/", { headers: { [name]: "x" } }),
      TypeError,
      name,
    );
  }
  assert.throws(
    () =>
      createClientHandshake("ws://x/", {
        origin: "https://a.example",
        headers: { origin: "https://b.example" },
      }),
    TypeError,
  );
});

/** A valid 101 for `SAMPLE_KEY`, with some headers changed (`null` removes one). */
function response(
  changes: Record<string, string | null> = {},
  status = 101,
): { status: number; headers: Headers } {
  const headers = new Headers({
    "Upgrade": "websocket",
    "Connection": "Upgrade",
    "Sec-WebSocket-Accept": SAMPLE_ACCEPT,
  });
  for (const [name, value] of Object.entries(changes)) {
    if (value === null) headers.delete(name);
    else headers.set(name, value);
  }
  return { status, headers };
}

async function failure(
  result: Promise<unknown>,
  closeCode: number,
  message: RegExp,
): Promise<void> {
  await assert.rejects(result, (error: unknown) => {
    assert.ok(error instanceof WebSocketError, String(error));
    assert.equal(error.closeCode, closeCode, error.message);
    assert.match(error.message, /^Handshake failed: /);
    assert.match(error.message, message);
    return true;
  });
}

Deno.test("verifyServerHandshake: the sample response of RFC 6455 §1.3", async () => {
  const result = await verifyServerHandshake(response({ "Sec-WebSocket-Protocol": "chat" }), {
    key: SAMPLE_KEY,
    protocols: ["chat", "superchat"],
  });
  assert.deepEqual(result, { protocol: "chat", extensions: [] });
});

Deno.test("verifyServerHandshake: tolerant where the RFC is", async () => {
  const expected = { key: SAMPLE_KEY };
  await verifyServerHandshake(
    response({ "Upgrade": "WebSocket", "Connection": "keep-alive, upgrade" }),
    expected,
  );
  // Works on a Response too (where the runtime can build a 101).
  await verifyServerHandshake(
    new Response(null, { status: 101, headers: response().headers }),
    expected,
  );
});

Deno.test("verifyServerHandshake: each failure says what was wrong, with 1002", async () => {
  const expected: ExpectedHandshake = { key: SAMPLE_KEY };
  const cases: [{ status: number; headers: Headers }, RegExp][] = [
    [response({}, 200), /server answered 200 instead of 101 Switching Protocols$/],
    [response({}, 403), /server answered 403/],
    [response({}, 302), /server answered 302/],
    [
      response({ "Sec-WebSocket-Version": "13, 8" }, 426),
      /answered 426 .*it speaks WebSocket versions "13, 8"/,
    ],
    [response({ "Upgrade": null }), /response has no Upgrade header/],
    [response({ "Upgrade": "h2c" }), /Upgrade header is "h2c", not websocket/],
    [response({ "Upgrade": "websocket, h2c" }), /not websocket/],
    [response({ "Connection": null }), /response has no Connection header/],
    [response({ "Connection": "close" }), /Connection header "close" does not list upgrade/],
    [response({ "Sec-WebSocket-Accept": null }), /response has no Sec-WebSocket-Accept header/],
    [
      response({ "Sec-WebSocket-Accept": "AAAAAAAAAAAAAAAAAAAAAAAAAAA=" }),
      /Sec-WebSocket-Accept "AAAA.*" does not match the Sec-WebSocket-Key sent/,
    ],
    [response({ "Sec-WebSocket-Accept": `${SAMPLE_ACCEPT}, ${SAMPLE_ACCEPT}` }), /does not match/],
    [
      response({ "Sec-WebSocket-Protocol": "chat" }),
      /server chose subprotocol "chat", but none was offered/,
    ],
  ];
  for (const [value, message] of cases) {
    await failure(verifyServerHandshake(value, expected), 1002, message);
  }

  const withProtocols = { key: SAMPLE_KEY, protocols: ["chat", "superchat"] };
  for (
    const [protocol, message] of [
      ["other", /server chose subprotocol "other", which was not offered/],
      ["Chat", /"Chat", which was not offered/],
      ["chat, superchat", /"chat, superchat" is not a single subprotocol name/],
      ["", /"" is not a single subprotocol name/],
    ] as const
  ) {
    await failure(
      verifyServerHandshake(response({ "Sec-WebSocket-Protocol": protocol }), withProtocols),
      1002,
      message,
    );
  }
  // A key for another nonce fails, too.
  await failure(
    verifyServerHandshake(response(), { key: "AAAAAAAAAAAAAAAAAAAAAA==" }),
    1002,
    /does not match/,
  );
});

Deno.test("verifyServerHandshake: no subprotocol chosen is fine even when some were offered", async () => {
  const result = await verifyServerHandshake(response(), { key: SAMPLE_KEY, protocols: ["chat"] });
  assert.equal(result.protocol, "");
});

Deno.test("verifyServerHandshake: extensions must have been offered, else 1010", async () => {
  const expected = {
    key: SAMPLE_KEY,
    extensions: [offer("permessage-deflate", [["client_max_window_bits", true]]), offer("x-b")],
  };
  const result = await verifyServerHandshake(
    response({ "Sec-WebSocket-Extensions": "x-b, Permessage-Deflate; server_max_window_bits=10" }),
    expected,
  );
  assert.deepEqual(
    result.extensions.map((e) => [e.name, [...e.params]]),
    [["x-b", []], ["Permessage-Deflate", [["server_max_window_bits", "10"]]]],
  );
  for (
    const [header, message] of [
      ["x-other", /server accepted extension "x-other", which was not offered/],
      ["x-b, x-b", /server accepted extension "x-b" more than once/],
      ["x-b; a=", /Invalid Sec-WebSocket-Extensions header: expected a value/],
      ["", /no extension listed/],
    ] as const
  ) {
    await failure(
      verifyServerHandshake(response({ "Sec-WebSocket-Extensions": header }), expected),
      1010,
      message,
    );
  }
  await failure(
    verifyServerHandshake(response({ "Sec-WebSocket-Extensions": "x-b" }), { key: SAMPLE_KEY }),
    1010,
    /"x-b", which was not offered/,
  );
});

Deno.test("client and server handshakes agree", async () => {
  const client = createClientHandshake("wss://example.com/live", {
    protocols: ["v2", "v1"],
    extensions: [offer("x-a"), offer("x-b", [["level", "3"]])],
    origin: "https://example.com",
  });
  const server = negotiateServerHandshake(client.request, {
    protocols: ["v1", "v2"],
    origin: ["https://example.com"],
    extensions: [{ name: "x-b", negotiate: (offers) => offers[0] }],
  });
  assert.ok(server.ok);
  assert.equal(server.headers.get("sec-websocket-accept"), computeAcceptKey(client.key));
  const result = await verifyServerHandshake(server, {
    key: client.key,
    protocols: ["v2", "v1"],
    extensions: [offer("x-a"), offer("x-b", [["level", "3"]])],
  });
  assert.equal(result.protocol, "v1");
  assert.deepEqual(result.extensions.map((e) => [e.name, [...e.params]]), [["x-b", [[
    "level",
    "3",
  ]]]]);
});
