/**
 * What an HTTP server written in userland on Deno pays per request before
 * and after the handler: building the `Request` and its `Headers` from a
 * parsed head, the `URL`, reading the handler's `Response` body, and
 * encoding the response head. Each group's baseline is the cheapest way;
 * the others show what a choice costs (see `bench/http.ts` for whole
 * requests per second).
 *
 * Run: `deno bench bench/http_request_cost_bench.ts`
 *
 * @module
 */

/** Eight request fields, as a browser's GET sends them (names as parsed, values as sent). */
const FIELDS: [string, string][] = [
  ["Host", "127.0.0.1:8000"],
  ["User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/140.0 Safari/537.36"],
  ["Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"],
  ["Accept-Encoding", "gzip, deflate, br, zstd"],
  ["Accept-Language", "en-US,en;q=0.9"],
  ["Connection", "keep-alive"],
  ["Cache-Control", "max-age=0"],
  ["Cookie", "session=4f2a9c1e7b3d5a8f; theme=dark"],
];
const RECORD: Record<string, string> = Object.fromEntries(FIELDS);
const URL_STRING = "http://127.0.0.1:8000/api/items?page=2&sort=name";
const PARSED_URL = new URL(URL_STRING);

// ------------------------------------------------------------------ Request

Deno.bench({
  name: "new Request(url string, { method })",
  group: "Request",
  baseline: true,
  fn() {
    new Request(URL_STRING, { method: "GET" });
  },
});

Deno.bench({
  name: "new Request(URL object, { method })",
  group: "Request",
  fn() {
    new Request(PARSED_URL, { method: "GET" });
  },
});

Deno.bench({
  name: "new URL + new Request + 8 × request.headers.append (serve's way today)",
  group: "Request",
  fn() {
    const request = new Request(new URL(URL_STRING), { method: "GET" });
    const headers = request.headers;
    for (let i = 0; i < FIELDS.length; i++) headers.append(FIELDS[i]![0], FIELDS[i]![1]);
  },
});

Deno.bench({
  name: "new Request(url, { method }) + 8 × request.headers.append",
  group: "Request",
  fn() {
    const request = new Request(URL_STRING, { method: "GET" });
    const headers = request.headers;
    for (let i = 0; i < FIELDS.length; i++) headers.append(FIELDS[i]![0], FIELDS[i]![1]);
  },
});

Deno.bench({
  name: "new Request(url, { method, headers: 8 pairs })",
  group: "Request",
  fn() {
    new Request(URL_STRING, { method: "GET", headers: FIELDS });
  },
});

Deno.bench({
  name: "new Request(url, { method, headers: record of 8 })",
  group: "Request",
  fn() {
    new Request(URL_STRING, { method: "GET", headers: RECORD });
  },
});

Deno.bench({
  name: "new Request + 8 appends, then .url, .method and headers.get('host')",
  group: "Request",
  fn() {
    const request = new Request(URL_STRING, { method: "GET" });
    const headers = request.headers;
    for (let i = 0; i < FIELDS.length; i++) headers.append(FIELDS[i]![0], FIELDS[i]![1]);
    if (request.url.length + request.method.length + headers.get("host")!.length === 0) {
      throw new Error("unreachable");
    }
  },
});

Deno.bench({
  name: "new Request + 8 appends, then .signal",
  group: "Request",
  fn() {
    const request = new Request(URL_STRING, { method: "GET" });
    const headers = request.headers;
    for (let i = 0; i < FIELDS.length; i++) headers.append(FIELDS[i]![0], FIELDS[i]![1]);
    if (request.signal.aborted) throw new Error("unreachable");
  },
});

// ------------------------------------------------------------------ Headers

Deno.bench({
  name: "new Headers() + 8 × append",
  group: "Headers",
  baseline: true,
  fn() {
    const headers = new Headers();
    for (let i = 0; i < FIELDS.length; i++) headers.append(FIELDS[i]![0], FIELDS[i]![1]);
  },
});

Deno.bench({
  name: "new Headers(8 pairs)",
  group: "Headers",
  fn() {
    new Headers(FIELDS);
  },
});

Deno.bench({
  name: "new Headers(record of 8)",
  group: "Headers",
  fn() {
    new Headers(RECORD);
  },
});

const HEADERS = new Headers(FIELDS);

Deno.bench({
  name: "headers.forEach over 8",
  group: "Headers: reading",
  baseline: true,
  fn() {
    let n = 0;
    HEADERS.forEach((value, name) => n += name.length + value.length);
    if (n === 0) throw new Error("unreachable");
  },
});

Deno.bench({
  name: "for (const [name, value] of headers) over 8",
  group: "Headers: reading",
  fn() {
    let n = 0;
    for (const [name, value] of HEADERS) n += name.length + value.length;
    if (n === 0) throw new Error("unreachable");
  },
});

Deno.bench({
  name: "3 × headers.get (content-length, transfer-encoding, connection)",
  group: "Headers: reading",
  fn() {
    HEADERS.get("content-length");
    HEADERS.get("transfer-encoding");
    HEADERS.get("connection");
  },
});

// ----------------------------------------------------------------- Response

Deno.bench({
  name: 'new Response("Hello")',
  group: "Response",
  baseline: true,
  fn() {
    new Response("Hello");
  },
});

Deno.bench({
  name: 'new Response("Hello") + await arrayBuffer()',
  group: "Response",
  async fn() {
    await new Response("Hello").arrayBuffer();
  },
});

Deno.bench({
  name: 'new Response("Hello") + await bytes()',
  group: "Response",
  async fn() {
    await new Response("Hello").bytes();
  },
});

Deno.bench({
  name: 'new Response("Hello") + body.getReader() read to the end',
  group: "Response",
  async fn() {
    const reader = new Response("Hello").body!.getReader();
    while (!(await reader.read()).done) { /* the one chunk */ }
  },
});

Deno.bench({
  name: 'new Response("Hello") + headers.forEach (its content-type)',
  group: "Response",
  fn() {
    let n = 0;
    new Response("Hello").headers.forEach((value, name) => n += name.length + value.length);
    if (n === 0) throw new Error("unreachable");
  },
});

const BODY = new Uint8Array(64 * 1024);

Deno.bench({
  name: "new Response(64 KiB Uint8Array) + await arrayBuffer()",
  group: "Response: 64 KiB",
  baseline: true,
  async fn() {
    await new Response(BODY).arrayBuffer();
  },
});

Deno.bench({
  name: "new Response(64 KiB Uint8Array) + body.getReader() read to the end",
  group: "Response: 64 KiB",
  async fn() {
    const reader = new Response(BODY).body!.getReader();
    while (!(await reader.read()).done) { /* the chunks */ }
  },
});

// ---------------------------------------------------------------------- URL

Deno.bench({
  name: "new URL(absolute, with query)",
  group: "URL",
  baseline: true,
  fn() {
    new URL(URL_STRING);
  },
});

Deno.bench({
  name: "new URL(`http://${host}${target}`) (template, as serve builds it)",
  group: "URL",
  fn() {
    const host = FIELDS[0]![1];
    new URL(`http://${host}/api/items?page=2&sort=name`);
  },
});

Deno.bench({
  name: "new URL(target, base)",
  group: "URL",
  fn() {
    new URL("/api/items?page=2&sort=name", "http://127.0.0.1:8000");
  },
});

// ------------------------------------------------------------ response head

const HEAD = "HTTP/1.1 200 OK\r\nContent-Type: text/plain;charset=UTF-8\r\n" +
  "Content-Length: 12\r\nDate: Sun, 06 Dec 2026 08:48:56 GMT\r\n\r\n";
const encoder = new TextEncoder();
const scratch = new Uint8Array(1024);
const HEADERS_3 = new Headers({
  "content-type": "text/plain;charset=UTF-8",
  "content-length": "12",
  "date": "Sun, 06 Dec 2026 08:48:56 GMT",
});

Deno.bench({
  name: `TextEncoder.encodeInto(${HEAD.length}-byte head, reused buffer)`,
  group: "encode head",
  baseline: true,
  fn() {
    encoder.encodeInto(HEAD, scratch);
  },
});

Deno.bench({
  name: `TextEncoder.encode(${HEAD.length}-byte head)`,
  group: "encode head",
  fn() {
    encoder.encode(HEAD);
  },
});

Deno.bench({
  name: `charCodeAt loop into a new Uint8Array (${HEAD.length}-byte head, latin1)`,
  group: "encode head",
  fn() {
    const bytes = new Uint8Array(HEAD.length);
    for (let i = 0; i < HEAD.length; i++) bytes[i] = HEAD.charCodeAt(i);
  },
});

Deno.bench({
  name: "build the head string from status and 3 headers (template + forEach)",
  group: "encode head",
  fn() {
    let head = "HTTP/1.1 200 OK\r\n";
    HEADERS_3.forEach((value, name) => head += `${name}: ${value}\r\n`);
    encoder.encodeInto(head + "\r\n", scratch);
  },
});

// -------------------------------------------------------------- request head

const REQUEST_HEAD = encoder.encode(
  `GET /api/items?page=2&sort=name HTTP/1.1\r\n${
    FIELDS.map(([n, v]) => `${n}: ${v}`).join("\r\n")
  }\r\n\r\n`,
);
const decoder = new TextDecoder("latin1");

Deno.bench({
  name: `TextDecoder("latin1").decode(${REQUEST_HEAD.length}-byte request head)`,
  group: "decode head",
  baseline: true,
  fn() {
    decoder.decode(REQUEST_HEAD);
  },
});

Deno.bench({
  name: `String.fromCharCode.apply(${REQUEST_HEAD.length}-byte request head)`,
  group: "decode head",
  fn() {
    String.fromCharCode.apply(null, REQUEST_HEAD as unknown as number[]);
  },
});

Deno.bench({
  name: "decode + split into lines + split fields at the colon",
  group: "decode head",
  fn() {
    const lines = decoder.decode(REQUEST_HEAD).split("\r\n");
    let n = 0;
    for (let i = 1; i < lines.length - 2; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(":");
      n += line.slice(0, colon).length + line.slice(colon + 1).trim().length;
    }
    if (n === 0) throw new Error("unreachable");
  },
});

// ------------------------------------------------------ one request, whole

Deno.bench({
  name: "decode head, URL, Request + 8 appends, Response, bytes(), head, encodeInto",
  group: "a whole hello-world request, in userland",
  baseline: true,
  async fn() {
    const lines = decoder.decode(REQUEST_HEAD).split("\r\n");
    const [method, target] = lines[0]!.split(" ");
    const request = new Request(new URL(`http://127.0.0.1:8000${target}`), { method: method! });
    const headers = request.headers;
    for (let i = 1; i < lines.length - 2; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(":");
      headers.append(line.slice(0, colon), line.slice(colon + 1).trim());
    }
    const response = new Response("Hello, world");
    const body = await response.bytes();
    let head = `HTTP/1.1 ${response.status} OK\r\ncontent-length: ${body.length}\r\n`;
    response.headers.forEach((value, name) => head += `${name}: ${value}\r\n`);
    encoder.encodeInto(head + "\r\n", scratch);
  },
});

Deno.bench({
  name: "the same with body.getReader() for the response body",
  group: "a whole hello-world request, in userland",
  async fn() {
    const lines = decoder.decode(REQUEST_HEAD).split("\r\n");
    const [method, target] = lines[0]!.split(" ");
    const request = new Request(new URL(`http://127.0.0.1:8000${target}`), { method: method! });
    const headers = request.headers;
    for (let i = 1; i < lines.length - 2; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(":");
      headers.append(line.slice(0, colon), line.slice(colon + 1).trim());
    }
    const response = new Response("Hello, world");
    const reader = response.body!.getReader();
    let length = 0;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      length += value.length;
    }
    let head = `HTTP/1.1 ${response.status} OK\r\ncontent-length: ${length}\r\n`;
    response.headers.forEach((value, name) => head += `${name}: ${value}\r\n`);
    encoder.encodeInto(head + "\r\n", scratch);
  },
});
