import assert from "node:assert/strict";
import { negotiateServerHandshake } from "../handshake/server_handshake.ts";
import { _upgradeHeadHeaders, _upgradeResponse } from "./_upgrade_response.ts";

function upgradeRequest(headers: HeadersInit = {}): Request {
  return new Request("http://example.test/", {
    headers: {
      host: "example.test",
      upgrade: "websocket",
      connection: "Upgrade",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      "sec-websocket-version": "13",
      ...headers,
    },
  });
}

Deno.test("_upgradeResponse: a 101 with the handshake's headers, or the refusal with its body", async () => {
  const accepted = _upgradeResponse(
    negotiateServerHandshake(upgradeRequest({ "sec-websocket-protocol": "chat" }), {
      protocols: ["chat"],
      headers: { "set-cookie": "a=1" },
    }),
  );
  assert.equal(accepted.status, 101);
  assert.equal(accepted.headers.get("sec-websocket-accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  assert.equal(accepted.headers.get("sec-websocket-protocol"), "chat");
  assert.equal(accepted.headers.get("set-cookie"), "a=1");
  const refused = _upgradeResponse(negotiateServerHandshake(upgradeRequest({ upgrade: "h2c" })));
  assert.equal(refused.status, 400);
  assert.match(await refused.text(), /Upgrade/);
});

Deno.test("_upgradeResponse: where Response refuses status 101 (Node), a stand-in that reads 101", () => {
  const RealResponse = globalThis.Response;
  // Node's Response: any status below 200 is a RangeError.
  globalThis.Response = class extends RealResponse {
    constructor(body?: BodyInit | null, init?: ResponseInit) {
      if (init?.status !== undefined && init.status < 200) {
        throw new RangeError(`init["status"] must be in the range of 200 to 599, inclusive`);
      }
      super(body, init);
    }
  };
  try {
    const response = _upgradeResponse(negotiateServerHandshake(upgradeRequest()));
    assert.equal(response.status, 101);
    assert.equal(response.statusText, "Switching Protocols");
    assert.equal(response.ok, false);
    assert.equal(response.body, null);
    assert.equal(response.headers.get("upgrade"), "websocket");
    assert.equal(response.headers.get("sec-websocket-accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  } finally {
    globalThis.Response = RealResponse;
  }
});

Deno.test("_upgradeHeadHeaders: the handshake's own headers from the upgrade, the rest from the handler's 101", () => {
  const upgrade = _upgradeResponse(
    negotiateServerHandshake(upgradeRequest(), { headers: { "set-cookie": "from=options" } }),
  );
  assert.equal(_upgradeHeadHeaders(upgrade, upgrade), upgrade.headers, "the same response as is");
  const returned = new Response(null, {
    status: 101,
    headers: [
      ["set-cookie", "a=1"],
      ["set-cookie", "b=2"],
      ["x-extra", "yes"],
      ["sec-websocket-accept", "forged"],
      ["upgrade", "h2c"],
    ],
  });
  const headers = _upgradeHeadHeaders(upgrade, returned);
  assert.equal(headers.get("sec-websocket-accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  assert.equal(headers.get("upgrade"), "websocket");
  assert.equal(headers.get("connection"), "Upgrade");
  assert.deepEqual(headers.getSetCookie(), ["a=1", "b=2"], "the handler's 101 replaces options");
  assert.equal(headers.get("x-extra"), "yes");
});
