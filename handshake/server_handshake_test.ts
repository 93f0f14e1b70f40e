import assert from "node:assert/strict";
import type { ExtensionOffer } from "./extension_header.ts";
import {
  handshakeResponse,
  negotiateServerHandshake,
  type ServerExtension,
  type ServerHandshake,
  type ServerHandshakeAccepted,
  type ServerHandshakeOptions,
  type ServerHandshakeRejected,
} from "./server_handshake.ts";

const SAMPLE_KEY = "dGhlIHNhbXBsZSBub25jZQ==";
const SAMPLE_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/** A valid handshake request with some headers changed (`null` removes one). */
function handshake(
  changes: Record<string, string | null> = {},
  init: { method?: string; url?: string } = {},
): Request {
  const headers = new Headers({
    "Host": "server.example.com",
    "Upgrade": "websocket",
    "Connection": "Upgrade",
    "Sec-WebSocket-Key": SAMPLE_KEY,
    "Sec-WebSocket-Version": "13",
  });
  for (const [name, value] of Object.entries(changes)) {
    if (value === null) headers.delete(name);
    else headers.set(name, value);
  }
  return new Request(init.url ?? "http://server.example.com/chat", {
    method: init.method ?? "GET",
    headers,
  });
}

function accepted(result: ServerHandshake): ServerHandshakeAccepted {
  assert.ok(result.ok, result.ok ? "" : `rejected ${result.status}: ${result.body}`);
  return result;
}

function rejected(result: ServerHandshake, status: number, body: RegExp): ServerHandshakeRejected {
  assert.equal(result.ok, false, "expected a refusal");
  assert.ok(!result.ok);
  assert.equal(result.status, status, result.body);
  assert.match(result.body, body);
  assert.ok(!result.body.includes("\n"), "one line");
  assert.equal(result.headers.get("content-type"), "text/plain; charset=utf-8");
  return result;
}

function offer(name: string, params: [string, string | true][] = []): ExtensionOffer {
  return { name, params: new Map(params) };
}

Deno.test("negotiateServerHandshake: the sample handshake of RFC 6455 §1.3", () => {
  const request = handshake({
    "Origin": "http://example.com",
    "Sec-WebSocket-Protocol": "chat, superchat",
  });
  const result = accepted(
    negotiateServerHandshake(request, { protocols: ["chat"] }, { httpVersion: "HTTP/1.1" }),
  );
  assert.equal(result.status, 101);
  assert.equal(result.protocol, "chat");
  assert.deepEqual(result.extensions, []);
  assert.deepEqual([...result.headers], [
    ["connection", "Upgrade"],
    ["sec-websocket-accept", SAMPLE_ACCEPT],
    ["sec-websocket-protocol", "chat"],
    ["upgrade", "websocket"],
  ]);
});

Deno.test("negotiateServerHandshake: tolerant of case and lists where the RFC allows", () => {
  const result = accepted(
    negotiateServerHandshake(
      handshake({ "Upgrade": "WebSocket, foo/2", "Connection": "keep-alive, UPGRADE" }),
      {},
      { httpVersion: "HTTP/1.1" },
    ),
  );
  assert.equal(result.protocol, "");
  assert.equal(result.headers.has("sec-websocket-protocol"), false);
  assert.equal(result.headers.has("sec-websocket-extensions"), false);
  // Later HTTP versions and a missing context are fine.
  accepted(negotiateServerHandshake(handshake(), {}, { httpVersion: "HTTP/1.2" }));
  accepted(negotiateServerHandshake(handshake(), {}, { httpVersion: "HTTP/2" }));
  accepted(negotiateServerHandshake(handshake()));
  accepted(negotiateServerHandshake(handshake({ "Content-Length": "0" })));
});

Deno.test("negotiateServerHandshake: each malformed request gets 400", () => {
  const cases: [Request, RegExp, ServerHandshakeOptions?][] = [
    [handshake({}, { method: "POST" }), /method is POST, not GET/],
    [handshake({}, { method: "HEAD" }), /method is HEAD, not GET/],
    [handshake({ "Host": null }), /missing Host header/],
    [handshake({ "Host": "" }), /missing Host header/],
    [handshake({ "Content-Length": "5" }), /cannot have a body/],
    [handshake({ "Transfer-Encoding": "chunked" }), /cannot have a body/],
    [handshake({ "Upgrade": null }), /missing Upgrade header/],
    [handshake({ "Upgrade": "h2c" }), /Upgrade header "h2c" does not list websocket/],
    [handshake({ "Upgrade": "websocket/13" }), /does not list websocket/],
    [handshake({ "Connection": null }), /missing Connection header/],
    [handshake({ "Connection": "keep-alive" }), /Connection header "keep-alive" does not list/],
    [handshake({ "Connection": "upgraded" }), /does not list upgrade/],
    [handshake({ "Sec-WebSocket-Key": null }), /missing Sec-WebSocket-Key header/],
    [handshake({ "Sec-WebSocket-Key": "c2hvcnQ=" }), /"c2hvcnQ=" is not base64 of 16 bytes/],
    [handshake({ "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ" }), /not base64 of 16 bytes/],
    [handshake({ "Sec-WebSocket-Key": `${SAMPLE_KEY}, ${SAMPLE_KEY}` }), /not base64/],
    [handshake({ "Sec-WebSocket-Protocol": "chat room" }), /"chat room" is not a token/],
    [handshake({ "Sec-WebSocket-Protocol": "" }), /no subprotocol listed/],
  ];
  for (const [request, body, options] of cases) {
    rejected(negotiateServerHandshake(request, options), 400, body);
  }
});

Deno.test("negotiateServerHandshake: HTTP versions below 1.1 get 400", () => {
  for (const httpVersion of ["HTTP/1.0", "HTTP/0.9", "1.0", "HTTP/1", "nonsense", ""]) {
    rejected(
      negotiateServerHandshake(handshake(), {}, { httpVersion }),
      400,
      /HTTP\/1.1 or later is needed/,
    );
  }
});

Deno.test("negotiateServerHandshake: a version other than 13 gets 426 with the supported one", () => {
  for (const version of [null, "8", "12", "14", "13, 8", "", "013"]) {
    const result = rejected(
      negotiateServerHandshake(handshake({ "Sec-WebSocket-Version": version })),
      426,
      version === null ? /missing Sec-WebSocket-Version header/ : /Unsupported WebSocket version/,
    );
    assert.equal(result.headers.get("sec-websocket-version"), "13");
    assert.equal(result.headers.get("upgrade"), "websocket");
    assert.equal(result.headers.get("connection"), "Upgrade");
  }
  // The version is checked before the key: older drafts send no key.
  rejected(
    negotiateServerHandshake(
      handshake({ "Sec-WebSocket-Version": "8", "Sec-WebSocket-Key": null }),
    ),
    426,
    /"8"/,
  );
});

Deno.test("negotiateServerHandshake: origin policy gets 403", () => {
  const list = { origin: ["https://app.example.com", "HTTPS://Other.Example"] };
  accepted(
    negotiateServerHandshake(handshake({ "Origin": "https://app.example.com" }), list),
  );
  accepted(
    negotiateServerHandshake(handshake({ "Origin": "https://APP.example.com" }), list),
  );
  accepted(negotiateServerHandshake(handshake({ "Origin": "https://other.example" }), list));
  rejected(
    negotiateServerHandshake(handshake({ "Origin": "https://evil.example" }), list),
    403,
    /^Origin not allowed: "https:\/\/evil.example"$/,
  );
  rejected(
    negotiateServerHandshake(handshake({ "Origin": "null" }), list),
    403,
    /"null"/,
  );
  rejected(negotiateServerHandshake(handshake(), list), 403, /no Origin header/);
  rejected(
    negotiateServerHandshake(handshake({ "Origin": "https://a.example" }), { origin: [] }),
    403,
    /not allowed/,
  );

  const seen: (string | null)[] = [];
  const policy = {
    origin: (origin: string | null) => {
      seen.push(origin);
      return origin === null || origin.endsWith(".example.com");
    },
  };
  accepted(negotiateServerHandshake(handshake(), policy));
  accepted(
    negotiateServerHandshake(handshake({ "Origin": "https://A.Example.com" }), policy),
  );
  rejected(
    negotiateServerHandshake(handshake({ "Origin": "https://example.org" }), policy),
    403,
    /example.org/,
  );
  assert.deepEqual(seen, [null, "https://a.example.com", "https://example.org"]);

  // No policy: everything goes.
  accepted(negotiateServerHandshake(handshake({ "Origin": "https://evil.example" })));
});

Deno.test("negotiateServerHandshake: a malformed request is refused before the origin is asked", () => {
  let asked = false;
  const origin = () => (asked = true);
  rejected(
    negotiateServerHandshake(handshake({ "Sec-WebSocket-Key": null }), { origin }),
    400,
    /Sec-WebSocket-Key/,
  );
  assert.equal(asked, false);
});

Deno.test("negotiateServerHandshake: subprotocols from a list, by server preference", async () => {
  const request = () => handshake({ "Sec-WebSocket-Protocol": "a, b, c" });
  const choose = (protocols: ServerHandshakeOptions["protocols"]) =>
    accepted(negotiateServerHandshake(request(), { protocols })).protocol;
  assert.equal(await choose(["c", "b"]), "c");
  assert.equal(await choose(["x", "b"]), "b");
  assert.equal(await choose(["x"]), "");
  assert.equal(await choose(["A"]), ""); // case-sensitive
  assert.equal(await choose([]), "");
  assert.equal(await choose(undefined), "");
  const none = accepted(negotiateServerHandshake(handshake(), { protocols: ["a"] }));
  assert.equal(none.protocol, "");
  assert.equal(none.headers.has("sec-websocket-protocol"), false);
});

Deno.test("negotiateServerHandshake: subprotocols from a function, never one not offered", () => {
  const calls: string[][] = [];
  const pick = (chosen: string | undefined) => (offered: string[]) => {
    calls.push(offered);
    return chosen;
  };
  const request = () => handshake({ "Sec-WebSocket-Protocol": "a,b" });
  const result = accepted(negotiateServerHandshake(request(), { protocols: pick("b") }));
  assert.equal(result.protocol, "b");
  assert.equal(result.headers.get("sec-websocket-protocol"), "b");
  assert.equal(
    accepted(negotiateServerHandshake(request(), { protocols: pick(undefined) })).protocol,
    "",
  );
  assert.equal(
    accepted(negotiateServerHandshake(request(), { protocols: pick("") })).protocol,
    "",
  );
  assert.deepEqual(calls, [["a", "b"], ["a", "b"], ["a", "b"]]);
  assert.throws(() => negotiateServerHandshake(request(), { protocols: pick("c") }), TypeError);
  // Not called when nothing was offered.
  calls.length = 0;
  accepted(negotiateServerHandshake(handshake(), { protocols: pick("c") }));
  assert.deepEqual(calls, []);
});

Deno.test("negotiateServerHandshake: extensions go to their negotiator, grouped and in order", () => {
  const received: [string, [string, string | true][]][][] = [];
  const negotiator = (name: string, answer?: ExtensionOffer): ServerExtension => ({
    name,
    negotiate(offers) {
      received.push(offers.map((o) => [o.name, [...o.params]]));
      return answer;
    },
  });
  const request = handshake({
    "Sec-WebSocket-Extensions":
      "x-b; q=1, permessage-deflate; client_max_window_bits, x-unknown, Permessage-Deflate",
  });
  const result = accepted(
    negotiateServerHandshake(request, {
      extensions: [
        negotiator(
          "permessage-deflate",
          offer("permessage-deflate", [["server_max_window_bits", "10"]]),
        ),
        negotiator("x-b", offer("x-b")),
        negotiator("x-declined"),
      ],
    }),
  );
  assert.deepEqual(received, [
    [["x-b", [["q", "1"]]]],
    [["permessage-deflate", [["client_max_window_bits", true]]], ["Permessage-Deflate", []]],
  ]);
  assert.deepEqual(result.extensions.map((e) => e.name), ["x-b", "permessage-deflate"]);
  assert.equal(
    result.headers.get("sec-websocket-extensions"),
    "x-b, permessage-deflate; server_max_window_bits=10",
  );
});

Deno.test("negotiateServerHandshake: malformed or declined extensions are left out, the handshake goes on", () => {
  let called = false;
  const extensions: ServerExtension[] = [{
    name: "foo",
    negotiate: (offers) => {
      called = true;
      return offers[0];
    },
  }];
  for (const header of ["foo; a=", 'foo; a="1 0"', ";", "foo bar"]) {
    const result = accepted(
      negotiateServerHandshake(handshake({ "Sec-WebSocket-Extensions": header }), {
        extensions,
      }),
    );
    assert.deepEqual(result.extensions, []);
    assert.equal(result.headers.has("sec-websocket-extensions"), false);
  }
  assert.equal(called, false);
  const declined = accepted(
    negotiateServerHandshake(handshake({ "Sec-WebSocket-Extensions": "foo" }), {
      extensions: [{ name: "foo", negotiate: () => undefined }],
    }),
  );
  assert.deepEqual(declined.extensions, []);
  // No negotiators: offers are ignored.
  assert.deepEqual(
    accepted(negotiateServerHandshake(handshake({ "Sec-WebSocket-Extensions": "foo" })))
      .extensions,
    [],
  );
});

Deno.test("negotiateServerHandshake: extra headers go on the 101 only", () => {
  const options = { headers: { "Set-Cookie": "session=1", "X-Server": "edgews" } };
  const ok = accepted(negotiateServerHandshake(handshake(), options));
  assert.equal(ok.headers.get("set-cookie"), "session=1");
  assert.equal(ok.headers.get("x-server"), "edgews");
  assert.equal(ok.headers.get("sec-websocket-accept"), SAMPLE_ACCEPT);
  const refused = rejected(
    negotiateServerHandshake(handshake({ "Upgrade": null }), options),
    400,
    /Upgrade/,
  );
  assert.equal(refused.headers.has("set-cookie"), false);
});

Deno.test("negotiateServerHandshake: misuse of the options is a TypeError, whatever the request", () => {
  for (
    const options of [
      { headers: { "Upgrade": "h2c" } },
      { headers: { "connection": "close" } },
      { headers: { "Sec-WebSocket-Accept": "x" } },
      { headers: { "Sec-WebSocket-Protocol": "x" } },
      {
        extensions: [{ name: "a", negotiate: () => undefined }, {
          name: "A",
          negotiate: () => undefined,
        }],
      },
    ] satisfies ServerHandshakeOptions[]
  ) {
    assert.throws(() => negotiateServerHandshake(handshake(), options), TypeError);
    assert.throws(() => negotiateServerHandshake(handshake({ "Host": null }), options), TypeError);
  }
  const request = () => handshake({ "Sec-WebSocket-Extensions": "foo" });
  assert.throws(() =>
    negotiateServerHandshake(request(), {
      extensions: [{ name: "foo", negotiate: () => offer("bar") }],
    }), TypeError);
  assert.throws(() =>
    negotiateServerHandshake(request(), {
      extensions: [{ name: "foo", negotiate: () => offer("foo", [["a", "not a token"]]) }],
    }), TypeError);
});

Deno.test("handshakeResponse: 101 with the headers, or the error as text", async () => {
  const ok = negotiateServerHandshake(handshake({ "Sec-WebSocket-Protocol": "chat" }), {
    protocols: ["chat"],
  });
  const response = handshakeResponse(ok);
  assert.equal(response.status, 101);
  assert.equal(response.headers.get("sec-websocket-accept"), SAMPLE_ACCEPT);
  assert.equal(response.headers.get("sec-websocket-protocol"), "chat");
  assert.equal(response.body, null);

  const refused = negotiateServerHandshake(handshake({ "Sec-WebSocket-Version": "8" }));
  const error = handshakeResponse(refused);
  assert.equal(error.status, 426);
  assert.equal(error.headers.get("sec-websocket-version"), "13");
  assert.equal(error.headers.get("content-type"), "text/plain; charset=utf-8");
  assert.equal(await error.text(), 'Unsupported WebSocket version: "8" (this server speaks 13)');
});

Deno.test("negotiateServerHandshake: the checks, in order (each row also fails every check after it)", () => {
  // Each request breaks its own rule and every later one: the refusal must
  // come from its own. [what breaks, request, context, status, body].
  const all = {
    "Host": null,
    "Content-Length": "5",
    "Upgrade": "h2c",
    "Connection": "keep-alive",
    "Sec-WebSocket-Version": "8",
    "Sec-WebSocket-Key": null,
    "Sec-WebSocket-Protocol": "chat room",
  };
  const from = (skip: number) =>
    Object.fromEntries(Object.entries(all).slice(skip)) as Record<string, string | null>;
  const rows: [string, Request, string | undefined, number, RegExp][] = [
    [
      "1. method (§4.2.1 item 1)",
      handshake(from(0), { method: "POST" }),
      "HTTP/1.0",
      400,
      /method/,
    ],
    ["2. HTTP version (§4.2.1 item 1)", handshake(from(0)), "HTTP/1.0", 400, /HTTP\/1.1/],
    ["3. Host (§4.2.1 item 2)", handshake(from(0)), undefined, 400, /Host/],
    ["4. no body", handshake(from(1)), undefined, 400, /body/],
    ["5. Upgrade (§4.2.1 item 3)", handshake(from(2)), undefined, 400, /Upgrade/],
    ["6. Connection (§4.2.1 item 4)", handshake(from(3)), undefined, 400, /Connection/],
    ["7. version 13 (§4.2.2, §4.4)", handshake(from(4)), undefined, 426, /version/i],
    ["8. Sec-WebSocket-Key (§4.2.1 item 5)", handshake(from(5)), undefined, 400, /Key/],
    [
      "9. origin (§10.2)",
      handshake({ "Sec-WebSocket-Protocol": "chat room" }),
      undefined,
      403,
      /rigin/,
    ],
  ];
  for (const [what, request, httpVersion, status, body] of rows) {
    const result = negotiateServerHandshake(
      request,
      { origin: () => false },
      httpVersion === undefined ? {} : { httpVersion },
    );
    assert.equal(result.ok, false, what);
    assert.ok(!result.ok);
    assert.equal(result.status, status, `${what}: ${result.body}`);
    assert.match(result.body, body, what);
  }
  // 10. subprotocol list syntax (§4.1 item 10), last: only once the origin is allowed.
  rejected(
    negotiateServerHandshake(handshake({ "Sec-WebSocket-Protocol": "chat room" })),
    400,
    /token/,
  );
});
