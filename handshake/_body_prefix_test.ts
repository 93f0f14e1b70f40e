import assert from "node:assert/strict";
import { _BODY_PREFIX_LIMIT, _readBodyPrefix } from "./_body_prefix.ts";

const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/**
 * A connection that delivers `chunks`, then stays open (never ends, calling
 * `onStall` when read again) unless `end`.
 */
function connection(chunks: string[], end = false, onStall = () => {}) {
  let pulls = 0;
  const readable = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks[pulls++];
      if (next !== undefined) controller.enqueue(encode(next));
      else if (end) controller.close();
      else {
        onStall();
        return new Promise(() => {});
      }
    },
  }, { highWaterMark: 0 });
  return { readable, pulls: () => pulls };
}

function head(status: number, headers: Record<string, string>, leftover = "") {
  return { status, headers: new Headers(headers), leftover: encode(leftover) };
}

Deno.test("_readBodyPrefix: Content-Length frames the body; it does not wait past it", async () => {
  const { readable } = connection(["oken"]);
  const body = await _readBodyPrefix(readable, head(401, { "content-length": "13" }, "invalid t"));
  assert.equal(decode(body), "invalid token");
  assert.equal(readable.locked, false);
  // All in the leftover: nothing is read.
  const idle = connection([]);
  const whole = await _readBodyPrefix(idle.readable, head(403, { "content-length": "2" }, "no"));
  assert.equal(decode(whole), "no");
  assert.equal(idle.pulls(), 0);
});

Deno.test("_readBodyPrefix: chunked bodies are unframed across reads", async () => {
  const { readable } = connection(["5;ext=1\r\nhel", "lo\r\n6\r\n worl", "d\r\n0\r\n\r\n"]);
  const body = await _readBodyPrefix(readable, head(500, { "transfer-encoding": "chunked" }));
  assert.equal(decode(body), "hello world");
});

Deno.test("_readBodyPrefix: without a length the body ends with the connection", async () => {
  const { readable } = connection(["service ", "unavailable"], true);
  const body = await _readBodyPrefix(readable, head(503, {}));
  assert.equal(decode(body), "service unavailable");
});

Deno.test("_readBodyPrefix: at most the limit is read from a huge body", async () => {
  const big = "x".repeat(64 * 1024);
  const { readable, pulls } = connection(Array(100).fill(big));
  const body = await _readBodyPrefix(
    readable,
    head(404, { "content-length": String(100 * big.length) }),
  );
  assert.equal(body.length, _BODY_PREFIX_LIMIT);
  assert.equal(pulls(), 1);
  const chunked = connection(Array(100).fill(`10000\r\n${big}\r\n`));
  const unframed = await _readBodyPrefix(
    chunked.readable,
    head(404, { "transfer-encoding": "chunked" }),
  );
  assert.equal(decode(unframed), big.slice(0, _BODY_PREFIX_LIMIT));
  assert.equal(chunked.pulls(), 1);
});

Deno.test("_readBodyPrefix: statuses without a body read nothing", async () => {
  for (const status of [100, 204, 304]) {
    const { readable, pulls } = connection(["HTTP/1.1 ..."]);
    assert.equal((await _readBodyPrefix(readable, head(status, {}))).length, 0);
    assert.equal(pulls(), 0);
  }
});

Deno.test("_readBodyPrefix: a stalled body ends at the signal with what came", async () => {
  const controller = new AbortController();
  const { readable } = connection(["partial"], false, () => controller.abort());
  const body = await _readBodyPrefix(
    readable,
    head(401, { "content-length": "100" }),
    controller.signal,
  );
  assert.equal(decode(body), "partial");
  assert.equal(readable.locked, false);
});

Deno.test("_readBodyPrefix: a stalled body ends after its own wait without a signal", async () => {
  const { readable } = connection(["partial"]);
  let deadline: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise((resolve) => deadline = setTimeout(() => resolve("stalled"), 10_000));
  const result = await Promise.race([_readBodyPrefix(readable, head(401, {})), stalled]);
  clearTimeout(deadline);
  assert.ok(result instanceof Uint8Array, "returned before the test's deadline");
  assert.equal(decode(result), "partial");
});
