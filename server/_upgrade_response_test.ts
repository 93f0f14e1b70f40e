import assert from "node:assert/strict";
import { writeResponseHead } from "../http/http_head.ts";
import {
  _acceptedHeaders,
  type _HandshakeAnswer,
  _negotiate,
} from "../handshake/server_handshake.ts";
import { _completeUpgrade } from "./_upgrade_handoff.ts";
import { _UpgradeResponse, _upgradeResponse } from "./_upgrade_response.ts";
import type { _UpgradeSlot } from "./_upgrade_slot.ts";

const KEY = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

function answer(changes: Partial<_HandshakeAnswer> = {}): _HandshakeAnswer {
  return { ok: true, accept: ACCEPT, protocol: "", extensions: [], extra: undefined, ...changes };
}

const ANSWERS: _HandshakeAnswer[] = [
  answer(),
  answer({ protocol: "chat" }),
  answer({ extensions: [{ name: "permessage-deflate", params: new Map([["x", true]]) }] }),
  answer({
    protocol: "superchat",
    extensions: [{
      name: "permessage-deflate",
      params: new Map([["server_max_window_bits", "10"]]),
    }],
  }),
];

/** What `_completeUpgrade` writes for `returned`, the handler's answer to an upgrade whose response is `upgrade`. */
async function written(upgrade: Response, returned: Response = upgrade): Promise<string> {
  let bytes: Uint8Array | undefined;
  const slot: _UpgradeSlot = {
    duplex: new TransformStream<Uint8Array, Uint8Array>(),
    leftover: new Uint8Array(0),
    httpVersion: "HTTP/1.1",
    upgrade: { response: upgrade, resolve() {}, reject() {}, protocol: "", extensions: "" },
    connected() {},
    disconnected() {},
  };
  assert.equal(
    await _completeUpgrade(slot, returned, (b) => {
      bytes = b;
      return Promise.resolve();
    }),
    true,
  );
  return new TextDecoder().decode(bytes);
}

Deno.test("_UpgradeResponse: a 101 whatever the runtime allows", () => {
  const response = new _UpgradeResponse(answer());
  assert.ok(response instanceof Response);
  assert.equal(response.status, 101);
  assert.equal(response.statusText, "Switching Protocols");
  assert.equal(response.ok, false);
  assert.equal(response.body, null);
});

Deno.test("_UpgradeResponse: an untouched response writes the head its headers would give", async () => {
  for (const a of ANSWERS) {
    const expected = new TextDecoder().decode(
      writeResponseHead(101, "Switching Protocols", _acceptedHeaders(a)),
    );
    const response = new _UpgradeResponse(a);
    assert.equal(new TextDecoder().decode(_UpgradeResponse.untouchedHead(response)), expected);
    assert.equal(await written(response), expected);
  }
});

Deno.test("_UpgradeResponse: heads made one after another keep their bytes, past any slab", () => {
  // Enough heads to fill the shared slab several times, all kept: none may
  // be written over by a later one.
  const heads: [Uint8Array, string][] = [];
  for (let i = 0; i < 300; i++) {
    const a = ANSWERS[i % ANSWERS.length]!;
    const accept = String(i).padStart(27, "A") + "=";
    const response = new _UpgradeResponse({ ...a, accept });
    const expected = new TextDecoder().decode(
      writeResponseHead(101, "Switching Protocols", _acceptedHeaders({ ...a, accept })),
    );
    heads.push([_UpgradeResponse.untouchedHead(response)!, expected]);
  }
  for (const [bytes, expected] of heads) assert.equal(new TextDecoder().decode(bytes), expected);
  // A subprotocol chosen by a callback is a token, but a head that is not
  // ASCII still comes out as Latin-1.
  const cafe = answer({ protocol: "caf\u00e9" });
  const latin1 = _UpgradeResponse.untouchedHead(new _UpgradeResponse(cafe))!;
  assert.ok(latin1.includes(0xe9));
  assert.deepEqual(
    latin1,
    writeResponseHead(101, "Switching Protocols", _acceptedHeaders(cafe)),
  );
});

Deno.test("_UpgradeResponse: headers are made when read, and what the handler adds is sent", async () => {
  const response = new _UpgradeResponse(answer({ protocol: "chat" }));
  assert.equal(response.headers.get("sec-websocket-accept"), ACCEPT);
  assert.equal(response.headers.get("sec-websocket-protocol"), "chat");
  assert.equal(response.headers.get("upgrade"), "websocket");
  assert.equal(response.headers.get("connection"), "Upgrade");
  assert.equal(_UpgradeResponse.untouchedHead(response), undefined);
  response.headers.append("set-cookie", "a=1");
  const head = await written(response);
  assert.match(head, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
  assert.match(head, /\r\nSet-Cookie: a=1\r\n/);
  assert.match(head, /\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/);
  assert.match(head, /\r\nSec-WebSocket-Protocol: chat\r\n/);
});

Deno.test("_UpgradeResponse: options.headers go through the headers, and a new 101 keeps the handshake's", async () => {
  const request = new Request("http://example.com/", {
    headers: {
      host: "example.com",
      upgrade: "websocket",
      connection: "Upgrade",
      "sec-websocket-key": KEY,
      "sec-websocket-version": "13",
    },
  });
  const result = _negotiate(request, { headers: { "x-extra": "1" } }, {});
  assert.ok(result.ok);
  const response = _upgradeResponse(result) as _UpgradeResponse;
  assert.equal(_UpgradeResponse.untouchedHead(response), undefined);
  assert.match(await written(response), /\r\nX-Extra: 1\r\n/);

  const plain = _upgradeResponse(answer());
  const own = new Response(null, { status: 101, headers: { "set-cookie": "b=2" } });
  const head = await written(plain, own);
  assert.match(head, /\r\nSet-Cookie: b=2\r\n/);
  assert.match(head, /\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/);
});

Deno.test("_upgradeResponse: a refusal is the handshake's error response", async () => {
  const result = _negotiate(new Request("http://example.com/"), {}, {});
  assert.equal(result.ok, false);
  const response = _upgradeResponse(result);
  assert.equal(response.status, 400);
  assert.match(await response.text(), /missing Host header/);
});
