import assert from "node:assert/strict";
import { WebSocketError } from "../errors/websocket_error.ts";
import { _abandon, _clientExtensions, _negotiatedCompression } from "./_compression_option.ts";

Deno.test("_clientExtensions: clients offer permessage-deflate unless told not to", () => {
  const byDefault = _clientExtensions(undefined);
  assert.equal(byDefault?.length, 1);
  assert.equal(byDefault![0]!.name, "permessage-deflate");
  assert.deepEqual(_clientExtensions(true), byDefault);
  assert.equal(_clientExtensions(false), undefined);
  const tuned = _clientExtensions({ clientNoContextTakeover: true });
  assert.equal(tuned![0]!.params.get("client_no_context_takeover"), true);
});

Deno.test("_negotiatedCompression: a codec for the agreed extension, none without one", () => {
  assert.equal(_negotiatedCompression("", "client", undefined), undefined);
  const client = _negotiatedCompression("permessage-deflate", "client", undefined);
  assert.ok(client !== undefined);
  assert.equal(client.params.serverNoContextTakeover, false);
  const withSettings = _negotiatedCompression(
    "permessage-deflate; server_no_context_takeover",
    "client",
    {},
  );
  assert.equal(withSettings?.params.serverNoContextTakeover, true);
  // A server whose negotiator came from elsewhere still gets a codec: the client will compress.
  assert.ok(_negotiatedCompression("permessage-deflate", "server", undefined) !== undefined);
  assert.ok(_negotiatedCompression("permessage-deflate", "server", false) !== undefined);
});

Deno.test("_negotiatedCompression: a response that does not fit the offer is a 1010", () => {
  const headers = [
    "permessage-deflate; bogus",
    "permessage-deflate;;",
    "permessage-deflate; client_max_window_bits=7",
  ];
  for (const header of headers) {
    assert.throws(() => _negotiatedCompression(header, "client", undefined), (error: unknown) => {
      assert.ok(error instanceof WebSocketError, header);
      assert.equal(error.closeCode, 1010, header);
      return true;
    });
  }
});

Deno.test("_abandon: close() when the transport has one, else the streams are cancelled and aborted", async () => {
  let closes = 0;
  let touched = false;
  _abandon({
    readable: new ReadableStream({ cancel: () => void (touched = true) }),
    writable: new WritableStream({ abort: () => void (touched = true) }),
    close() {
      closes++;
      throw new Error("already closed");
    },
  });
  assert.equal(closes, 1, "a throwing close() is fine");
  await Promise.resolve();
  assert.equal(touched, false, "close() alone: the transport owns its streams");
  let cancelled = false;
  let aborted = false;
  const readable = new ReadableStream({ cancel: () => void (cancelled = true) });
  const writable = new WritableStream({ abort: () => void (aborted = true) });
  _abandon({ readable, writable });
  await Promise.resolve();
  assert.equal(cancelled, true);
  assert.equal(aborted, true);
});
