/**
 * The HTTP benchmark's load generators (`bench/http_load_serial.mjs`,
 * `bench/http_load_pipelined.mjs`, run by `node` as `bench/http.ts` runs
 * them) must be correct clients, or the HTTP tables measure nothing: each
 * must count exactly the responses it got, over Content-Length, chunked
 * (extensions, trailers, bytes split across reads) and to-the-end bodies,
 * reconnect and count when a response closes its connection, and stop with
 * an error on a wrong status, a wrong body length, a malformed chunk or a
 * connection closed without warning. Counted runs (`--count`), not timed.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url).pathname;
const CONNECTIONS = 3;
const COUNT = 20;

interface Run {
  code: number;
  stderr: string;
  result: {
    responses: number;
    connects: number;
    closedByServer: number;
  } | null;
}

async function generate(
  generator: "serial" | "pipelined",
  port: number,
  length: number,
): Promise<Run> {
  const { code, stdout, stderr } = await new Deno.Command("node", {
    args: [
      `bench/http_load_${generator}.mjs`,
      "--port",
      String(port),
      "--path",
      "/hello",
      "--length",
      String(length),
      "--connections",
      String(CONNECTIONS),
      "--count",
      String(COUNT),
      "--timeout",
      "20000",
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(stdout).trim();
  return {
    code,
    stderr: new TextDecoder().decode(stderr),
    result: out.startsWith("{") ? JSON.parse(out) : null,
  };
}

interface TestServer {
  port: number;
  close(): Promise<void>;
}

function denoServe(handler: () => Response): Promise<TestServer> {
  return new Promise((resolve) => {
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen: (addr) => resolve({ port: addr.port, close: () => server.shutdown() }),
    }, handler);
  });
}

const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

/**
 * A server on `Deno.listen` that answers every request head it reads with
 * `response`, in writes of `writeSize` bytes (so that responses reach the
 * client cut at odd places), and with `closeAfterEach` shuts its side after
 * the first response, reads until the client has gone, and closes.
 */
function rawServer(response: string, closeAfterEach: boolean, writeSize = Infinity): TestServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0, transport: "tcp" });
  const bytes = latin1(response);
  const conns = new Set<Deno.TcpConn>();
  const tasks = new Set<Promise<void>>();
  const write = async (conn: Deno.TcpConn, data: Uint8Array) => {
    for (let offset = 0; offset < data.length;) {
      const end = Math.min(data.length, offset + writeSize);
      let piece = data.subarray(offset, end);
      while (piece.length > 0) piece = piece.subarray(await conn.write(piece));
      offset = end;
    }
  };
  const handle = async (conn: Deno.TcpConn) => {
    conn.setNoDelay(true);
    const buffer = new Uint8Array(16 * 1024);
    let pending = "";
    try {
      for (;;) {
        const n = await conn.read(buffer);
        if (n === null) return;
        pending += String.fromCharCode(...buffer.subarray(0, n));
        let end;
        let answers = 0;
        while ((end = pending.indexOf("\r\n\r\n")) !== -1) {
          pending = pending.slice(end + 4);
          answers++;
          if (closeAfterEach) break;
        }
        if (answers === 0) continue;
        // The answers to the requests of one read go out together, cut into pieces.
        const out = new Uint8Array(bytes.length * answers);
        for (let i = 0; i < answers; i++) out.set(bytes, i * bytes.length);
        await write(conn, out);
        if (closeAfterEach) {
          await conn.closeWrite();
          while (await conn.read(buffer) !== null) { /* until the client closes */ }
          return;
        }
      }
    } catch {
      // The client reset the connection, or the test closed it.
    } finally {
      conns.delete(conn);
      try {
        conn.close();
      } catch {
        // Closed by close() below.
      }
    }
  };
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        conns.add(conn);
        const task = handle(conn);
        tasks.add(task);
        void task.finally(() => tasks.delete(task));
      }
    } catch {
      // The listener closed.
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // Already closed.
        }
      }
      await accepting;
      await Promise.all(tasks);
    },
  };
}

interface Case {
  name: string;
  start: () => TestServer | Promise<TestServer>;
  length: number;
  /** Whether every response closes its connection. */
  closes: boolean;
}

const HELLO = "Hello, world";

const CASES: Case[] = [
  {
    name: "Deno.serve, Content-Length, keep-alive",
    start: () => denoServe(() => new Response(HELLO)),
    length: 12,
    closes: false,
  },
  {
    name: "Deno.serve, a streamed (chunked) body of 3 chunks",
    start: () =>
      denoServe(() =>
        new Response(ReadableStream.from([100, 1, 2000].map((n) => new Uint8Array(n).fill(97))))
      ),
    length: 2101,
    closes: false,
  },
  {
    name: "chunked with extensions and a trailer, written 7 bytes at a time",
    start: () =>
      rawServer(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
          "5;ext=1\r\nHello\r\n7\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\n",
        false,
        7,
      ),
    length: 12,
    closes: false,
  },
  {
    name: "Connection: close after each response",
    start: () =>
      rawServer(
        `HTTP/1.1 200 OK\r\nContent-Length: 12\r\nConnection: close\r\n\r\n${HELLO}`,
        true,
      ),
    length: 12,
    closes: true,
  },
  {
    name: "a body that runs to the end of the connection",
    start: () => rawServer(`HTTP/1.1 200 OK\r\n\r\n${HELLO}`, true, 5),
    length: 12,
    closes: true,
  },
  {
    name: "HTTP/1.0 without keep-alive",
    start: () => rawServer(`HTTP/1.0 200 OK\r\nContent-Length: 12\r\n\r\n${HELLO}`, true),
    length: 12,
    closes: true,
  },
];

interface FailureCase {
  name: string;
  start: () => TestServer | Promise<TestServer>;
  length: number;
  message: RegExp;
}

const FAILURES: FailureCase[] = [
  {
    name: "a status other than 200",
    start: () => denoServe(() => new Response(HELLO, { status: 404 })),
    length: 12,
    message: /status 404/,
  },
  {
    name: "a body of the wrong length",
    start: () => denoServe(() => new Response(HELLO)),
    length: 13,
    message: /body of 12 bytes, expected 13/,
  },
  {
    name: "a bad chunk size",
    start: () =>
      rawServer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n0\r\n\r\n", false),
    length: 12,
    message: /chunk size/,
  },
  {
    name: "a connection closed without Connection: close",
    start: () => rawServer(`HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n${HELLO}`, true),
    length: 12,
    message: /closed the connection/,
  },
];

for (const generator of ["serial", "pipelined"] as const) {
  for (const c of CASES) {
    Deno.test(`${generator} generator counts every response: ${c.name}`, async () => {
      const server = await c.start();
      try {
        const run = await generate(generator, server.port, c.length);
        assert.equal(run.code, 0, run.stderr);
        const total = CONNECTIONS * COUNT;
        assert.deepEqual(
          run.result && {
            responses: run.result.responses,
            connects: run.result.connects,
            closedByServer: run.result.closedByServer,
          },
          {
            responses: total,
            // A connection per response when each closes; else one per client connection.
            connects: c.closes ? total : CONNECTIONS,
            closedByServer: c.closes ? total : 0,
          },
        );
      } finally {
        await server.close();
      }
    });
  }
  for (const f of FAILURES) {
    Deno.test(`${generator} generator fails loudly on ${f.name}`, async () => {
      const server = await f.start();
      try {
        const run = await generate(generator, server.port, f.length);
        assert.equal(run.code, 1, `exit ${run.code}, stderr: ${run.stderr}`);
        assert.equal(run.result, null);
        assert.match(run.stderr, f.message);
      } finally {
        await server.close();
      }
    });
  }
}
