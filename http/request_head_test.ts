/**
 * The rules of a request head (RFC 9112 §3, §5; RFC 9110 §7.2 for Host),
 * one table per part, with the status of each refusal. What a `Request`
 * cannot represent is refused later, by `readRequestHead`
 * (http_head_test.ts).
 */
import assert from "node:assert/strict";
import { HttpHeadError } from "../errors/http_head_error.ts";
import { _checkVersion, _parseFields, parseRequestHead } from "./request_head.ts";

function refusal(fn: () => unknown, status: number, message: RegExp, label: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof HttpHeadError, `${label}: ${error}`);
    assert.equal(error.status, status, `${label}: ${error.message}`);
    assert.equal(error.code, "malformed", label);
    assert.match(error.message, message, label);
    return true;
  }, label);
}

Deno.test("parseRequestHead: method, target, version, URL and fields of a valid head", () => {
  const head = parseRequestHead([
    "GET /chat?x=1 HTTP/1.1",
    "Host: server.example.com",
    "X-Empty:",
    "X-Spaces: \t  a  b \t",
    "x-list: 1",
    "X-List: 2",
    "X-Latin1: caf\u00e9 \u0080\u00ff",
  ]);
  assert.deepEqual(head, {
    method: "GET",
    target: "/chat?x=1",
    httpVersion: "HTTP/1.1",
    url: "http://server.example.com/chat?x=1",
    // Names as sent, values trimmed of SP and HTAB only, repeats kept apart.
    fields: [
      "Host",
      "server.example.com",
      "X-Empty",
      "",
      "X-Spaces",
      "a  b",
      "x-list",
      "1",
      "X-List",
      "2",
      "X-Latin1",
      "caf\u00e9 \u0080\u00ff",
    ],
  });
});

Deno.test("parseRequestHead: methods and versions", () => {
  const cases: [line: string, method: string, version: string][] = [
    ["POST / HTTP/1.1", "POST", "HTTP/1.1"],
    ["PATCH / HTTP/1.1", "PATCH", "HTTP/1.1"],
    ["get-thing / HTTP/1.1", "get-thing", "HTTP/1.1"], // any token; only Fetch's six are case-checked
    ["patch / HTTP/1.1", "patch", "HTTP/1.1"],
    ["GET / HTTP/1.0", "GET", "HTTP/1.0"],
    ["GET / HTTP/1.9", "GET", "HTTP/1.9"],
  ];
  for (const [line, method, httpVersion] of cases) {
    const head = parseRequestHead([line, "Host: x"]);
    assert.deepEqual([head.method, head.httpVersion], [method, httpVersion], line);
  }
});

Deno.test("parseRequestHead: origin-form targets and hosts make the URL", () => {
  const cases: [target: string, host: string | undefined, url: string][] = [
    ["/", undefined, "http://localhost/"],
    ["/a", "", "http://localhost/a"],
    ["/a/b?c=d&e", "x.example", "http://x.example/a/b?c=d&e"],
    ["//evil.example/p", "x.example", "http://x.example//evil.example/p"],
    ["/%7Euser", "[::1]:8000", "http://[::1]:8000/%7Euser"],
    ["/", "127.0.0.1", "http://127.0.0.1/"],
    ["/", "x.example:", "http://x.example:/"],
  ];
  for (const [target, host, url] of cases) {
    const lines = [`GET ${target} HTTP/1.1`, ...(host === undefined ? [] : [`Host: ${host}`])];
    assert.equal(parseRequestHead(lines).url, url, `${target} on ${host}`);
  }
});

Deno.test("parseRequestHead: absolute-form targets only when asked (RFC 9112 §3.2.2), Host then ignored", () => {
  const line = "GET http://a.example:81/x?y HTTP/1.1";
  refusal(() => parseRequestHead([line, "Host: b"]), 400, /is not a path/, "by default");
  const options = { absoluteForm: true };
  assert.equal(parseRequestHead([line, "Host: b"], options).url, "http://a.example:81/x?y");
  assert.equal(parseRequestHead(["GET HTTPS://a/ HTTP/1.1"], options).url, "HTTPS://a/");
  assert.equal(parseRequestHead(["GET /p HTTP/1.1", "Host: b"], options).url, "http://b/p");
  refusal(() => parseRequestHead(["GET ftp://a/ HTTP/1.1"], options), 400, /is not a path/, "ftp");
  refusal(
    () => parseRequestHead(["GET http://a/#f HTTP/1.1"], options),
    400,
    /invalid character/,
    "a fragment",
  );
});

Deno.test("parseRequestHead: malformed request lines get 400 (RFC 9112 §3)", () => {
  const cases: [string, RegExp][] = [
    ["GET /", /Invalid request line: "GET \/"/],
    ["GET  / HTTP/1.1", /Invalid request line/],
    ["GET / HTTP/1.1 ", /Invalid request line/],
    [" GET / HTTP/1.1", /Invalid request line/],
    ["GET\t/\tHTTP/1.1", /Invalid request line/],
    ["GET / http/1.1", /bad HTTP version/],
    ["GET / HTTP/1", /bad HTTP version/],
    ["GET / HTTP/1.10", /bad HTTP version/],
    ["GET / HTTP/x.y", /bad HTTP version/],
    ["G(T / HTTP/1.1", /method "G\(T" is not a token/],
    ["get / HTTP/1.1", /method "get" is not GET \(methods are case-sensitive\)/],
    ["Post / HTTP/1.1", /is not POST/],
    ["OPTIONS * HTTP/1.1", /asterisk-form/],
    ["GET http://x.example/ HTTP/1.1", /is not a path \(only origin-form is supported\)/],
    ["CONNECT x.example:443 HTTP/1.1", /is not a path/],
    ["GET chat HTTP/1.1", /is not a path/],
    ["GET /a#b HTTP/1.1", /has an invalid character/],
    ["GET /caf\u00e9 HTTP/1.1", /has an invalid character/],
    ["GET /a\u007fb HTTP/1.1", /has an invalid character/],
    ["GET /a\u0001b HTTP/1.1", /has an invalid character/],
  ];
  for (const [line, message] of cases) {
    refusal(() => parseRequestHead([line, "Host: x"]), 400, message, line);
  }
});

Deno.test("parseRequestHead: HTTP major versions other than 1 get 505", () => {
  for (const version of ["HTTP/2.0", "HTTP/0.9", "HTTP/3.0"]) {
    refusal(
      () => parseRequestHead([`GET / ${version}`, "Host: x"]),
      505,
      /^Unsupported HTTP version: "HTTP\/\d\.\d" \(only HTTP\/1\.x is spoken here\)$/,
      version,
    );
  }
});

Deno.test("parseRequestHead: malformed header lines get 400 (RFC 9112 §5)", () => {
  const cases: [string, RegExp][] = [
    ["Host x", /header line without a colon: "Host x"/],
    ["Host : x", /whitespace before the colon in "Host "/],
    ["Host\t: x", /whitespace before the colon/],
    [": x", /header name "" is not a token/],
    ["Ho(st: x", /header name "Ho\(st" is not a token/],
    ["H\u00e9: x", /is not a token/],
    [" folded", /line folding \(obs-fold\) is not allowed/],
    ["\tfolded", /obs-fold/],
    ["X-A: a\u0000b", /control character in its value/],
    ["X-A: a\u0001b", /control character/],
    ["X-A: a\u007fb", /control character/],
    ["Host: x", /more than one Host header/], // a second Host
    ["HOST: y", /more than one Host header/],
  ];
  for (const [line, message] of cases) {
    refusal(() => parseRequestHead(["GET / HTTP/1.1", "Host: x", line]), 400, message, line);
  }
});

Deno.test("parseRequestHead: Host values that are not uri-host [':' port] get 400 (RFC 9110 §7.2)", () => {
  for (const host of ["a b", "x.example/path", "user@x.example", "x.example:80:80", "[zz]"]) {
    refusal(
      () => parseRequestHead(["GET / HTTP/1.1", `Host: ${host}`]),
      400,
      /^Invalid request head: Host ".*" is not a host and port$/,
      host,
    );
  }
});

Deno.test("_parseFields and _checkVersion serve response heads too: one Host rule less", () => {
  assert.deepEqual(_parseFields(["HTTP/1.1 101 x", "Host: a", "host: b"], "response"), [
    "Host",
    "a",
    "host",
    "b",
  ]);
  refusal(() => _parseFields(["", " folded"], "response"), 400, /^Invalid response head: /, "fold");
  _checkVersion("HTTP/1.1", "status line", "HTTP/1.1 200 OK");
  refusal(
    () => _checkVersion("HTTP/1.x", "status line", "HTTP/1.x 200 OK"),
    400,
    /^Invalid status line "HTTP\/1\.x 200 OK": bad HTTP version$/,
    "1.x",
  );
});

// The table the JSDoc of parseRequestHead names: every accepted head and every refusal.
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
