/**
 * Our HTTP server (`serve`) driven by curl (Debian's package, installed by
 * `.ci/install_runtimes.sh`): persistent connections, request bodies with a
 * length, chunked and from a file, `HEAD`, `Expect: 100-continue` and a
 * streamed response, each checked on what curl printed and what the
 * handler saw.
 */
import assert from "node:assert/strict";
import { requireTool } from "./_process.ts";
import { Child, startServer } from "./_http_peers.ts";
import { patternBytes } from "./_servers.ts";

const encoder = new TextEncoder();
/** A curl run that has not ended by then has stalled (every one here takes well under a second). */
const CURL_DEADLINE_MS = 15_000;

async function curl(args: string[]): Promise<Child> {
  return new Child(await requireTool("curl", "apt-get install curl"), ["--silent", ...args]);
}

/** FNV-1a over `bytes`, continued from `hash`: a checksum the handler can keep while streaming. */
function fnv1a(bytes: Uint8Array, hash = 0x811c9dc5): number {
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193) >>> 0;
  return hash;
}

/** The request body read as it streams: its size, checksum, and how many pieces, how large. */
async function countBody(request: Request) {
  let size = 0;
  let pieces = 0;
  let largest = 0;
  let hash = 0x811c9dc5;
  for await (const piece of request.body!) {
    size += piece.length;
    pieces++;
    largest = Math.max(largest, piece.length);
    hash = fnv1a(piece, hash);
  }
  return { size, pieces, largest, hash };
}

Deno.test("curl reuses one connection for two URLs", async () => {
  const { server, origin, ports } = startServer((request) => {
    return new Response(`page ${new URL(request.url).pathname}\n`);
  });
  try {
    await using child = await curl(["--verbose", `${origin}/a`, `${origin}/b`]);
    assert.equal(await child.finish(CURL_DEADLINE_MS), 0, child.stderr);
    assert.equal(child.stdout, "page /a\npage /b\n");
    assert.match(child.stderr, /Re-using existing connection/);
    assert.equal(ports.size, 1);
  } finally {
    await server.shutdown();
  }
});

Deno.test("curl POSTs with Content-Length and chunked bodies", async () => {
  const seen: (string | null)[][] = [];
  const { server, origin, ports } = startServer(async (request) => {
    const text = await request.text();
    seen.push([
      request.method,
      request.headers.get("content-length"),
      request.headers.get("transfer-encoding"),
    ]);
    return Response.json({ text });
  });
  try {
    await using child = await curl([
      `${origin}/length`,
      "--data-binary",
      "hello, length",
      "--next",
      "--silent",
      `${origin}/chunked`,
      "--header",
      "Transfer-Encoding: chunked",
      "--data-binary",
      "hello, chunked",
    ]);
    assert.equal(await child.finish(CURL_DEADLINE_MS), 0, child.stderr);
    assert.equal(child.stdout, '{"text":"hello, length"}{"text":"hello, chunked"}');
    assert.deepEqual(seen, [["POST", "13", null], ["POST", null, "chunked"]]);
    assert.equal(ports.size, 1);
  } finally {
    await server.shutdown();
  }
});

Deno.test("curl uploads 8 MiB from a file: the handler reads it as a stream", async () => {
  const data = patternBytes(8 * 1024 * 1024, 7);
  const file = await Deno.makeTempFile({ prefix: "http_curl_test_" });
  await Deno.writeFile(file, data);
  let handlerStarted = false;
  const { server, origin } = startServer(async (request) => {
    handlerStarted = true;
    return Response.json(await countBody(request));
  });
  try {
    // No Expect (the next test has it): the body follows the head at once.
    await using child = await curl([
      `${origin}/upload`,
      "--header",
      "Expect:",
      "--data-binary",
      `@${file}`,
    ]);
    assert.equal(await child.finish(CURL_DEADLINE_MS), 0, child.stderr);
    assert.ok(handlerStarted);
    const counted = JSON.parse(child.stdout);
    assert.equal(counted.size, data.length);
    assert.equal(counted.hash, fnv1a(data));
    // Streamed in pieces of at most the server's read size, never gathered whole.
    assert.ok(counted.largest <= 64 * 1024, `a piece of ${counted.largest} bytes`);
    assert.ok(counted.pieces >= data.length / (64 * 1024), `${counted.pieces} pieces`);
  } finally {
    await server.shutdown();
    await Deno.remove(file);
  }
});

Deno.test("curl's Expect: 100-continue gets its 100 when the handler reads the body", async () => {
  const data = patternBytes(2 * 1024 * 1024, 9);
  const file = await Deno.makeTempFile({ prefix: "http_curl_test_" });
  await Deno.writeFile(file, data);
  const expects: (string | null)[] = [];
  const { server, origin } = startServer(async (request) => {
    expects.push(request.headers.get("expect"));
    return Response.json(await countBody(request));
  });
  try {
    // curl waits 30 s for the 100 before sending anyway: a missing 100 runs
    // into the deadline (15 s) instead of passing slowly.
    await using child = await curl([
      "--verbose",
      "--expect100-timeout",
      "30",
      "--header",
      "Expect: 100-continue",
      "--data-binary",
      `@${file}`,
      `${origin}/upload`,
    ]);
    assert.equal(await child.finish(CURL_DEADLINE_MS), 0, child.stderr);
    assert.match(child.stderr, /< HTTP\/1\.1 100 Continue\r?\n[^]*< HTTP\/1\.1 200 OK/);
    assert.deepEqual(expects, ["100-continue"]);
    const counted = JSON.parse(child.stdout);
    assert.equal(counted.size, data.length);
    assert.equal(counted.hash, fnv1a(data));
  } finally {
    await server.shutdown();
    await Deno.remove(file);
  }
});

Deno.test("curl's Expect: 100-continue gets the final answer when the handler refuses", async () => {
  const data = patternBytes(2 * 1024 * 1024, 11);
  const file = await Deno.makeTempFile({ prefix: "http_curl_test_" });
  await Deno.writeFile(file, data);
  const { server, origin } = startServer(() => new Response("no\n", { status: 401 }));
  try {
    await using child = await curl([
      "--verbose",
      "--expect100-timeout",
      "30",
      "--header",
      "Expect: 100-continue",
      "--data-binary",
      `@${file}`,
      `${origin}/upload`,
    ]);
    assert.equal(await child.finish(CURL_DEADLINE_MS), 0, child.stderr);
    assert.equal(child.stdout, "no\n");
    assert.doesNotMatch(child.stderr, /100 Continue/);
    assert.match(child.stderr, /< HTTP\/1\.1 401 Unauthorized/);
    // The body was never sent: the connection cannot carry another request.
    assert.match(child.stderr, /< connection: close/);
  } finally {
    await server.shutdown();
    await Deno.remove(file);
  }
});

Deno.test("curl: an unread small body is dropped to keep the connection, a large one closes it", async () => {
  const file = await Deno.makeTempFile({ prefix: "http_curl_test_" });
  const { server, origin, ports } = startServer((request) => {
    return new Response(`${request.method} ${new URL(request.url).pathname}\n`);
  });
  try {
    for (const [size, connections] of [[10_000, 1], [8 * 1024 * 1024, 2]] as const) {
      await Deno.writeFile(file, patternBytes(size, size));
      ports.clear();
      // The handler never reads the POST's body; the GET follows on the same connection if it can.
      await using child = await curl([
        "--verbose",
        "--header",
        "Expect:",
        "--data-binary",
        `@${file}`,
        `${origin}/ignore`,
        "--next",
        "--silent",
        "--verbose",
        `${origin}/after`,
      ]);
      assert.equal(await child.finish(CURL_DEADLINE_MS), 0, child.stderr);
      assert.equal(child.stdout, "POST /ignore\nGET /after\n");
      assert.equal(ports.size, connections, `${size} bytes: ${ports.size} connections`);
      if (connections === 2) assert.match(child.stderr, /< connection: close/);
      else assert.match(child.stderr, /Re-using existing connection/);
    }
  } finally {
    await server.shutdown();
    await Deno.remove(file);
  }
});

Deno.test("curl -I gets the GET's Content-Length and no body", async () => {
  const methods: string[] = [];
  const { server, origin, ports } = startServer((request) => {
    methods.push(request.method);
    return new Response("hello world");
  });
  try {
    // HEAD then GET on the same connection: a body after the HEAD's head
    // would be read as the GET's response.
    await using child = await curl([
      "--verbose",
      "--head",
      `${origin}/`,
      "--next",
      "--silent",
      "--verbose",
      `${origin}/`,
    ]);
    assert.equal(await child.finish(CURL_DEADLINE_MS), 0, child.stderr);
    const [head, rest] = child.stdout.split("\r\n\r\n");
    assert.match(head!, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(head!, /\r\ncontent-length: 11(\r\n|$)/);
    assert.equal(rest, "hello world");
    assert.match(child.stderr, /Re-using existing connection/);
    assert.doesNotMatch(child.stderr, /Excess found/);
    assert.deepEqual(methods, ["HEAD", "GET"]);
    assert.equal(ports.size, 1);
  } finally {
    await server.shutdown();
  }
});

Deno.test("curl -N prints a streamed response as each piece is sent", async () => {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const { server, origin } = startServer(() => {
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        controller = c;
        c.enqueue(encoder.encode("line 1\n"));
      },
    });
    return new Response(body, { headers: { "content-type": "text/plain" } });
  });
  try {
    await using child = await curl(["--verbose", "--no-buffer", `${origin}/stream`]);
    // Each next line is sent only once curl printed the one before: a
    // server that held the response back until its end would stall here.
    await child.waitForStdout("line 1\n");
    controller.enqueue(encoder.encode("line 2\n"));
    await child.waitForStdout("line 2\n");
    controller.enqueue(encoder.encode("line 3\n"));
    controller.close();
    assert.equal(await child.finish(CURL_DEADLINE_MS), 0, child.stderr);
    assert.equal(child.stdout, "line 1\nline 2\nline 3\n");
    assert.match(child.stderr, /< transfer-encoding: chunked/);
  } finally {
    await server.shutdown();
  }
});
