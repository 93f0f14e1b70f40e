/**
 * The judge must judge: the strict reader flags what RFC 6455 forbids, the
 * classifier applies Autobahn's rules, the inflater enforces the negotiated
 * window and context, and a deliberately naive peer fails the cases it
 * should.
 */
import assert from "node:assert/strict";
import zlib from "node:zlib";
import { FrameCollector } from "../../frames/frame_collector.ts";
import { FrameDecoder } from "../../frames/frame_decoder.ts";
import { encodeFrame } from "../../frames/frame_encoder.ts";
import { CASES } from "./cases.ts";
import { clientHandshake, readUpgradeRequest, switchingProtocols, writeAll } from "./_http.ts";
import { StrictInflater } from "./inflate.ts";
import { classify, runSession, type SessionFacts } from "./session.ts";
import { StrictFrameReader } from "./strict_reader.ts";
import { closePayload, concat, encodeRawFrame, type RawFrame, utf8 } from "./wire.ts";

/** The reader's verdict on frames a client (masked) or server (unmasked) sent. */
function judge(
  peerRole: "client" | "server",
  frames: (RawFrame | Uint8Array)[],
): string | undefined {
  const reader = new StrictFrameReader({ peerRole });
  for (const f of frames) {
    reader.push(
      f instanceof Uint8Array ? f : encodeRawFrame({ mask: peerRole === "client", ...f }),
    );
  }
  return reader.violation;
}

Deno.test("strict reader: accepts a fragmented text with a ping inside, split into single bytes", () => {
  const reader = new StrictFrameReader({ peerRole: "client" });
  const bytes = concat([
    encodeRawFrame({ opcode: 1, fin: false, payload: utf8("κό"), mask: true }),
    encodeRawFrame({ opcode: 9, payload: utf8("p"), mask: true }),
    encodeRawFrame({ opcode: 0, payload: utf8("σμε"), mask: true }),
  ]);
  const events = [];
  for (const b of bytes) events.push(...reader.push(new Uint8Array([b])));
  assert.equal(reader.violation, undefined);
  assert.deepEqual(events.map((e) => e.type), ["ping", "message"]);
  assert.equal(new TextDecoder().decode((events[1] as { data: Uint8Array }).data), "κόσμε");
});

Deno.test("strict reader: flags every kind of invalid frame", () => {
  const cases: [string, "client" | "server", (RawFrame | Uint8Array)[], RegExp][] = [
    ["unmasked from a client", "client", [{ opcode: 1, mask: false }], /unmasked/],
    ["masked from a server", "server", [{ opcode: 1, mask: true }], /masked frame from a server/],
    ["RSV1 without extension", "server", [{ opcode: 1, rsv: 4 }], /RSV/],
    ["reserved opcode", "server", [{ opcode: 3 }], /reserved opcode 3/],
    ["reserved control opcode", "server", [{ opcode: 11 }], /reserved opcode 11/],
    ["fragmented ping", "server", [{ opcode: 9, fin: false }], /fragmented control/],
    ["long ping", "server", [{ opcode: 9, payload: new Uint8Array(126) }], /126 bytes/],
    ["16-bit length for 5 bytes", "server", [{
      opcode: 2,
      payload: new Uint8Array(5),
      lengthForm: 16,
    }], /non-minimal/],
    ["64-bit length for 200 bytes", "server", [{
      opcode: 2,
      payload: new Uint8Array(200),
      lengthForm: 64,
    }], /non-minimal/],
    [
      "64-bit length with MSB",
      "server",
      [{ opcode: 2, announcedLength: 2n ** 63n }],
      /most significant/,
    ],
    ["lone continuation", "server", [{ opcode: 0 }], /no message to continue/],
    [
      "text inside text",
      "server",
      [{ opcode: 1, fin: false }, { opcode: 1 }],
      /inside a fragmented/,
    ],
    [
      "invalid UTF-8",
      "server",
      [{ opcode: 1, payload: new Uint8Array([0xed, 0xa0, 0x80]) }],
      /UTF-8/,
    ],
    ["1-byte close", "server", [{ opcode: 8, payload: new Uint8Array([3]) }], /1-byte/],
    ["close 1005", "server", [{ opcode: 8, payload: closePayload(1005) }], /1005 may not/],
    ["close 999", "server", [{ opcode: 8, payload: closePayload(999) }], /999 may not/],
    ["close reason not UTF-8", "server", [{
      opcode: 8,
      payload: closePayload(1000, new Uint8Array([0xff])),
    }], /reason/],
    ["frame after close", "server", [{ opcode: 8, payload: closePayload(1000) }, {
      opcode: 9,
    }], /after the peer's close/],
  ];
  for (const [name, role, frames, pattern] of cases) {
    assert.match(judge(role, frames) ?? "(accepted)", pattern, name);
  }
});

Deno.test("strict inflater: decodes zlib output, enforces the window and no-context-takeover", async () => {
  const sync = zlib.constants.Z_SYNC_FLUSH;
  const strip = (b: Uint8Array) => new Uint8Array(b.subarray(0, b.length - 4));
  const data = utf8("the quick brown fox jumps over the lazy dog. ".repeat(200));
  const one = strip(zlib.deflateRawSync(data, { finishFlush: sync }));
  assert.deepEqual(
    new StrictInflater({ windowBits: 15, noContextTakeover: true }).inflate(one),
    data,
  );
  // Distances of ~3000 bytes do not fit a 9-bit (512-byte) window.
  const far = new Uint8Array(6000).map((_, i) => (i * 37 + (i >> 11)) % 251);
  const wide = strip(zlib.deflateRawSync(far, { finishFlush: sync }));
  assert.throws(
    () => new StrictInflater({ windowBits: 9, noContextTakeover: true }).inflate(wide),
    /beyond the negotiated window of 512/,
  );
  // The second message of a context-keeping stream refers to the first.
  const stream = zlib.createDeflateRaw();
  const chunks: Uint8Array[] = [];
  stream.on("data", (c: Uint8Array) => chunks.push(c));
  const messages: Uint8Array[] = [];
  for (let i = 0; i < 2; i++) {
    chunks.length = 0;
    stream.write(data);
    await new Promise<void>((resolve) => stream.flush(sync, () => resolve()));
    messages.push(strip(concat(chunks)));
  }
  stream.close();
  const keeping = new StrictInflater({ windowBits: 15, noContextTakeover: false });
  assert.deepEqual(keeping.inflate(messages[0]!), data);
  assert.deepEqual(keeping.inflate(messages[1]!), data);
  const fresh = new StrictInflater({ windowBits: 15, noContextTakeover: true });
  fresh.inflate(messages[0]!);
  assert.throws(() => fresh.inflate(messages[1]!), /before the start of the message/);
  // A message cut in the middle of a block.
  assert.throws(
    () =>
      new StrictInflater({ windowBits: 15, noContextTakeover: true }).inflate(one.subarray(0, 20)),
  );
});

function facts(overrides: Partial<SessionFacts>): SessionFacts {
  return {
    role: "client",
    received: [],
    expected: [{ outcome: "OK", events: [] }],
    expectedClose: { closedByMe: true, codes: [1000], requireClean: true },
    violation: undefined,
    scriptError: undefined,
    closeSent: true,
    closeReceived: true,
    closedByMe: true,
    remoteCode: 1000,
    remoteReason: "",
    tcpClosedBy: "peer",
    reset: false,
    droppedAfterClose: false,
    killedOpen: false,
    closeTimedOut: false,
    heldTcpDropped: false,
    notes: [],
    frames: [],
    frameCount: 0,
    ...overrides,
  };
}

Deno.test("classify: Autobahn's rules, strict where the suite says so", () => {
  assert.equal(classify(facts({})).outcome, "OK");
  assert.equal(classify(facts({ remoteCode: 1001 })).outcome, "FAILED", "wrong close code");
  assert.equal(classify(facts({ closeReceived: false })).outcome, "FAILED", "unclean");
  assert.equal(classify(facts({ violation: "x" })).outcome, "FAILED", "invalid frame");
  assert.equal(classify(facts({ droppedAfterClose: true })).outcome, "NON-STRICT");
  const fail = { closedByMe: false, codes: [1002], requireClean: false };
  assert.equal(
    classify(
      facts({
        expectedClose: fail,
        closeSent: false,
        closeReceived: false,
        closedByMe: false,
        killedOpen: true,
      }),
    ).outcome,
    "FAILED",
    "left open",
  );
  assert.equal(
    classify(
      facts({
        expectedClose: fail,
        closeSent: false,
        closeReceived: false,
        closedByMe: false,
        remoteCode: undefined,
      }),
    ).outcome,
    "OK",
    "TCP dropped without a close frame",
  );
  const failFast = [
    { outcome: "OK" as const, events: [{ type: "timeout" as const, label: "A" }] },
    {
      outcome: "NON-STRICT" as const,
      events: [{ type: "timeout" as const, label: "A" }, { type: "timeout" as const, label: "B" }],
    },
  ];
  assert.equal(
    classify(facts({
      expected: failFast,
      expectedClose: { closedByMe: false, codes: [1007], requireClean: false },
      closedByMe: false,
      remoteCode: 1007,
      received: [{ type: "timeout", label: "A" }, { type: "timeout", label: "B" }],
    })).outcome,
    "NON-STRICT",
  );
});

Deno.test("a naive echo server (no UTF-8 or close code checks) fails the cases it should", async () => {
  // Echoes every frame as it came, unmasked: a peer a lenient judge would pass.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    for await (const conn of listener) {
      void (async () => {
        try {
          const request = await readUpgradeRequest(conn, 2000);
          await writeAll(conn, await switchingProtocols(request.key));
          const out: Uint8Array[] = [];
          let closing = false;
          const decoder = new FrameDecoder(
            new FrameCollector((f) => {
              if (closing) return;
              closing = f.opcode === 8;
              out.push(encodeFrame({ ...f, mask: undefined }));
            }),
            { role: "server" },
          );
          decoder.write(request.head.rest);
          const buf = new Uint8Array(65536);
          while (!closing) {
            const n = await conn.read(buf);
            if (n === null) break;
            decoder.write(buf.slice(0, n));
            for (const frame of out.splice(0)) await writeAll(conn, frame);
          }
        } catch {
          // The fuzzer dropped the connection.
        } finally {
          try {
            conn.close();
          } catch { /* closed */ }
        }
      })();
    }
  })();
  try {
    const outcomes: Record<string, string> = {};
    for (const id of ["1.1.2", "6.3.1", "7.9.1"]) {
      const def = CASES.find((c) => c.id === id)!;
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
      const handshake = await clientHandshake(conn, { path: "/", host: "127.0.0.1" }, 2000);
      const result = await runSession(def.run, {
        conn,
        role: "client",
        leftover: handshake.head.rest,
        deadlineMs: 5000,
      });
      outcomes[id] = `${classify(result).outcome}: ${classify(result).reason}`;
    }
    assert.match(outcomes["1.1.2"]!, /^OK/);
    assert.match(
      outcomes["6.3.1"]!,
      /^FAILED: invalid frame from the peer: text message that is not valid UTF-8/,
    );
    assert.match(outcomes["7.9.1"]!, /^FAILED: invalid frame from the peer: close code 0/);
  } finally {
    listener.close();
    await serving;
  }
});
