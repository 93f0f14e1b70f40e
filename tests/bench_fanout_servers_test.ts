/**
 * The servers of `bench/fanout.ts` under its own generator
 * (`bench/_fanout_load.mjs`), small: each must deliver every message to
 * every subscriber (the generator stops when a message stays incomplete),
 * or the table would measure a server that is not doing the work. The `ws`
 * server is left out: it needs `ws` installed from npm.
 *
 * The generator's permessage-deflate path is checked against a raw server
 * written here, which compresses right (with and without context
 * takeover) or wrong: a message whose content changed, and a server that
 * says `server_no_context_takeover` but keeps its context. The generator
 * must refuse both.
 */
import assert from "node:assert/strict";
import { constants, deflateRawSync } from "node:zlib";
import { MessageDeflater } from "../compression/deflate_codec.ts";
import { requireTool, runProcess, startProcess } from "./_process.ts";

const DENO = [Deno.execPath(), "run", "--allow-net=127.0.0.1"];

interface Case {
  command: string[];
  /** `--deflate` of the generator. */
  offer?: "browser" | "no-context";
  /** What the server must answer in `Sec-WebSocket-Extensions`. */
  extension?: string;
}

const SERVERS: Record<string, Case> = {
  "ours, PubSub": { command: [...DENO, "bench/fanout_server.ts"] },
  "ours, Broadcaster": { command: [...DENO, "bench/fanout_server.ts", "--impl", "broadcaster"] },
  "Deno native": { command: [...DENO, "bench/fanout_native.ts"] },
  "Bun": { command: ["bun", "bench/fanout_bun.ts"] },
  "ours, PubSub, deflate without context": {
    command: [...DENO, "bench/fanout_server.ts", "--deflate", "no-context"],
    // The server resets its context whatever the client offers.
    offer: "browser",
    extension: "permessage-deflate; server_no_context_takeover",
  },
  "ours, PubSub, deflate with context takeover": {
    command: [...DENO, "bench/fanout_server.ts", "--deflate", "takeover"],
    offer: "browser",
    extension: "permessage-deflate",
  },
  "Bun, deflate, shared compressor": {
    command: ["bun", "bench/fanout_bun.ts", "--deflate", "shared"],
    offer: "no-context",
    extension: "permessage-deflate; client_no_context_takeover; server_no_context_takeover",
  },
  "Bun, deflate, dedicated compressor": {
    command: ["bun", "bench/fanout_bun.ts", "--deflate", "dedicated"],
    offer: "browser",
    extension: "permessage-deflate; client_no_context_takeover",
  },
};

/** Run the generator against `port`: 50 subscribers, 64-byte messages (under any default threshold). */
function load(port: string | number, offer = "off", subscribers = 50) {
  return runProcess("node", [
    "bench/_fanout_load.mjs",
    "--port",
    String(port),
    "--subscribers",
    String(subscribers),
    "--size",
    "64",
    "--warmup",
    "200",
    "--duration",
    "500",
    "--deflate",
    offer,
  ]);
}

/** The generator's result line, checked: every message reached every subscriber. */
function checkResult(code: number, output: string) {
  assert.equal(code, 0, output);
  const result = JSON.parse(output.trim().split("\n").at(-1)!);
  // A message lost for one subscriber would stop the window of 32 for good.
  assert.ok(result.completed >= 100, `only ${result.completed} messages reached everyone`);
  assert.ok(result.published - result.completed <= 32, output);
  assert.ok(result.deliveries > 0, output);
  return result;
}

for (const [name, { command: [command, ...args], offer, extension }] of Object.entries(SERVERS)) {
  Deno.test(`bench/fanout.ts's ${name} server delivers every message to 50 subscribers`, async () => {
    if (command === "bun") await requireTool("bun", "see https://bun.sh");
    await requireTool("node", "apt-get install nodejs");
    const server = await startProcess(command!, [...args, "--port", "0"], /listening on (\d+)/);
    try {
      const { code, output } = await load(server.match[1]!, offer);
      const result = checkResult(code, output);
      assert.equal(result.extension, extension ?? "");
      // With deflate, every message came compressed, however small.
      assert.equal(result.compressed, offer === undefined ? 0 : result.deliveries);
    } finally {
      await server.stop();
    }
  });
}

// ------------------------------------------------------- a raw server

/**
 * How the raw server compresses what `/pub` sends for its `/sub` sockets:
 * - `"no-context"`: each message on its own, and says so
 *   (`server_no_context_takeover`);
 * - `"takeover"`: one context per connection, as RFC 7692 allows by default;
 * - `"corrupt"`: as `"no-context"`, with one byte of the content changed;
 * - `"lying"`: keeps a context per connection but says
 *   `server_no_context_takeover`.
 */
type Mode = "no-context" | "takeover" | "corrupt" | "lying";

const _GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

async function accept(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(key + _GUID));
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}

/** A server frame: FIN, binary, RSV1 (compressed), unmasked. */
function compressedFrame(payload: Uint8Array): Uint8Array {
  const header = payload.length < 126 ? [0xc2, payload.length] : [
    0xc2,
    126,
    payload.length >> 8,
    payload.length & 0xff,
  ];
  const frame = new Uint8Array(header.length + payload.length);
  frame.set(header);
  frame.set(payload, header.length);
  return frame;
}

/** Client frames (masked) of one stream, as payloads; fragments and control frames are not expected. */
function* clientFrames(buffer: { bytes: Uint8Array }): Generator<Uint8Array> {
  for (;;) {
    const bytes = buffer.bytes;
    if (bytes.length < 2) return;
    let length = bytes[1]! & 0x7f;
    let header = 2;
    if (length === 126) {
      if (bytes.length < 4) return;
      length = (bytes[2]! << 8) | bytes[3]!;
      header = 4;
    }
    if (bytes.length < header + 4 + length) return;
    const mask = bytes.subarray(header, header + 4);
    const payload = bytes.slice(header + 4, header + 4 + length);
    for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i & 3]!;
    buffer.bytes = bytes.subarray(header + 4 + length);
    yield payload;
  }
}

/** A server for `bench/_fanout_load.mjs`: `/sub` sockets get what `/pub` sends, compressed by `mode`. */
function rawServer(mode: Mode) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const subscribers = new Set<(payload: Uint8Array) => void>();
  const extension = mode === "takeover"
    ? "permessage-deflate"
    : "permessage-deflate; server_no_context_takeover";
  const compressors: MessageDeflater[] = [];
  // A sync flush ends with 00 00 ff ff, which the sender removes (RFC 7692 §7.2.1).
  const deflate = (payload: Uint8Array) =>
    deflateRawSync(payload, { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);
  const compressor = (): (payload: Uint8Array) => Uint8Array => {
    if (mode === "no-context") return deflate;
    if (mode === "corrupt") {
      return (payload) => {
        const changed = payload.slice();
        changed[changed.length - 1]! ^= 0x01;
        return deflate(changed);
      };
    }
    const deflater = new MessageDeflater({ noContextTakeover: false });
    compressors.push(deflater);
    return (payload) => deflater.deflate(payload);
  };
  const handle = async (conn: Deno.Conn) => {
    const buffer = { bytes: new Uint8Array(0) };
    const chunk = new Uint8Array(64 * 1024);
    let path: string | undefined;
    let writes = Promise.resolve();
    const write = (bytes: Uint8Array) => {
      writes = writes.then(async () => {
        for (let sent = 0; sent < bytes.length;) sent += await conn.write(bytes.subarray(sent));
      }).catch(() => {});
    };
    for (;;) {
      const n = await conn.read(chunk).catch(() => null);
      if (n === null) break;
      const joined = new Uint8Array(buffer.bytes.length + n);
      joined.set(buffer.bytes);
      joined.set(chunk.subarray(0, n), buffer.bytes.length);
      buffer.bytes = joined;
      if (path === undefined) {
        const text = new TextDecoder().decode(buffer.bytes);
        const end = text.indexOf("\r\n\r\n");
        if (end === -1) continue;
        path = text.split(" ")[1]!;
        const key = /sec-websocket-key: *(\S+)/i.exec(text)![1]!;
        buffer.bytes = buffer.bytes.subarray(end + 4);
        write(new TextEncoder().encode(
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            `Sec-WebSocket-Accept: ${await accept(key)}\r\n` +
            (path === "/sub" ? `Sec-WebSocket-Extensions: ${extension}\r\n` : "") + "\r\n",
        ));
        if (path === "/sub") {
          const compress = compressor();
          subscribers.add((payload) => write(compressedFrame(compress(payload))));
        }
      }
      if (path === "/pub") {
        for (const payload of clientFrames(buffer)) {
          for (const send of subscribers) send(payload);
        }
      }
    }
    await writes;
    conn.close();
  };
  const connections: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) connections.push(handle(conn));
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    /** Once the generator exited: its connections are ending. */
    async close() {
      listener.close();
      await accepting;
      await Promise.allSettled(connections);
      for (const deflater of compressors) deflater.close();
    },
  };
}

for (const mode of ["no-context", "takeover"] as const) {
  Deno.test(`bench/_fanout_load.mjs inflates a ${mode} server's messages`, async () => {
    await requireTool("node", "apt-get install nodejs");
    const server = rawServer(mode);
    try {
      const { code, output } = await load(server.port, "browser", 20);
      const result = checkResult(code, output);
      assert.equal(result.compressed, result.deliveries);
    } finally {
      await server.close();
    }
  });
}

Deno.test("bench/_fanout_load.mjs refuses a message whose content changed", async () => {
  await requireTool("node", "apt-get install nodejs");
  const server = rawServer("corrupt");
  try {
    const { code, output } = await load(server.port, "browser", 20);
    assert.notEqual(code, 0, output);
    assert.match(output, /got a wrong message \(64 bytes, inflated\)/);
  } finally {
    await server.close();
  }
});

Deno.test("bench/_fanout_load.mjs refuses messages compressed with a context the server denied keeping", async () => {
  await requireTool("node", "apt-get install nodejs");
  const server = rawServer("lying");
  try {
    const { code, output } = await load(server.port, "browser", 20);
    assert.notEqual(code, 0, output);
    assert.match(output, /inflate failed: invalid distance too far back|got a wrong message/);
  } finally {
    await server.close();
  }
});
