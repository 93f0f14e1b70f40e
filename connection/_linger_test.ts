import assert from "node:assert/strict";
import { _LINGER_BYTES, _lingeringClose } from "./_linger.ts";

/** A socket whose peer sends `chunks` reads (then closes, or stays silent), recording calls. */
function socket(reads: number, then: "eof" | "silence") {
  const calls: string[] = [];
  let read = 0;
  return {
    calls,
    closeWrite: () => (calls.push("closeWrite"), Promise.resolve()),
    read(buffer: Uint8Array): Promise<number | null> {
      calls.push("read");
      if (read++ < reads) return Promise.resolve(buffer.length);
      return then === "eof" ? Promise.resolve(null) : new Promise<null>(() => {});
    },
    close: () => void calls.push("close"),
  };
}

Deno.test("_lingeringClose: FIN first, then reads until the peer closes, then close", async () => {
  const s = socket(2, "eof");
  await _lingeringClose(s, new Uint8Array(1024));
  assert.deepEqual(s.calls, ["closeWrite", "read", "read", "read", "close"]);
});

Deno.test("_lingeringClose: a peer that keeps sending is cut off after _LINGER_BYTES", async () => {
  const s = socket(Infinity, "eof");
  await _lingeringClose(s, new Uint8Array(64 * 1024));
  assert.equal(s.calls.filter((c) => c === "read").length, _LINGER_BYTES / (64 * 1024));
  assert.equal(s.calls.at(-1), "close");
});

Deno.test("_lingeringClose: a peer that neither sends nor closes is cut off by the deadline", async () => {
  const s = socket(1, "silence");
  await _lingeringClose(s, new Uint8Array(1024));
  assert.deepEqual(s.calls, ["closeWrite", "read", "read", "close"]);
});

Deno.test("_lingeringClose: a socket that cannot half-close is closed at once", async () => {
  const calls: string[] = [];
  await _lingeringClose({
    closeWrite: () => Promise.reject(new Error("not connected")),
    read: () => (calls.push("read"), Promise.resolve(null)),
    close: () => void calls.push("close"),
  }, new Uint8Array(16));
  assert.deepEqual(calls, ["close"]);
});
