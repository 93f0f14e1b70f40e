/**
 * The inspect command as a subprocess, on captures that real clients wrote
 * over loopback: this module's client, and npm:ws with permessage-deflate,
 * recorded by a TCP tap between the client and the server.
 */
import assert from "node:assert/strict";
import { WebSocket as WsClient, WebSocketServer as WsServer } from "ws";
import { WebSocketStream } from "../mod.ts";
import { startEchoServer } from "../tests/_servers.ts";
import { concat } from "../tests/_random.ts";

const CLI = new URL("./inspect.ts", import.meta.url).pathname;

/**
 * A TCP tap on loopback: accepts one connection, connects it to `port`, and
 * records the bytes the client writes, in order.
 */
function startTap(port: number) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const recorded: Uint8Array[] = [];
  const done = (async () => {
    const inbound = await listener.accept();
    const outbound = await Deno.connect({ hostname: "127.0.0.1", port });
    const record = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        recorded.push(chunk.slice());
        controller.enqueue(chunk);
      },
    });
    await Promise.allSettled([
      inbound.readable.pipeThrough(record).pipeTo(outbound.writable),
      outbound.readable.pipeTo(inbound.writable),
    ]);
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    /** Wait for both directions to end (bounded), then stop listening. */
    async close(): Promise<Uint8Array> {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise((resolve) => timer = setTimeout(resolve, 10_000));
      await Promise.race([done, timeout]);
      clearTimeout(timer);
      listener.close();
      return concat(recorded);
    },
  };
}

async function runCli(args: string[], stdin?: Uint8Array) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", CLI, ...args],
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(stdin);
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  return {
    code,
    stdout: new TextDecoder().decode(stdout),
    stderr: new TextDecoder().decode(stderr),
  };
}

async function tempFile(bytes: Uint8Array): Promise<string> {
  const path = await Deno.makeTempFile({ prefix: "edgews-capture-" });
  await Deno.writeFile(path, bytes);
  return path;
}

/** What our own decoding of the capture says about frame `n`: offset and masking key. */
function maskKeyAt(capture: Uint8Array, offset: number): string {
  const code = capture[offset + 1]! & 0x7f;
  const at = offset + 2 + (code === 126 ? 2 : code === 127 ? 8 : 0);
  return [...capture.subarray(at, at + 4)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("inspect: a capture of this module's client, demasked", async () => {
  const server = startEchoServer();
  const tap = startTap(server.addr.port);
  let capture: Uint8Array;
  try {
    const wss = new WebSocketStream(`ws://127.0.0.1:${tap.port}/`, { fragmentSize: 16 });
    const { readable, writable } = await wss.opened;
    const writer = writable.getWriter();
    const reader = readable.getReader();
    await writer.write("Hello, inspector");
    assert.equal((await reader.read()).value, "Hello, inspector");
    await writer.write(new Uint8Array([1, 2, 3, 0xff]));
    await reader.read();
    await writer.write("fragmented: more than sixteen bytes"); // 3 frames of at most 16
    await reader.read();
    await writer.write("x".repeat(300));
    await reader.read();
    wss.close({ closeCode: 1000, reason: "bye" });
    const closed = await wss.closed;
    assert.equal(closed.closeCode, 1000);
  } finally {
    capture = await tap.close();
    await server.shutdown();
  }
  const head = new TextDecoder().decode(capture).indexOf("\r\n\r\n") + 4;
  assert.ok(head > 4, "the capture starts with the client's handshake");
  const path = await tempFile(capture);
  try {
    const { code, stdout, stderr } = await runCli(["--skip-http", "--from", "client", path]);
    assert.equal(stderr, "");
    assert.equal(code, 0, stdout);
    const lines = stdout.trimEnd().split("\n");
    assert.equal(lines[0], `${path}: ${capture.length} bytes`);
    assert.equal(lines[1], `skipped the HTTP head (${head} bytes): GET / HTTP/1.1`);
    // Every masking key printed is the one on the wire, and a fresh one per frame.
    const headers = lines.filter((line) => line.startsWith("#"));
    const keys = headers.map((line) => {
      const [, offset, key] = /^#\d+ @(\d+) .* mask=([0-9a-f]{8})$/.exec(line)!;
      assert.equal(key, maskKeyAt(capture, Number(offset)), line);
      return key;
    });
    assert.equal(new Set(keys).size, keys.length);
    const shape = headers.map((line) =>
      line.replace(/ mask=[0-9a-f]{8}$/, "").replace(/ @\d+/, "")
    );
    assert.deepEqual(shape, [
      "#1 text fin=1 rsv=000 len=16",
      "#2 binary fin=1 rsv=000 len=4",
      "#3 text fin=0 rsv=000 len=16",
      "#4 continuation fin=0 rsv=000 len=16",
      "#5 continuation fin=1 rsv=000 len=3",
      ...Array.from(
        { length: 19 },
        (_, i) =>
          `#${6 + i} ${i === 0 ? "text" : "continuation"} fin=${+(i === 18)} rsv=000 len=${
            i === 18 ? 12 : 16
          }`,
      ),
      "#25 close fin=1 rsv=000 len=5",
    ]);
    assert.equal(headers[0]!.split(" ")[1], `@${head}`);
    assert.equal(lines[3], '   "Hello, inspector"');
    assert.equal(lines[5], "   hex 01 02 03 ff");
    assert.ok(
      lines.includes('   = text message (3 frames): "fragmented: more than sixteen bytes"'),
    );
    assert.ok(
      lines.includes(`   = text message (19 frames): "${"x".repeat(200)}"... (100 more bytes)`),
    );
    assert.equal(lines.at(-2), '   close 1000 (normal closure) "bye"');
    assert.equal(lines.at(-1), "25 frame(s), 0 protocol error(s)");

    // --full shows the whole 300-byte message; as a server's frames they break the masking rule.
    const full = await runCli(["--skip-http", "--full", path]);
    assert.ok(full.stdout.includes(`(19 frames): "${"x".repeat(300)}"\n`));
    const wrongSide = await runCli(["--skip-http", "--from", "server", path]);
    assert.equal(wrongSide.code, 1);
    assert.match(
      wrongSide.stdout,
      new RegExp(
        `!! @${head} 1002 \\(protocol error\\): Invalid frame: masked frame received from the server\n`,
      ),
    );
    // Without --skip-http the head is not taken for frames silently.
    const noSkip = await runCli([path]);
    assert.match(noSkip.stdout, /the capture starts with an HTTP head: use --skip-http/);
    assert.equal(noSkip.code, 1);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("inspect: a hex dump, from a file and from standard input", async () => {
  // RFC 6455 §5.7's examples, as `xxd` prints them: a masked "Hello", a
  // fragmented unmasked "Hello", a ping, and then a frame with RSV2 set.
  const dump = "00000000: 8185 37fa 213d 7f9f 4d51 5801 0348 656c  ..7.!=..MQX..Hel\n" +
    "00000010: 8002 6c6f 8905 4865 6c6c 6fa1 00         ..lo..Hello..\n";
  const expected = [
    "#1 @0 text fin=1 rsv=000 len=5 mask=37fa213d",
    '   "Hello"',
    "#2 @11 text fin=0 rsv=000 len=3 mask=none",
    '   "Hel"',
    "#3 @16 continuation fin=1 rsv=000 len=2 mask=none",
    '   "lo"',
    '   = text message (2 frames): "Hello"',
    "#4 @20 ping fin=1 rsv=000 len=5 mask=none",
    '   hex 48 65 6c 6c 6f  "Hello"',
    "!! @27 1002 (protocol error): Invalid frame: reserved bits 0x20 set without a negotiated extension",
    "   (a receiver fails the connection here; nothing from byte 27 on is decoded)",
    "4 frame(s), 1 protocol error(s), 2 byte(s) not decoded",
  ];
  const path = await tempFile(new TextEncoder().encode(dump));
  try {
    const fromFile = await runCli([path]);
    assert.equal(fromFile.code, 1);
    assert.deepEqual(fromFile.stdout.trimEnd().split("\n"), [
      `${path}: 29 bytes (from a hex dump of ${dump.length} characters)`,
      ...expected,
    ]);
    const fromStdin = await runCli(["--hex", "-"], new TextEncoder().encode(dump));
    assert.deepEqual(fromStdin.stdout.trimEnd().split("\n"), [
      `-: 29 bytes (from a hex dump of ${dump.length} characters)`,
      ...expected,
    ]);
  } finally {
    await Deno.remove(path);
  }
  const bad = await runCli(["--hex", "-"], new TextEncoder().encode("81 8"));
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /odd number of hex digits/);
  const usage = await runCli(["--window-bits", "7", "--deflate", "x"]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--window-bits must be 8 to 15/);
});

Deno.test("inspect: --deflate on a capture of npm:ws with permessage-deflate", async () => {
  const server = new WsServer({ host: "127.0.0.1", port: 0, perMessageDeflate: { threshold: 0 } });
  await new Promise((resolve) => server.once("listening", resolve));
  server.on("connection", (peer: WsClient) => {
    peer.on(
      "message",
      (data: Uint8Array, isBinary: boolean) => peer.send(data, { binary: isBinary }),
    );
  });
  const tap = startTap((server.address() as { port: number }).port);
  let capture: Uint8Array;
  try {
    const client = new WsClient(`ws://127.0.0.1:${tap.port}/`, {
      perMessageDeflate: { threshold: 0 },
    });
    await new Promise((resolve, reject) => {
      client.once("open", resolve);
      client.once("error", reject);
    });
    assert.match(client.extensions, /permessage-deflate/);
    const echoes: unknown[] = [];
    client.on("message", (data: unknown) => echoes.push(data));
    const sent = (data: string | Uint8Array, options: { fin?: boolean; binary?: boolean } = {}) =>
      new Promise<void>((resolve, reject) =>
        client.send(data, options, (error?: Error) => error ? reject(error) : resolve())
      );
    await sent("hello hello hello hello");
    await sent("hello hello hello hello, again"); // refers back into the first message
    await sent(new Uint8Array([9, 8, 7]), { binary: true });
    await sent("part one, ", { fin: false });
    await sent("part two", { fin: true });
    const closed = new Promise((resolve) => client.once("close", resolve));
    client.close(1000, "done");
    await closed;
    assert.equal(echoes.length, 4);
  } finally {
    capture = await tap.close();
    await new Promise((resolve) => server.close(resolve));
  }
  const path = await tempFile(capture);
  try {
    const { code, stdout } = await runCli(["--skip-http", "--deflate", "--from", "client", path]);
    assert.equal(code, 0, stdout);
    const lines = stdout.trimEnd().split("\n");
    const headers = lines.filter((line) => line.startsWith("#"))
      .map((line) => line.replace(/ @\d+/, "").replace(/ len=\d+ mask=[0-9a-f]{8}$/, ""));
    assert.deepEqual(headers, [
      "#1 text fin=1 rsv=100",
      "#2 text fin=1 rsv=100",
      "#3 binary fin=1 rsv=100",
      "#4 text fin=0 rsv=100",
      "#5 continuation fin=1 rsv=000",
      "#6 close fin=1 rsv=000",
    ]);
    const messages = lines.filter((line) => line.startsWith("   = "))
      .map((line) => line.replace(/inflated \d+ -> /, "inflated to "));
    assert.deepEqual(messages, [
      '   = text message (inflated to 23 bytes): "hello hello hello hello"',
      '   = text message (inflated to 30 bytes): "hello hello hello hello, again"',
      "   = binary message (inflated to 3 bytes): hex 09 08 07",
      '   = text message (2 frames, inflated to 18 bytes): "part one, part two"',
    ]);
    assert.equal(lines.at(-2), '   close 1000 (normal closure) "done"');
    // The second message needs the first one's context: without it, it does not inflate.
    const reset = await runCli(["--skip-http", "--deflate", "--no-context-takeover", path]);
    assert.equal(reset.code, 1);
    assert.match(reset.stdout, /1007 \(invalid payload data\): Invalid compressed message: /);
    // Without --deflate, RSV1 is a protocol error, with a hint.
    const plain = await runCli(["--skip-http", path]);
    assert.equal(plain.code, 1);
    assert.match(
      plain.stdout,
      /1002 \(protocol error\): Invalid frame: reserved bits 0x40 set without a negotiated extension \(if permessage-deflate was negotiated, inspect with deflate on\)/,
    );
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("deno task inspect reads a relative path from the directory it was started in", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // RFC 6455 §5.7's masked "Hello", as a hex dump.
    await Deno.writeTextFile(`${dir}/capture.hex`, "81 85 37 fa 21 3d 7f 9f 4d 51 58\n");
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "task",
        "--config",
        new URL("../deno.json", import.meta.url).pathname,
        "inspect",
        "--",
        "capture.hex",
      ],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
      // Without the INIT_CWD of an outer `deno task test`, which deno task keeps.
      clearEnv: true,
      env: {
        NO_COLOR: "1",
        PATH: Deno.env.get("PATH") ?? "",
        HOME: Deno.env.get("HOME") ?? "",
        ...(Deno.env.has("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
      },
    }).output();
    const out = new TextDecoder().decode(stdout);
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    assert.match(out, /^capture\.hex: 11 bytes/);
    assert.match(out, /"Hello"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
