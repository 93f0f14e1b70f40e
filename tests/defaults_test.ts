/**
 * Every documented default is defined once and is what the code uses:
 * the `@default` of each option (read from the source) names the value of
 * its defaults constant; no library file applies a default of those
 * options as a literal (`options.x ?? 5000`) instead of the constant; and
 * where a default is observable without waiting for it, a server or client
 * made without options enforces exactly that value.
 */
import assert from "node:assert/strict";
import { LAYERS } from "./_layers.ts";
import { withStubbedIntervals } from "./_timers.ts";
import { PubSub } from "../pubsub/pubsub.ts";
import { Broadcaster } from "../broadcast/broadcaster.ts";
import { type BroadcastMember, SLOW_MEMBER_DEFAULTS } from "../broadcast/slow_member.ts";
import { DEFLATE_DEFAULTS } from "../compression/deflate_codec.ts";
import { PER_MESSAGE_DEFLATE_DEFAULTS } from "../compression/per_message_deflate.ts";
import {
  CLIENT_DEFAULTS,
  CONNECTION_DEFAULTS,
  WEBSOCKET_STREAM_DEFAULTS,
} from "../connection/connection_options.ts";
import { HEARTBEAT_DEFAULTS } from "../connection/heartbeat.ts";
import {
  type ConnectionCloseEvent,
  WebSocketConnection,
} from "../connection/websocket_connection.ts";
import { DEFAULT_MAX_PAYLOAD } from "../frames/frame_decoder.ts";
import { FrameCollector } from "../frames/frame_collector.ts";
import { FrameDecoder } from "../frames/frame_decoder.ts";
import { Opcode } from "../frames/opcode.ts";
import { DEFAULT_MAX_HEAD_SIZE, DEFAULT_MAX_HEADERS } from "../http/http_head.ts";
import { WebSocketProtocol } from "../protocol/websocket_protocol.ts";
import { BROADCAST_CHANNEL_ENGINE_DEFAULTS } from "../pubsub/broadcast_channel_engine.ts";
import { MEMORY_ENGINE_DEFAULTS } from "../pubsub/history_options.ts";
import { MemoryEngine } from "../pubsub/memory_engine.ts";
import { REDIS_ENGINE_DEFAULTS } from "../pubsub/redis_engine.ts";
import { REDIS_DEFAULTS } from "../pubsub/redis_options.ts";
import { RESP_DECODER_DEFAULTS } from "../pubsub/resp.ts";
import { SERVE_DEFAULTS } from "../server/serve_options.ts";
import { serve } from "../server/serve.ts";
import { connect } from "../transports/mod.ts";
import { upgradeWebSocket } from "../transports/upgrade_websocket.ts";
import { RawHttp } from "./_http_raw.ts";
import { openRaw } from "./_raw_client.ts";

const root = new URL("../", import.meta.url);

/** One documented default: where its `@default` is, and the text it must have. */
interface Row {
  file: string;
  /** The interfaces to look for the field in, in order. */
  interfaces: string[];
  field: string;
  expected: string;
}

/** A value as a `@default` writes it: numbers and Infinity bare, strings quoted. */
function literal(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** One row per key of `defaults`. */
function family(file: string, interfaces: string[], defaults: object): Row[] {
  return Object.entries(defaults).map(([field, value]) => ({
    file,
    interfaces,
    field,
    expected: literal(value),
  }));
}

const HEARTBEAT_TEXT =
  `{ interval: ${HEARTBEAT_DEFAULTS.interval}, maxMissedPongs: ${HEARTBEAT_DEFAULTS.maxMissedPongs} } for servers, false for clients`;

const ROWS: Row[] = [
  // Message limits: one constant from the frame decoder up.
  ...[
    "frames/frame_decoder.ts:FrameDecoderOptions:maxFrameSize",
    "messages/message_assembler.ts:MessageAssemblerOptions:maxMessageSize",
    "protocol/websocket_protocol.ts:MessageLimits:maxMessageSize",
    "inspector/frame_inspector.ts:FrameInspectorOptions:maxFrameSize",
    "inspector/frame_inspector.ts:FrameInspectorOptions:maxMessageSize",
  ].map((spec) => {
    const [file, iface, field] = spec.split(":") as [string, string, string];
    return { file, interfaces: [iface], field, expected: literal(DEFAULT_MAX_PAYLOAD) };
  }),
  ...family("connection/connection_options.ts", ["ConnectionOptions", "MessageLimits"], {
    ...CONNECTION_DEFAULTS,
  }).map((row) =>
    row.field === "maxMessageSize" ? { ...row, file: "protocol/websocket_protocol.ts" } : row
  ),
  {
    file: "connection/connection_options.ts",
    interfaces: ["ConnectionOptions"],
    field: "heartbeat",
    expected: HEARTBEAT_TEXT,
  },
  {
    file: "connection/heartbeat.ts",
    interfaces: ["HeartbeatOptions"],
    field: "maxMissedPongs",
    expected: literal(HEARTBEAT_DEFAULTS.maxMissedPongs),
  },
  ...family("connection/connection_options.ts", ["ClientOptions"], CLIENT_DEFAULTS),
  ...family(
    "connection/websocket_stream.ts",
    ["WebSocketStreamOptions"],
    WEBSOCKET_STREAM_DEFAULTS,
  ),
  ...family("http/http_head.ts", ["HeadLimits"], {
    maxHeadSize: DEFAULT_MAX_HEAD_SIZE,
    maxHeaders: DEFAULT_MAX_HEADERS,
  }),
  ...family("server/serve_options.ts", ["ServeOptions"], SERVE_DEFAULTS),
  ...family("compression/deflate_codec.ts", ["DeflaterOptions"], DEFLATE_DEFAULTS),
  ...family("compression/deflate_codec.ts", ["InflaterOptions"], {
    windowBits: DEFLATE_DEFAULTS.windowBits,
  }),
  ...family(
    "compression/per_message_deflate.ts",
    ["PerMessageDeflateConfig"],
    PER_MESSAGE_DEFLATE_DEFAULTS,
  ),
  ...family("broadcast/slow_member.ts", ["SlowMemberOptions"], SLOW_MEMBER_DEFAULTS),
  ...family("pubsub/history_options.ts", ["MemoryEngineOptions"], MEMORY_ENGINE_DEFAULTS),
  ...family(
    "pubsub/broadcast_channel_engine.ts",
    ["BroadcastChannelEngineOptions"],
    BROADCAST_CHANNEL_ENGINE_DEFAULTS,
  ),
  ...family(
    "pubsub/redis_options.ts",
    ["RedisConnectionOptions", "RedisClientOptions"],
    REDIS_DEFAULTS,
  ),
  ...family("pubsub/redis_engine.ts", ["RedisEngineOptions"], REDIS_ENGINE_DEFAULTS),
  ...family("pubsub/resp.ts", ["RespDecoderOptions"], RESP_DECODER_DEFAULTS),
];

/** The body of `export interface name ... {` up to its closing brace at column 0. */
function interfaceBody(source: string, name: string): string | undefined {
  const start = new RegExp(`^export interface ${name}\\b[^{]*\\{`, "m").exec(source);
  if (start === null) return undefined;
  const from = start.index + start[0].length;
  const end = source.indexOf("\n}", from);
  return source.slice(from, end);
}

/** The `@default {...}` text of `field` in `body` (braces balanced), or undefined. */
function documentedDefault(body: string, field: string): string | undefined {
  const declaration = new RegExp(`\\n  ${field}\\??:`).exec(body);
  if (declaration === null) return undefined;
  const before = body.slice(0, declaration.index);
  const docEnd = before.lastIndexOf("*/");
  const docStart = before.lastIndexOf("/**");
  // The comment must sit right above the declaration.
  if (docEnd < docStart || before.slice(docEnd + 2).trim() !== "") return undefined;
  const doc = before.slice(docStart, docEnd);
  const at = doc.indexOf("@default {");
  if (at === -1) return undefined;
  let depth = 0;
  for (let i = at + "@default ".length; i < doc.length; i++) {
    if (doc[i] === "{") depth++;
    else if (doc[i] === "}" && --depth === 0) {
      return doc.slice(at + "@default {".length, i).replace(/\s*\n\s*\*\s*/g, " ");
    }
  }
  return undefined;
}

Deno.test("each option's @default names its defaults constant's value", async () => {
  const sources = new Map<string, string>();
  const problems: string[] = [];
  for (const row of ROWS) {
    let source = sources.get(row.file);
    if (source === undefined) {
      source = await Deno.readTextFile(new URL(row.file, root));
      sources.set(row.file, source);
    }
    let found: string | undefined;
    for (const name of row.interfaces) {
      const body = interfaceBody(source, name);
      if (body !== undefined) found ??= documentedDefault(body, row.field);
    }
    if (found !== row.expected) {
      problems.push(
        `${row.file} ${
          row.interfaces.join("/")
        }.${row.field}: @default {${found}}, the code uses {${row.expected}}`,
      );
    }
  }
  assert.ok(ROWS.length > 50, `only ${ROWS.length} rows: the table is broken`);
  assert.deepEqual(problems, []);
});

/**
 * Literal defaults left on purpose, by file and field: 15 is RFC 7692's
 * largest window, which the handshake and the inspector (below
 * `compression/`) name on their own.
 */
const LITERAL_ALLOWED = new Set([
  "inspector/frame_inspector.ts:windowBits",
]);

Deno.test("no library file applies a documented default as a literal", async () => {
  const fields = new Set(ROWS.map((row) => row.field));
  const pattern =
    /\b\w+\??\.(\w+) \?\? (-?[0-9][0-9_]*(?: \* [0-9_]+)*|"[^"]*"|Infinity)(?![\w.])/g;
  const problems: string[] = [];
  let scanned = 0;
  for (const folder of LAYERS) {
    for await (const entry of Deno.readDir(new URL(`${folder}/`, root))) {
      if (!entry.name.endsWith(".ts") || entry.name.endsWith("_test.ts")) continue;
      const file = `${folder}/${entry.name}`;
      const source = await Deno.readTextFile(new URL(file, root));
      scanned++;
      for (const [text, field] of source.matchAll(pattern)) {
        if (fields.has(field!) && !LITERAL_ALLOWED.has(`${file}:${field}`)) {
          problems.push(`${file}: ${text}`);
        }
      }
    }
  }
  assert.ok(scanned > 100, `only ${scanned} files scanned: the scan is broken`);
  assert.deepEqual(problems, []);
});

/** A masked frame header announcing `length` payload bytes (mask key 0). */
function binaryHeader(length: number): Uint8Array {
  const header = new Uint8Array(14);
  header[0] = 0x82;
  header[1] = 0x80 | 127;
  new DataView(header.buffer).setBigUint64(2, BigInt(length));
  return header;
}

Deno.test("the protocol takes a frame of the default maxMessageSize and fails one byte more", () => {
  const atLimit = new WebSocketProtocol({ role: "server" });
  atLimit.receiveData(binaryHeader(DEFAULT_MAX_PAYLOAD));
  atLimit.receiveData(new Uint8Array(16));
  assert.equal(atLimit.error, undefined);
  const over = new WebSocketProtocol({ role: "server" });
  over.receiveData(binaryHeader(DEFAULT_MAX_PAYLOAD + 1));
  assert.equal(over.error?.closeCode, 1009);
});

Deno.test("a server socket with no options closes a frame over maxMessageSize with 1009", async () => {
  const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    return upgradeWebSocket(request).response;
  });
  const conn = await openRaw(server.addr.port);
  try {
    await conn.write(binaryHeader(CONNECTION_DEFAULTS.maxMessageSize + 1));
    let bytes = new Uint8Array(0);
    const buffer = new Uint8Array(256);
    // Bounded: the server answers with a close frame and closes TCP.
    while (bytes.length < 4) {
      const n = await conn.read(buffer);
      if (n === null) break;
      bytes = new Uint8Array([...bytes, ...buffer.subarray(0, n)]);
    }
    assert.equal(bytes[0], 0x88, "a close frame");
    assert.equal((bytes[2]! << 8) | bytes[3]!, 1009);
  } finally {
    conn.close();
    await server.shutdown();
  }
});

/** A connection over in-memory pipes whose peer never writes; counts pings sent to it. */
function silentPeer(role: "client" | "server") {
  const toConnection = new TransformStream<Uint8Array, Uint8Array>();
  const toPeer = new TransformStream<Uint8Array, Uint8Array>();
  let pings = 0;
  const decoder = new FrameDecoder(
    new FrameCollector((frame) => {
      if (frame.opcode === Opcode.Ping) pings++;
    }),
    { role: role === "server" ? "client" : "server" },
  );
  void toPeer.readable.pipeTo(new WritableStream({ write: (chunk) => void decoder.write(chunk) }));
  let closed: ConnectionCloseEvent | undefined;
  const connection = new WebSocketConnection(
    { readable: toConnection.readable, writable: toPeer.writable },
    { onMessage() {}, onClose: (event) => closed = event },
    { role },
  );
  return { connection, pings: () => pings, closed: () => closed };
}

/** Let the in-memory pipes move what a tick wrote. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("a server connection pings every default interval and drops after maxMissedPongs", async () => {
  await withStubbedIntervals(async (timers) => {
    const peer = silentPeer("server");
    peer.connection.start();
    assert.equal(timers.size, 1);
    const [timer] = [...timers.values()];
    let elapsed = 0;
    let firstPingAt: number | undefined;
    // Bounded: at most ten intervals of ticks.
    while (peer.closed() === undefined && elapsed < 10 * HEARTBEAT_DEFAULTS.interval) {
      timer!.tick();
      elapsed += timer!.ms;
      await settle();
      if (peer.pings() > 0) firstPingAt ??= elapsed;
    }
    assert.equal(firstPingAt, HEARTBEAT_DEFAULTS.interval);
    assert.equal(peer.pings(), HEARTBEAT_DEFAULTS.maxMissedPongs);
    assert.equal(elapsed, (HEARTBEAT_DEFAULTS.maxMissedPongs + 1) * HEARTBEAT_DEFAULTS.interval);
    assert.equal(peer.closed()?.closeCode, 1006);
  });
});

Deno.test("a client connection runs no heartbeat by default", async () => {
  await withStubbedIntervals(async (timers) => {
    const peer = silentPeer("client");
    peer.connection.start();
    assert.equal(timers.size, 0);
    peer.connection.terminate();
    await peer.connection.closed;
  });
});

Deno.test("close() waits the default closeTimeout for the peer", async () => {
  const peer = silentPeer("server");
  peer.connection.start();
  const delays: number[] = [];
  const realSetTimeout = globalThis.setTimeout;
  globalThis.setTimeout = ((callback: () => void, ms?: number) => {
    delays.push(ms ?? 0);
    return realSetTimeout(callback, ms);
  }) as typeof setTimeout;
  try {
    peer.connection.close(1000);
  } finally {
    globalThis.setTimeout = realSetTimeout;
  }
  assert.deepEqual(delays, [CONNECTION_DEFAULTS.closeTimeout]);
  peer.connection.terminate();
  await peer.connection.closed;
});

Deno.test("ready waits once the default writeHighWaterMark is queued", async () => {
  // A transport that accepts nothing until released: every byte stays queued.
  let release: (() => void) | undefined;
  const released = new Promise<void>((resolve) => release = resolve);
  const writable = new WritableStream<Uint8Array>({ write: () => released });
  const connection = new WebSocketConnection(
    { readable: new ReadableStream<Uint8Array>(), writable },
    { onMessage() {}, onClose() {} },
    { role: "client" },
  );
  connection.start();
  const mark = CONNECTION_DEFAULTS.writeHighWaterMark;
  /** Whether `ready` has resolved: a resolved promise's reaction runs before the next task. */
  const isReady = async () => {
    let ready = false;
    void connection.ready.then(() => ready = true);
    await new Promise((resolve) => setTimeout(resolve, 0));
    return ready;
  };
  // A masked client frame with a 64-bit length has a 14-byte header.
  connection.send(new Uint8Array(mark - 1 - 14));
  assert.equal(connection.bufferedAmount, mark - 1);
  assert.equal(await isReady(), true);
  connection.send(new Uint8Array(1));
  assert.ok(connection.bufferedAmount >= mark);
  assert.equal(await isReady(), false);
  release!();
  connection.terminate();
  await connection.closed;
});

/** A GET whose head is exactly `size` bytes with `count` header lines. */
function requestHead(size: number, count = 2): string {
  const fixed = "GET / HTTP/1.1\r\nHost: x\r\n";
  let extra = "";
  for (let i = 3; i <= count; i++) extra += `X-${i}: 1\r\n`;
  const pad = size - fixed.length - extra.length - "X-Pad: \r\n\r\n".length;
  return `${fixed}${extra}X-Pad: ${"a".repeat(pad)}\r\n\r\n`;
}

Deno.test("serve() with no limits takes the default maxHeadSize and maxHeaders, not more", async () => {
  const server = serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("ok"),
  );
  const statusOf = async (head: string) => {
    const http = await RawHttp.connect(server.addr.port);
    try {
      await http.send(head);
      return (await http.response()).status;
    } finally {
      http.conn.close();
    }
  };
  try {
    assert.equal(requestHead(SERVE_DEFAULTS.maxHeadSize).length, SERVE_DEFAULTS.maxHeadSize);
    assert.equal(await statusOf(requestHead(SERVE_DEFAULTS.maxHeadSize)), 200);
    assert.equal(await statusOf(requestHead(SERVE_DEFAULTS.maxHeadSize + 1)), 431);
    assert.equal(await statusOf(requestHead(1000, SERVE_DEFAULTS.maxHeaders)), 200);
    assert.equal(await statusOf(requestHead(1000, SERVE_DEFAULTS.maxHeaders + 1)), 431);
  } finally {
    await server.shutdown();
  }
});

Deno.test("a client follows the default maxRedirects, then fails", async () => {
  let requests = 0;
  const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    requests++;
    return new Response(null, { status: 302, headers: { location: "/again" } });
  });
  try {
    await assert.rejects(
      connect(`ws://127.0.0.1:${server.addr.port}/`, { followRedirects: true }),
      /too many redirects/,
    );
    assert.equal(requests, CLIENT_DEFAULTS.maxRedirects + 1);
  } finally {
    await server.shutdown();
  }
});

/** A member with `bufferedAmount` bytes buffered that records what it is sent and its close. */
function member(bufferedAmount: number) {
  const sent: unknown[] = [];
  let closeCode: number | undefined;
  const socket: BroadcastMember = {
    bufferedAmount,
    readyState: 1,
    send: (data) => void sent.push(data),
    close: (code) => void (closeCode = code),
  };
  return { socket, sent, closeCode: () => closeCode };
}

Deno.test("Broadcaster and PubSub apply the default slow-member limits", async () => {
  const broadcaster = new Broadcaster();
  const atMark = member(SLOW_MEMBER_DEFAULTS.highWaterMark);
  const slow = member(SLOW_MEMBER_DEFAULTS.highWaterMark + 1);
  broadcaster.subscribe(atMark.socket, "t");
  broadcaster.subscribe(slow.socket, "t");
  const extra = 5;
  for (let i = 0; i < SLOW_MEMBER_DEFAULTS.maxQueue + extra; i++) {
    await broadcaster.publish("t", `${i}`);
  }
  assert.equal(atMark.sent.length, SLOW_MEMBER_DEFAULTS.maxQueue + extra);
  assert.deepEqual(broadcaster.stats, {
    sent: SLOW_MEMBER_DEFAULTS.maxQueue + extra,
    dropped: extra,
    closed: 0,
    queued: SLOW_MEMBER_DEFAULTS.maxQueue,
  });
  broadcaster.close();

  const closing = new Broadcaster({ policy: "close" });
  const closed = member(SLOW_MEMBER_DEFAULTS.highWaterMark + 1);
  closing.subscribe(closed.socket, "t");
  await closing.publish("t", "x");
  assert.equal(closed.closeCode(), SLOW_MEMBER_DEFAULTS.closeCode);
  closing.close();

  const pubsub = new PubSub();
  const pubsubSlow = member(SLOW_MEMBER_DEFAULTS.highWaterMark + 1);
  await pubsub.subscribe(pubsubSlow.socket, "t");
  for (let i = 0; i < SLOW_MEMBER_DEFAULTS.maxQueue + extra; i++) await pubsub.publish("t", `${i}`);
  assert.equal(pubsub.stats.queued, SLOW_MEMBER_DEFAULTS.maxQueue);
  await pubsub.close();
});

Deno.test("MemoryEngine keeps the default historySize messages per topic", async () => {
  const engine = new MemoryEngine();
  engine.open(() => {});
  let epoch = "";
  for (let i = 0; i <= MEMORY_ENGINE_DEFAULTS.historySize; i++) {
    epoch = (await engine.publish("t", `${i}`)).epoch;
  }
  const kept = await engine.history("t", { offset: 1, epoch });
  assert.ok(kept.ok);
  assert.equal(kept.messages.length, MEMORY_ENGINE_DEFAULTS.historySize);
  const all = await engine.history("t", { offset: 0, epoch });
  assert.equal(all.ok, false);
  await engine.close();
});
