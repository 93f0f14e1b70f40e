import assert from "node:assert/strict";
import { HttpHeadError } from "../errors/http_head_error.ts";
import { parseRequestHead } from "./request_head.ts";

/** Heads `parseRequestHead` accepts: [lines, absoluteForm, the URL it makes]. */
const ACCEPTED: [string[], boolean, string][] = [
  [["GET /chat?room=1 HTTP/1.1", "Host: example.com"], false, "http://example.com/chat?room=1"],
  [["GET / HTTP/1.0"], false, "http://localhost/"], // no Host: localhost
  [["GET / HTTP/1.1", "Host:"], false, "http://localhost/"], // an empty Host too
  [["GET / HTTP/1.9", "Host: x:8080"], false, "http://x:8080/"], // any 1.x, a port
  [["GET / HTTP/1.1", "Host: [::1]:80"], false, "http://[::1]:80/"], // IP literal
  [["PATCH /a HTTP/1.1", "Host: x"], false, "http://x/a"], // a method Request keeps as is
  [["M-SEARCH /a HTTP/1.1", "Host: x"], false, "http://x/a"], // any token
  [["GET http://a.example/p HTTP/1.1", "Host: b"], true, "http://a.example/p"], // Host ignored
  [["GET / HTTP/1.1", "X-A:  padded\t", "Host: x"], false, "http://x/"],
];

/** Heads it refuses: [lines, absoluteForm, status, message]. */
const REFUSED: [string[], boolean, number, RegExp][] = [
  [["GET /"], false, 400, /Invalid request line: "GET \/"/],
  [["GET  / HTTP/1.1"], false, 400, /Invalid request line/], // two spaces
  [["GET / HTTP/1.1 "], false, 400, /Invalid request line/],
  [["GET / http/1.1"], false, 400, /bad HTTP version/],
  [["GET / HTTP/1.10"], false, 400, /bad HTTP version/],
  [["GET / HTTP/2.0"], false, 505, /Unsupported HTTP version/],
  [["GET / HTTP/0.9"], false, 505, /Unsupported HTTP version/],
  [["G(T / HTTP/1.1"], false, 400, /is not a token/],
  [["get / HTTP/1.1"], false, 400, /methods are case-sensitive/],
  [["OPTIONS * HTTP/1.1"], false, 400, /asterisk-form/],
  [["GET http://a.example/ HTTP/1.1"], false, 400, /only origin-form/], // not asked for
  [["GET ftp://a.example/ HTTP/1.1"], true, 400, /is not a path/],
  [["CONNECT a.example:443 HTTP/1.1"], true, 400, /is not a path/],
  [["GET /a#b HTTP/1.1"], false, 400, /invalid character/],
  [["GET /caf\u00e9 HTTP/1.1"], false, 400, /invalid character/],
  [["GET / HTTP/1.1", " folded"], false, 400, /obs-fold/],
  [["GET / HTTP/1.1", "Host x"], false, 400, /without a colon/],
  [["GET / HTTP/1.1", "Host : x"], false, 400, /whitespace before the colon/],
  [["GET / HTTP/1.1", "Ho(st: x"], false, 400, /is not a token/],
  [["GET / HTTP/1.1", "X: a\u0000b"], false, 400, /control character/],
  [["GET / HTTP/1.1", "Host: x", "HOST: y"], false, 400, /more than one Host/],
  [["GET / HTTP/1.1", "Host: x.example/path"], false, 400, /is not a host and port/],
  [["GET / HTTP/1.1", "Host: user@x"], false, 400, /is not a host and port/],
  [["GET / HTTP/1.1", "Host: [zz]"], false, 400, /is not a host and port/],
];

Deno.test("parseRequestHead: accepted heads and the URL each makes", () => {
  for (const [lines, absoluteForm, url] of ACCEPTED) {
    const head = parseRequestHead(lines, { absoluteForm });
    assert.equal(head.url, url, lines[0]);
    assert.equal(`${head.method} ${head.target} ${head.httpVersion}`, lines[0]);
  }
  const head = parseRequestHead(["GET / HTTP/1.1", "X-A:  padded\t", "Host: x"]);
  assert.deepEqual(head.fields, ["X-A", "padded", "Host", "x"]);
});

Deno.test("parseRequestHead: every refusal with its status", () => {
  for (const [lines, absoluteForm, status, message] of REFUSED) {
    assert.throws(
      () => parseRequestHead(lines, { absoluteForm }),
      (error: unknown) => {
        assert.ok(error instanceof HttpHeadError, `${lines.join(" | ")}: ${error}`);
        assert.equal(error.status, status, lines.join(" | "));
        assert.match(error.message, message);
        return true;
      },
    );
  }
});
