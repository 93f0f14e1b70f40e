import assert from "node:assert/strict";
import {
  _getUpgradeSlot,
  _ServerRequest,
  _setUpgradeSlot,
  type _UpgradeSlot,
} from "./_upgrade_slot.ts";

function slot(version = "HTTP/1.1"): _UpgradeSlot {
  return {
    duplex: { readable: new ReadableStream(), writable: new WritableStream() },
    leftover: new Uint8Array(0),
    httpVersion: version,
    connected() {},
    disconnected() {},
  };
}

Deno.test("_getUpgradeSlot: a server's request carries its slot; any other request only one set for it", () => {
  const first = slot();
  const request = new _ServerRequest("http://x/", { method: "GET" }, first);
  assert.equal(_getUpgradeSlot(request), first);
  const second = slot("HTTP/1.0");
  _ServerRequest.setSlot(request, second);
  assert.equal(_getUpgradeSlot(request), second);

  const plain = new Request("http://x/");
  assert.equal(_getUpgradeSlot(plain), undefined, "Deno.serve's requests have none");
  const third = slot();
  _setUpgradeSlot(plain, third);
  assert.equal(_getUpgradeSlot(plain), third);
  assert.equal(_getUpgradeSlot(new Request(plain)), undefined, "a copy is another request");
});

Deno.test("_ServerRequest.signal: aborts with the first reason, whether read before or after", () => {
  const early = new _ServerRequest("http://x/", {}, slot());
  const signal = early.signal;
  assert.equal(signal.aborted, false);
  assert.equal(early.signal, signal, "one signal per request");
  const gone = new Error("client gone");
  _ServerRequest.abort(early, gone);
  _ServerRequest.abort(early, new Error("later"));
  assert.equal(signal.aborted, true);
  assert.equal(signal.reason, gone);

  const late = new _ServerRequest("http://x/", {}, slot());
  _ServerRequest.abort(late, gone);
  _ServerRequest.abort(late, new Error("later"));
  assert.equal(late.signal.aborted, true, "made on first read, already aborted");
  assert.equal(late.signal.reason, gone);
});

Deno.test("_ServerRequest: still a Request (method, headers, body)", async () => {
  const request = new _ServerRequest("http://x/path", {
    method: "POST",
    headers: { "x-a": "1" },
    body: "hi",
  }, slot());
  assert.ok(request instanceof Request);
  assert.equal(request.method, "POST");
  assert.equal(request.headers.get("x-a"), "1");
  assert.equal(await request.text(), "hi");
});
