/**
 * The conformance cases: the Autobahn TestSuite's groups 1-7, 9 (scaled to a
 * CI run: messages up to 1 MiB) and 10, written from its published case
 * descriptions, plus role-specific cases ("R": masking by role, TCP
 * half-close, handshake answers a client must refuse).
 *
 * Cases are role-agnostic unless `peer` says otherwise: the same script runs
 * against a server (the fuzzer is a masking client) and against a client (the
 * fuzzer is a non-masking server).
 *
 * To add permessage-deflate (groups 12-13): give a case `deflate` (the offer
 * the fuzzer makes as a client, the answer it gives as a server), and send
 * with `t.sendMessage(..., { compress: true })`; the reader inflates the
 * peer's RSV1 messages. A peer that does not negotiate the extension makes
 * the case UNIMPLEMENTED.
 *
 * @module
 */

import {
  type CaseContext,
  type CaseEvent,
  type CaseScript,
  type Outcome,
  type SessionFacts,
  TIMEOUTS,
  type Verdict,
} from "./session.ts";
import { closePayload, encodeRawFrame, hex, type RawFrame, repeatTo, utf8 } from "./wire.ts";
import { isValidUtf8 } from "./strict_reader.ts";
import { type AcceptPolicy, acceptVariant } from "./_deflate.ts";

/** How a case negotiates permessage-deflate (groups 12-13). */
export interface DeflateNegotiation {
  /** The offer the fuzzer sends when it is the client. */
  offer: string;
  /** The fuzzer's answer to a client's offers when it is the server. */
  accept: AcceptPolicy;
}

/** One conformance case. */
export interface CaseDef {
  /** "1.1.1", "R.4", ... */
  id: string;
  /** The group: "1" ... "10", "R". */
  group: string;
  description: string;
  expectation: string;
  /** Run only against peers with this role. */
  peer?: "server" | "client";
  /** Timing-sensitive or heavy: run alone. */
  serial?: boolean;
  /** Hard limit for the case (ms). */
  deadlineMs?: number;
  /** Bytes the fuzzer sends in the same write as its handshake (given its role). */
  trailing?: (role: "client" | "server") => Uint8Array;
  /** As a server: the 101 response lines to send instead of the correct one. */
  badResponse?: (accept: string) => string[];
  /** permessage-deflate negotiation. */
  deflate?: DeflateNegotiation;
  run: CaseScript;
  /** Turns the verdict into something else (INFORMATIONAL cases). */
  judge?: (facts: SessionFacts, verdict: Verdict) => Verdict;
}

/** The group titles (for the report). */
export const GROUPS: Record<string, string> = {
  "1": "Framing",
  "2": "Pings/Pongs",
  "3": "Reserved bits",
  "4": "Opcodes",
  "5": "Fragmentation",
  "6": "UTF-8 handling",
  "7": "Close handling",
  "9": "Limits/performance",
  "10": "Miscellaneous",
  "12": "WebSocket compression (different payloads)",
  "13": "WebSocket compression (different parameters)",
  "R": "Role-specific",
};

// ------------------------------------------------------------------ helpers

const CLOSE_NORMAL = { closedByMe: true, codes: [1000], requireClean: true } as const;
const msg = (data: Uint8Array | string, binary = false): CaseEvent => ({
  type: "message",
  binary,
  data: typeof data === "string" ? utf8(data) : data,
});
const pong = (data: Uint8Array | string): CaseEvent => ({
  type: "pong",
  data: typeof data === "string" ? utf8(data) : data,
});
const timeout = (label: string): CaseEvent => ({ type: "timeout", label });

/** The peer must fail the connection with one of `codes` (or drop TCP). */
function expectFail(
  t: CaseContext,
  codes: number[],
  ok: CaseEvent[] = [],
  nonStrict?: CaseEvent[],
) {
  t.expect("OK", ok);
  if (nonStrict) t.expect("NON-STRICT", nonStrict);
  t.expectClose({ closedByMe: false, codes, requireClean: false });
}

/** The peer must answer with `events`, then the fuzzer closes normally. */
function expectEcho(t: CaseContext, events: CaseEvent[]) {
  t.expect("OK", events);
  t.expectClose(CLOSE_NORMAL);
}

const cases: CaseDef[] = [];

function add(def: Omit<CaseDef, "group">): void {
  cases.push({ group: def.id.split(".")[0]!, ...def });
}

// ------------------------------------------------------------- 1 Framing

{
  const sizes = [0, 125, 126, 127, 128, 65535, 65536, 65536];
  for (const binary of [false, true]) {
    sizes.forEach((size, i) => {
      const chopped = i === 7;
      const payload = repeatTo(binary ? new Uint8Array([0xfe]) : utf8("*"), size);
      add({
        id: `1.${binary ? 2 : 1}.${i + 1}`,
        description: `Send ${binary ? "binary" : "text"} message with payload length ${size}${
          chopped ? ", sent in chops of 997 octets" : ""
        }.`,
        expectation:
          "Receive echo'ed message (with payload as sent). Clean close with normal code.",
        async run(t) {
          expectEcho(t, [msg(payload, binary)]);
          await t.sendMessage(binary, payload, chopped ? { chop: 997 } : {});
          t.killAfter(TIMEOUTS.echo);
        },
      });
    });
  }
}

// --------------------------------------------------------- 2 Pings/Pongs

{
  const pings: [string, Uint8Array, number?][] = [
    ["Send ping without payload.", new Uint8Array(0)],
    ["Send ping with small text payload.", utf8("Hello, world!")],
    ["Send ping with small binary (non UTF-8) payload.", hex("00fffefdfcfb00ff")],
    ["Send ping with binary payload of 125 octets.", repeatTo(new Uint8Array([0xfe]), 125)],
  ];
  pings.forEach(([description, payload], i) => {
    add({
      id: `2.${i + 1}`,
      description,
      expectation: "Pong (with payload as sent). Clean close with normal code.",
      async run(t) {
        expectEcho(t, [pong(payload)]);
        await t.send({ opcode: 9, payload });
        t.killAfter(TIMEOUTS.echo);
      },
    });
  });
  add({
    id: "2.5",
    description: "Send ping with binary payload of 126 octets.",
    expectation:
      "Connection is failed immediately (1002/Protocol Error): control frames carry at " +
      "most 125 octets.",
    async run(t) {
      expectFail(t, [1002]);
      await t.send({ opcode: 9, payload: repeatTo(new Uint8Array([0xfe]), 126) });
      t.killAfter(TIMEOUTS.fail);
    },
  });
  add({
    id: "2.6",
    description: "Send ping with binary payload of 125 octets, sent in octet-wise chops.",
    expectation: "Pong (with payload as sent). Clean close with normal code.",
    async run(t) {
      const payload = repeatTo(new Uint8Array([0xfe]), 125);
      expectEcho(t, [pong(payload)]);
      await t.send({ opcode: 9, payload }, { chop: 1 });
      t.killAfter(TIMEOUTS.echo);
    },
  });
  add({
    id: "2.7",
    description: "Send unsolicited pong without payload.",
    expectation: "Nothing. Clean close with normal code.",
    async run(t) {
      expectEcho(t, []);
      await t.send({ opcode: 10 });
      t.closeAfter(500);
      t.killAfter(TIMEOUTS.echo);
    },
  });
  add({
    id: "2.8",
    description: "Send unsolicited pong with payload.",
    expectation: "Nothing. Clean close with normal code.",
    async run(t) {
      expectEcho(t, []);
      await t.send({ opcode: 10, payload: utf8("unsolicited pong payload") });
      t.closeAfter(500);
      t.killAfter(TIMEOUTS.echo);
    },
  });
  add({
    id: "2.9",
    description: "Send unsolicited pong with payload, then ping with payload.",
    expectation: "Pong for our ping (with its payload). Clean close with normal code.",
    async run(t) {
      expectEcho(t, [pong("ping payload")]);
      await t.send({ opcode: 10, payload: utf8("unsolicited pong payload") });
      await t.send({ opcode: 9, payload: utf8("ping payload") });
      t.killAfter(TIMEOUTS.echo);
    },
  });
  for (const [id, chopSize] of [["2.10", 0], ["2.11", 1]] as const) {
    add({
      id,
      description: `Send 10 pings with payload${chopSize ? ", sent in octet-wise chops" : ""}.`,
      expectation: "Pongs for all our pings, with their payloads (not required by the spec, " +
        "checked anyway). Clean close with normal code.",
      async run(t) {
        const payloads = Array.from({ length: 10 }, (_, i) => utf8(`payload-${i}`));
        expectEcho(t, payloads.map((p) => pong(p)));
        for (const payload of payloads) await t.send({ opcode: 9, payload }, { chop: chopSize });
        t.killAfter(TIMEOUTS.echo);
      },
    });
  }
}

// ------------------------------------------------------- 3 Reserved bits

{
  const hello = utf8("Hello, world!");
  add({
    id: "3.1",
    description: "Send small text message with RSV = 1.",
    expectation: "The connection is failed immediately (1002): RSV must be 0 when no extension " +
      "defining it was negotiated.",
    async run(t) {
      expectFail(t, [1002]);
      await t.send({ opcode: 1, rsv: 4, payload: hello });
      t.killAfter(TIMEOUTS.fail);
    },
  });
  const variants: [string, number, string, (t: CaseContext, f: RawFrame[]) => Promise<void>][] = [
    ["3.2", 2, "", (t, f) => t.send(f)],
    ["3.3", 3, " Frames are sent one write each.", async (t, f) => {
      for (const frame of f) await t.send(frame);
    }],
    ["3.4", 4, " Octets are sent in octet-wise chops.", (t, f) => t.send(f, { chop: 1 })],
  ];
  for (const [id, rsv, how, send] of variants) {
    // Autobahn's RSV numbers count RSV1 as 1; our 3-bit field has RSV1 as 4.
    const bits = [0, 4, 2, 6, 1, 5, 3, 7][rsv]!;
    add({
      id,
      description: `Send small text message, then again with RSV = ${rsv}, then ping.${how}`,
      expectation: "Echo for the first message, then the connection is failed immediately " +
        "(1002). No pong.",
      async run(t) {
        expectFail(t, [1002], [msg(hello)], []);
        await send(t, [
          { opcode: 1, payload: hello },
          { opcode: 1, rsv: bits, payload: hello },
          { opcode: 9 },
        ]);
        t.killAfter(TIMEOUTS.fail);
      },
    });
  }
  add({
    id: "3.5",
    description: "Send small binary message with RSV = 5.",
    expectation: "The connection is failed immediately (1002).",
    async run(t) {
      expectFail(t, [1002]);
      await t.send({ opcode: 2, rsv: 5, payload: hex("00fffefdfcfb00ff") });
      t.killAfter(TIMEOUTS.fail);
    },
  });
  add({
    id: "3.6",
    description: "Send ping with RSV = 6.",
    expectation: "The connection is failed immediately (1002).",
    async run(t) {
      expectFail(t, [1002]);
      await t.send({ opcode: 9, rsv: 3, payload: hello });
      t.killAfter(TIMEOUTS.fail);
    },
  });
  add({
    id: "3.7",
    description: "Send close with RSV = 7.",
    expectation: "The connection is failed immediately (1002).",
    async run(t) {
      expectFail(t, [1002]);
      await t.send({ opcode: 8, rsv: 7 });
      t.killAfter(TIMEOUTS.fail);
    },
  });
}

// ------------------------------------------------------------- 4 Opcodes

{
  const hello = utf8("Hello, world!");
  const reservedPayload = utf8("reserved opcode payload");
  for (const [sub, first] of [[1, 3], [2, 11]] as const) {
    const kind = sub === 1 ? "non-control" : "control";
    for (let i = 0; i < 5; i++) {
      const opcode = first + i;
      const id = `4.${sub}.${i + 1}`;
      const withPayload = i === 1;
      if (i < 2) {
        add({
          id,
          description: `Send frame with reserved ${kind} opcode = ${opcode}${
            withPayload ? " and non-empty payload" : ""
          }.`,
          expectation: "The connection is failed immediately (1002).",
          async run(t) {
            expectFail(t, [1002]);
            await t.send({ opcode, payload: withPayload ? reservedPayload : undefined });
            t.killAfter(TIMEOUTS.fail);
          },
        });
      } else {
        const payload = i === 2 ? undefined : reservedPayload;
        add({
          id,
          description:
            `Send small text message, then frame with reserved ${kind} opcode = ${opcode}${
              payload ? " and non-empty payload" : ""
            }, then ping.`,
          expectation: "Echo for the first message, then the connection is failed immediately " +
            "(1002). No pong.",
          async run(t) {
            expectFail(t, [1002], [msg(hello)], []);
            await t.send([{ opcode: 1, payload: hello }, { opcode, payload }, { opcode: 9 }]);
            t.killAfter(TIMEOUTS.fail);
          },
        });
      }
    }
  }
}

// ------------------------------------------------------- 5 Fragmentation

{
  const f = (n: number) => utf8(`fragment${n}`);
  type Sending = { how: string; send: (t: CaseContext, frames: RawFrame[]) => Promise<void> };
  const oneWrite: Sending = { how: "sent in one chop", send: (t, frames) => t.send(frames) };
  const frameWise: Sending = {
    how: "sent frame-wise (one write per frame)",
    send: async (t, frames) => {
      for (const frame of frames) await t.send(frame);
    },
  };
  const octetWise: Sending = {
    how: "sent in octet-wise chops",
    send: (t, frames) => t.send(frames, { chop: 1 }),
  };
  for (const [id, opcode, name] of [["5.1", 9, "ping"], ["5.2", 10, "pong"]] as const) {
    add({
      id,
      description: `Send ${name} fragmented into 2 fragments.`,
      expectation: "The connection is failed immediately (1002): control frames must not be " +
        "fragmented.",
      async run(t) {
        expectFail(t, [1002]);
        await t.send([{ opcode, fin: false, payload: f(1) }, { opcode: 0, payload: f(2) }]);
        t.killAfter(TIMEOUTS.fail);
      },
    });
  }
  [oneWrite, frameWise, octetWise].forEach((sending, i) => {
    add({
      id: `5.${3 + i}`,
      description: `Send text message fragmented into 2 fragments, ${sending.how}.`,
      expectation: "Echo of the whole message. Clean close with normal code.",
      async run(t) {
        expectEcho(t, [msg("fragment1fragment2")]);
        await sending.send(t, [{ opcode: 1, fin: false, payload: f(1) }, {
          opcode: 0,
          payload: f(2),
        }]);
        t.killAfter(TIMEOUTS.echo);
      },
    });
    add({
      id: `5.${6 + i}`,
      description:
        `Send text message fragmented into 2 fragments, with one ping in between, ${sending.how}.`,
      expectation: "A pong for the ping, then the echo of the whole message. Clean close.",
      async run(t) {
        expectEcho(t, [pong("ping payload"), msg("fragment1fragment2")]);
        await sending.send(t, [
          { opcode: 1, fin: false, payload: f(1) },
          { opcode: 9, payload: utf8("ping payload") },
          { opcode: 0, payload: f(2) },
        ]);
        t.killAfter(TIMEOUTS.echo);
      },
    });
    add({
      id: `5.${9 + i}`,
      description: `Send continuation frame with FIN = true, where there is nothing to continue, ` +
        `then an unfragmented text message, ${sending.how}.`,
      expectation: "The connection is failed immediately (1002): there is no message to continue.",
      async run(t) {
        expectFail(t, [1002]);
        await sending.send(t, [
          { opcode: 0, payload: utf8("non-continuation payload") },
          { opcode: 1, payload: utf8("Hello, world!") },
        ]);
        t.killAfter(TIMEOUTS.fail);
      },
    });
    add({
      id: `5.${12 + i}`,
      description:
        `Send continuation frame with FIN = false, where there is nothing to continue, ` +
        `then an unfragmented text message, ${sending.how}.`,
      expectation: "The connection is failed immediately (1002): there is no message to continue.",
      async run(t) {
        expectFail(t, [1002]);
        await sending.send(t, [
          { opcode: 0, fin: false, payload: utf8("non-continuation payload") },
          { opcode: 1, payload: utf8("Hello, world!") },
        ]);
        t.killAfter(TIMEOUTS.fail);
      },
    });
  });
  add({
    id: "5.15",
    description: "Send text message fragmented into 2 fragments, then continuation frame with " +
      "FIN = false where there is nothing to continue, then unfragmented text message, all in " +
      "one chop.",
    expectation: "Echo of the first message, then the connection is failed immediately (1002).",
    async run(t) {
      expectFail(t, [1002], [msg("fragment1fragment2")], []);
      await t.send([
        { opcode: 1, fin: false, payload: f(1) },
        { opcode: 0, payload: f(2) },
        { opcode: 0, fin: false, payload: f(3) },
        { opcode: 1, payload: f(4) },
      ]);
      t.killAfter(TIMEOUTS.fail);
    },
  });
  for (const [id, fin] of [["5.16", false], ["5.17", true]] as const) {
    add({
      id,
      description: `Repeated 2x: continuation frame with FIN = ${fin} (nothing to continue), ` +
        "then text message fragmented into 2 fragments.",
      expectation: "The connection is failed immediately (1002).",
      async run(t) {
        expectFail(t, [1002]);
        const round: RawFrame[] = [
          { opcode: 0, fin, payload: f(1) },
          { opcode: 1, fin: false, payload: f(2) },
          { opcode: 0, payload: f(3) },
        ];
        await t.send([...round, ...round]);
        t.killAfter(TIMEOUTS.fail);
      },
    });
  }
  add({
    id: "5.18",
    description: "Send text message fragmented into 2 fragments, with both frame opcodes set to " +
      "text, in one chop.",
    expectation: "The connection is failed immediately (1002).",
    async run(t) {
      expectFail(t, [1002]);
      await t.send([{ opcode: 1, fin: false, payload: f(1) }, { opcode: 1, payload: f(2) }]);
      t.killAfter(TIMEOUTS.fail);
    },
  });
  for (const [id, sync] of [["5.19", false], ["5.20", true]] as const) {
    add({
      id,
      description: "A fragmented text message in 5 frames: 2 fragments, a ping, a 1 s pause, 2 " +
        `more fragments, another ping, the last fragment${
          sync ? ", each frame its own write" : ""
        }.`,
      expectation: "Both pongs come back immediately (the first before the last fragment is " +
        "sent), then the echo of the whole message.",
      async run(t) {
        expectEcho(t, [
          pong("pongme 1!"),
          pong("pongme 2!"),
          msg("fragment1fragment2fragment3fragment4fragment5"),
        ]);
        const send = async (frames: RawFrame[]) => {
          if (!sync) return await t.send(frames);
          for (const frame of frames) await t.send(frame);
        };
        await send([
          { opcode: 1, fin: false, payload: f(1) },
          { opcode: 0, fin: false, payload: f(2) },
          { opcode: 9, payload: utf8("pongme 1!") },
        ]);
        if (!(await t.wait(1000))) return;
        await send([
          { opcode: 0, fin: false, payload: f(3) },
          { opcode: 0, fin: false, payload: f(4) },
          { opcode: 9, payload: utf8("pongme 2!") },
          { opcode: 0, payload: f(5) },
        ]);
        t.killAfter(TIMEOUTS.echo);
      },
    });
  }
}

// ------------------------------------------------------- 6 UTF-8 handling

/** Text-echo case: the payload comes back, or the peer fails with 1007. */
function utf8Case(
  id: string,
  description: string,
  payload: Uint8Array,
  fragmentSize?: number,
): void {
  const valid = isValidUtf8(payload);
  add({
    id,
    description: `${description}<br>Payload: ${toHexShort(payload)}`,
    expectation: valid
      ? "The message is echoed back. Clean close with normal code."
      : "The connection is failed immediately (1007): the payload is not valid UTF-8.",
    async run(t) {
      if (valid) expectEcho(t, [msg(payload)]);
      else expectFail(t, [1007]);
      await t.sendMessage(false, payload, fragmentSize ? { fragmentSize } : {});
      t.killAfter(valid ? TIMEOUTS.echo : TIMEOUTS.fail);
    },
  });
}

function toHexShort(bytes: Uint8Array): string {
  return bytes.length === 0
    ? "(empty)"
    : Array.from(bytes.subarray(0, 48), (b) => b.toString(16).padStart(2, "0")).join("") +
      (bytes.length > 48 ? "…" : "");
}

{
  add({
    id: "6.1.1",
    description: "Send text message of length 0.",
    expectation: "The empty message is echoed back. Clean close with normal code.",
    async run(t) {
      expectEcho(t, [msg("")]);
      await t.sendMessage(false, new Uint8Array(0));
      t.killAfter(TIMEOUTS.echo);
    },
  });
  add({
    id: "6.1.2",
    description: "Send fragmented text message, 3 fragments each of length 0.",
    expectation: "The empty message is echoed back. Clean close with normal code.",
    async run(t) {
      expectEcho(t, [msg("")]);
      await t.send([{ opcode: 1, fin: false }, { opcode: 0, fin: false }, { opcode: 0 }]);
      t.killAfter(TIMEOUTS.echo);
    },
  });
  add({
    id: "6.1.3",
    description: "Send fragmented text message, 3 fragments, first and last of length 0, " +
      "middle non-empty.",
    expectation: "The message is echoed back. Clean close with normal code.",
    async run(t) {
      expectEcho(t, [msg("middle frame payload")]);
      await t.send([
        { opcode: 1, fin: false },
        { opcode: 0, fin: false, payload: utf8("middle frame payload") },
        { opcode: 0 },
      ]);
      t.killAfter(TIMEOUTS.echo);
    },
  });
  const hello = utf8("Hello-µ@ßöäüàá-UTF-8!!");
  utf8Case("6.2.1", "Send a valid UTF-8 text message in one fragment.", hello);
  add({
    id: "6.2.2",
    description: "Send a valid UTF-8 text message in 2 fragments, fragmented on a code point " +
      "boundary.",
    expectation: "The message is echoed back. Clean close with normal code.",
    async run(t) {
      expectEcho(t, [msg(hello)]);
      const a = utf8("Hello-µ@ßöä");
      const b = utf8("üàá-UTF-8!!");
      await t.send([{ opcode: 1, fin: false, payload: a }, { opcode: 0, payload: b }]);
      t.killAfter(TIMEOUTS.echo);
    },
  });
  utf8Case("6.2.3", "Send a valid UTF-8 text message in fragments of 1 octet.", hello, 1);
  utf8Case(
    "6.2.4",
    "Send a valid UTF-8 text message in fragments of 1 octet, so frames end inside code points.",
    hex("cebae1bdb9cf83cebcceb5"),
    1,
  );
  const invalid = hex("cebae1bdb9cf83cebcceb5eda080656469746564");
  utf8Case("6.3.1", "Send an invalid UTF-8 text message unfragmented.", invalid);
  utf8Case("6.3.2", "Send an invalid UTF-8 text message in fragments of 1 octet.", invalid, 1);

  // 6.4: fail fast. Parts of one message; the second part makes it invalid.
  const part1 = hex("cebae1bdb9cf83cebcceb5");
  const part2 = hex("f4908080"); // U+110000 in the UTF-8 scheme: out of range
  const part3 = utf8("edited");
  const all = new Uint8Array([...part1, ...part2, ...part3]);
  const splits: [string, Uint8Array[]][] = [
    ["6.4.1", [part1, part2, part3]],
    ["6.4.2", [all.subarray(0, 12), all.subarray(12, 13), all.subarray(13)]],
  ];
  // The first pause only has to outlast the peer's reading; the second gives a
  // fail-fast peer (on a loaded machine) ample time, as Autobahn's 1 s does.
  const PAUSE = 500;
  const FAIL_FAST = 1000;
  for (const [id, parts] of splits) {
    add({
      id,
      serial: true,
      description: "Send an invalid UTF-8 text message in 3 fragments (frames): the first is " +
        `valid, then a ${PAUSE} ms pause, then the 2nd that makes the sequence invalid, then a ` +
        `${FAIL_FAST} ms pause, then the rest.<br>Parts: ${parts.map(toHexShort).join(" | ")}`,
      expectation: "The first frame is accepted (we time out on the first pause). The 2nd frame " +
        "is rejected immediately (fail fast on UTF-8, 1007); failing only at the end of the " +
        "message is NON-STRICT.",
      async run(t) {
        expectFail(t, [1007], [timeout("A")], [timeout("A"), timeout("B")]);
        await t.send({ opcode: 1, fin: false, payload: parts[0] });
        if (!(await t.wait(PAUSE, "A"))) return;
        await t.send({ opcode: 0, fin: false, payload: parts[1] });
        if (!(await t.wait(FAIL_FAST, "B"))) return;
        await t.send({ opcode: 0, payload: parts[2] });
        t.killAfter(TIMEOUTS.fail);
      },
    });
  }
  const chopSplits: [string, number[]][] = [["6.4.3", [11, 15]], ["6.4.4", [12, 13]]];
  for (const [id, cuts] of chopSplits) {
    const [cut1, cut2] = cuts as [number, number];
    add({
      id,
      serial: true,
      description: `Same as ${id === "6.4.3" ? "6.4.1" : "6.4.2"}, but the message is one frame ` +
        "sent in 3 chops with pauses in between.",
      expectation: "The first chop is accepted (we time out on the first pause). The 2nd chop " +
        "is rejected immediately (fail fast on UTF-8, 1007); failing only at the end of the " +
        "frame is NON-STRICT.",
      async run(t) {
        expectFail(t, [1007], [timeout("A")], [timeout("A"), timeout("B")]);
        const frame = encodeRawFrame({ opcode: 1, payload: all, mask: t.role === "client" });
        const header = frame.length - all.length;
        await t.sendBytes(frame.subarray(0, header + cut1));
        if (!(await t.wait(PAUSE, "A"))) return;
        await t.sendBytes(frame.subarray(header + cut1, header + cut2));
        if (!(await t.wait(FAIL_FAST, "B"))) return;
        await t.sendBytes(frame.subarray(header + cut2));
        t.killAfter(TIMEOUTS.fail);
      },
    });
  }

  // 6.5-6.23: the sequences of Markus Kuhn's UTF-8 decoder stress test.
  const vss = hex("cebae1bdb9cf83cebcceb5");
  const prefixes = Array.from({ length: vss.length }, (_, i) => vss.slice(0, i + 1));
  const k = [
    "c0",
    "e080",
    "f08080",
    "f8808080",
    "fc80808080",
    "df",
    "efbf",
    "f7bfbf",
    "fbbfbfbf",
    "fdbfbfbfbf",
  ];
  const lonely = [[0xc0, 0xdf], [0xe0, 0xef], [0xf0, 0xf7], [0xf8, 0xfb], [0xfc, 0xfd]].map(
    ([from, to]) => {
      const out: number[] = [];
      for (let b = from!; b < to!; b++) out.push(b, 0x20);
      return new Uint8Array(out);
    },
  );
  const continuation: number[] = [];
  for (let b = 0x80; b < 0xbf; b++) continuation.push(b);
  const nonChars = ["efbfbe", "efbfbf"];
  for (const z1 of ["f0", "f1", "f2", "f3", "f4"]) {
    for (const z2 of ["8f", "9f", "af", "bf"]) {
      if (z1 === "f4" && z2 !== "8f") continue; // > U+10FFFF
      for (const z3 of ["be", "bf"]) {
        const zz = z1 + z2 + "bf" + z3;
        if (zz !== "f08fbfbe" && zz !== "f08fbfbf") nonChars.push(zz); // overlong
      }
    }
  }
  const b = (s: string) => utf8(s);
  const sequences: [string, Uint8Array[]][] = [
    ["Some valid UTF-8 sequences", [
      b("hello$world"),
      b("hello¢world"),
      b("hello€world"),
      b("hello\u{24B62}world"),
      vss,
    ]],
    ["All prefixes of a valid UTF-8 string that contains multi-byte code points", prefixes],
    ["First possible sequence of a certain length", ["00", "c280", "e0a080", "f0908080"].map(hex)],
    [
      "First possible sequence length 5/6 (invalid codepoints)",
      ["f888808080", "fc8480808080"].map(
        hex,
      ),
    ],
    ["Last possible sequence of a certain length", ["7f", "dfbf", "efbfbf", "f48fbfbf"].map(hex)],
    [
      "Last possible sequence length 4/5/6 (invalid codepoints)",
      [
        "f7bfbfbf",
        "fbbfbfbfbf",
        "fdbfbfbfbfbf",
      ].map(hex),
    ],
    ["Other boundary conditions", ["ed9fbf", "ee8080", "efbfbd", "f48fbfbf", "f4908080"].map(hex)],
    ["Unexpected continuation bytes", [
      ...["80", "bf", "80bf", "80bf80", "80bf80bf", "80bf80bf80", "80bf80bf80bf"].map(hex),
      new Uint8Array(continuation),
    ]],
    ["Lonely start characters", lonely],
    ["Sequences with last continuation byte missing", k.map(hex)],
    ["Concatenation of incomplete sequences", [hex(k.join(""))]],
    ["Impossible bytes", ["fe", "ff", "fefeffff"].map(hex)],
    [
      "Examples of an overlong ASCII character",
      [
        "c0af",
        "e080af",
        "f08080af",
        "f8808080af",
        "fc80808080af",
      ].map(hex),
    ],
    [
      "Maximum overlong sequences",
      ["c1bf", "e09fbf", "f08fbfbf", "f887bfbfbf", "fc83bfbfbfbf"].map(
        hex,
      ),
    ],
    [
      "Overlong representation of the NUL character",
      [
        "c080",
        "e08080",
        "f0808080",
        "f880808080",
        "fc8080808080",
      ].map(hex),
    ],
    [
      "Single UTF-16 surrogates",
      [
        "eda080",
        "edadbf",
        "edae80",
        "edafbf",
        "edb080",
        "edbe80",
        "edbfbf",
      ].map(hex),
    ],
    [
      "Paired UTF-16 surrogates",
      [
        "eda080edb080",
        "eda080edbfbf",
        "edadbfedb080",
        "edadbfedbfbf",
        "edae80edb080",
        "edae80edbfbf",
        "edafbfedb080",
        "edafbfedbfbf",
      ].map(hex),
    ],
    ["Non-character code points (valid UTF-8)", nonChars.map(hex)],
    [
      "Unicode specials (i.e. replacement char)",
      [
        "efbfb9",
        "efbfba",
        "efbfbb",
        "efbfbc",
        "efbfbd",
        "efbfbe",
        "efbfbf",
      ].map(hex),
    ],
  ];
  sequences.forEach(([title, payloads], i) => {
    payloads.forEach((payload, j) => {
      const valid = isValidUtf8(payload);
      utf8Case(
        `6.${i + 5}.${j + 1}`,
        `${title}: a text message with a payload which is ${
          valid ? "" : "not "
        }valid UTF-8, in one fragment.`,
        payload,
      );
    });
  });
}

// ------------------------------------------------------- 7 Close handling

{
  add({
    id: "7.1.1",
    description: "Send a message followed by a close frame.",
    expectation: "Echoed message followed by a clean close with normal code.",
    async run(t) {
      expectEcho(t, [msg("Hello World")]);
      await t.sendMessage(false, utf8("Hello World"));
      t.killAfter(TIMEOUTS.echo);
    },
  });
  const afterClose: [string, string, (t: CaseContext) => Promise<void>][] = [
    ["7.1.2", "Send two close frames.", (t) => t.send({ opcode: 8, payload: closePayload(1000) })],
    [
      "7.1.3",
      "Send a ping after the close frame.",
      (t) => t.send({ opcode: 9, payload: utf8("Hello World!") }),
    ],
    [
      "7.1.4",
      "Send a text message after the close frame.",
      (t) => t.sendMessage(false, utf8("Hello World!")),
    ],
  ];
  for (const [id, description, then] of afterClose) {
    add({
      id,
      description,
      expectation: "Clean close with normal code; what follows the close frame is ignored.",
      async run(t) {
        t.suppressClose();
        expectEcho(t, []);
        await t.sendClose(1000);
        await then(t);
        t.killAfter(TIMEOUTS.echo);
      },
    });
  }
  add({
    id: "7.1.5",
    description: "Send message fragment 1, then a close frame, then fragment 2.",
    expectation: "Clean close with normal code; nothing echoed.",
    async run(t) {
      t.suppressClose();
      expectEcho(t, []);
      await t.send({ opcode: 1, fin: false, payload: utf8("fragment1") });
      await t.sendClose(1000);
      await t.send({ opcode: 0, payload: utf8("fragment2") });
      t.killAfter(TIMEOUTS.echo);
    },
  });
  const big = repeatTo("BAsd7&jh23", 256 * 1024);
  add({
    id: "7.1.6",
    description: "Send a 256 KiB text message, then a small one, then a close frame, then a " +
      "ping, back to back.",
    expectation: "Depends on implementation-defined close behaviour: the messages may or may " +
      "not be echoed before the close (INFORMATIONAL).",
    async run(t) {
      t.suppressClose();
      t.expect("OK", [msg(big), msg("Hello World!")]);
      t.expect("NON-STRICT", []);
      t.expectClose(CLOSE_NORMAL);
      await t.sendMessage(false, big);
      await t.sendMessage(false, utf8("Hello World!"));
      await t.sendClose(1000);
      await t.send({ opcode: 9 });
      t.killAfter(TIMEOUTS.echo);
    },
    judge(_facts, verdict) {
      if (verdict.reason.startsWith("invalid frame")) return verdict;
      const text = verdict.outcome === "OK"
        ? "Messages were echoed before the close."
        : verdict.outcome === "NON-STRICT"
        ? "The close was processed before the messages could be echoed."
        : verdict.reason;
      return { outcome: "INFORMATIONAL", reason: text };
    },
  });
  const closeBodies: [string, string, Uint8Array, number[], boolean][] = [
    ["7.3.1", "Send a close frame with payload length 0 (no code, no reason).", new Uint8Array(0), [
      1000,
    ], true],
    ["7.3.2", "Send a close frame with payload length 1.", utf8("a"), [1002], false],
    [
      "7.3.3",
      "Send a close frame with close code and no reason.",
      closePayload(1000),
      [1000],
      true,
    ],
    [
      "7.3.4",
      "Send a close frame with close code and reason.",
      closePayload(1000, "Hello World!"),
      [1000],
      true,
    ],
    [
      "7.3.5",
      "Send a close frame with close code and a reason of the maximum length (123).",
      closePayload(1000, "*".repeat(123)),
      [1000],
      true,
    ],
    [
      "7.3.6",
      "Send a close frame with close code and a reason which is too long (124): 126 octets of payload.",
      closePayload(1000, "*".repeat(124)),
      [1002],
      false,
    ],
    [
      "7.5.1",
      "Send a close frame with an invalid UTF-8 reason.",
      closePayload(1000, hex("cebae1bdb9cf83cebcceb5eda080656469746564")),
      [1002, 1007],
      false,
    ],
  ];
  for (const [id, description, body, codes, clean] of closeBodies) {
    add({
      id,
      description,
      expectation: clean
        ? "Clean close with normal code."
        : `Close with ${codes.join(" or ")}, or TCP dropped.`,
      async run(t) {
        t.suppressClose();
        t.expect("OK", []);
        t.expectClose({ closedByMe: true, codes, requireClean: clean });
        await t.sendCloseFrame(body);
        t.killAfter(TIMEOUTS.echo);
      },
    });
  }
  const validCodes = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999];
  validCodes.forEach((code, i) => {
    add({
      id: `7.7.${i + 1}`,
      description: `Send close with valid close code ${code}.`,
      expectation: "Clean close with normal or echoed code.",
      async run(t) {
        t.suppressClose();
        t.expect("OK", []);
        t.expectClose({ closedByMe: true, codes: [1000, code], requireClean: true });
        await t.sendClose(code);
        t.killAfter(TIMEOUTS.echo);
      },
    });
  });
  // Autobahn's current list (1012-1014 are registered by IANA, so valid now).
  const invalidCodes = [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999];
  invalidCodes.forEach((code, i) => {
    add({
      id: `7.9.${i + 1}`,
      description: `Send close with invalid close code ${code}.`,
      expectation: "Close with protocol error (1002), or TCP dropped.",
      async run(t) {
        t.suppressClose();
        t.expect("OK", []);
        t.expectClose({ closedByMe: true, codes: [1002], requireClean: false });
        await t.sendCloseFrame(closePayload(code));
        t.killAfter(TIMEOUTS.echo);
      },
    });
  });
  for (const [id, code] of [["7.13.1", 5000], ["7.13.2", 65535]] as const) {
    add({
      id,
      description: `Send close with close code ${code}.`,
      expectation: "Undefined by the spec (INFORMATIONAL).",
      async run(t) {
        t.suppressClose();
        t.expect("OK", []);
        t.expectClose({ closedByMe: true, codes: [1000, 1002, code], requireClean: false });
        await t.sendCloseFrame(closePayload(code));
        t.killAfter(TIMEOUTS.echo);
      },
      judge(facts, verdict) {
        if (verdict.reason.startsWith("invalid frame")) return verdict;
        return {
          outcome: "INFORMATIONAL",
          reason: facts.closeReceived
            ? `the peer answered close ${facts.remoteCode ?? "without code"}`
            : "the peer dropped TCP",
        };
      },
    });
  }
}

// ----------------------------------------------------- 9 Limits/performance

{
  const KB = 1024;
  const MB = 1024 * 1024;
  const heavy = { serial: true, deadlineMs: 30_000 };
  const sizes = [64 * KB, 256 * KB, MB];
  for (const binary of [false, true]) {
    const unit = binary ? new Uint8Array([0xfe]) : utf8("BAsd7&jh23");
    const kind = binary ? "binary" : "text";
    sizes.forEach((size, i) => {
      const payload = repeatTo(unit, size);
      add({
        id: `9.${binary ? 2 : 1}.${i + 1}`,
        ...heavy,
        description: `Send a ${kind} message of ${size / KB} KiB.`,
        expectation: "Receive the echo. Clean close with normal code.",
        async run(t) {
          expectEcho(t, [msg(payload, binary)]);
          await t.sendMessage(binary, payload);
          t.killAfter(20_000);
        },
      });
    });
    const fragment = [64, 256, KB, 4 * KB, 16 * KB, 64 * KB, 256 * KB, MB];
    const payload = repeatTo(unit, MB);
    fragment.forEach((size, i) => {
      add({
        id: `9.${binary ? 4 : 3}.${i + 1}`,
        ...heavy,
        description: `Send a fragmented ${kind} message of 1 MiB in frames of ${
          size >= KB ? `${size / KB} KiB` : `${size} octets`
        }.`,
        expectation: "Receive the echo. Clean close with normal code.",
        async run(t) {
          expectEcho(t, [msg(payload, binary)]);
          await t.sendMessage(binary, payload, { fragmentSize: size });
          t.killAfter(20_000);
        },
      });
    });
    [64, 128, 256, 512, 1024, 2048].forEach((size, i) => {
      add({
        id: `9.${binary ? 6 : 5}.${i + 1}`,
        ...heavy,
        description: `Send a ${kind} message of 1 MiB in chops of ${size} octets.`,
        expectation: "Receive the echo. Clean close with normal code.",
        async run(t) {
          expectEcho(t, [msg(payload, binary)]);
          await t.sendMessage(binary, payload, { chop: size });
          t.killAfter(20_000);
        },
      });
    });
    [0, 16, 64, 256, KB, 4 * KB].forEach((size, i) => {
      const count = 1000;
      const one = repeatTo(binary ? new Uint8Array([0xfe]) : utf8("*"), size);
      add({
        id: `9.${binary ? 8 : 7}.${i + 1}`,
        serial: true,
        deadlineMs: 10_000,
        description: `Send ${count} ${kind} messages of ${size} octets, one after the other, ` +
          "each after the previous echo.",
        expectation: "Receive all echoes within 10 s. Clean close with normal code.",
        async run(t) {
          expectEcho(t, Array.from({ length: count }, () => msg(one, binary)));
          for (let n = 1; n <= count; n++) {
            await t.sendMessage(binary, one);
            if (!(await t.waitForEvents(n, 5000))) break;
          }
          t.killAfter(TIMEOUTS.echo);
        },
      });
    });
  }
}

// ------------------------------------------------------------ 10 Misc

add({
  id: "10.1.1",
  description: "Send a text message of 65536 octets in frames of 1300 octets.",
  expectation: "Receive the echo. Clean close with normal code.",
  async run(t) {
    const payload = repeatTo(utf8("*"), 65536);
    expectEcho(t, [msg(payload)]);
    await t.sendMessage(false, payload, { fragmentSize: 1300 });
    t.killAfter(TIMEOUTS.echo);
  },
});

// ------------------------------------------ 12-13 permessage-deflate

/** A small seeded PRNG (mulberry32), so the data sets are the same every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  "der die das und ist nicht ich du wir Faust Mephistopheles Gretchen Größe Übermut schön " +
  "the of and to in that it with as for was on are be this have from or one had by word but " +
  "κόσμε naïve café 東京 smile 🙂 data stream window frame message compress inflate deflate"
).split(" ");

/**
 * A data set: a deterministic generator of messages of exactly `size` bytes
 * (Autobahn uses files it ships; these stand in for them).
 */
interface DataSet {
  title: string;
  binary: boolean;
  message(random: () => number, size: number): Uint8Array;
}

/** Text of exactly `size` UTF-8 bytes, from `next()` pieces, padded with spaces. */
function textOf(size: number, next: () => string): Uint8Array {
  const out = new Uint8Array(size);
  let length = 0;
  const encoder = new TextEncoder();
  for (;;) {
    const piece = encoder.encode(next());
    if (length + piece.length > size) break;
    out.set(piece, length);
    length += piece.length;
  }
  out.fill(0x20, length);
  return out;
}

const DATA_SETS: DataSet[] = [
  {
    title: "Human-readable text (UTF-8, German, English, Greek, emoji)",
    binary: false,
    message: (random, size) =>
      textOf(
        size,
        () => WORDS[Math.floor(random() * WORDS.length)]! + (random() < 0.1 ? ".\n" : " "),
      ),
  },
  {
    title: "Bitmap-like binary: runs, gradients and noise",
    binary: true,
    message: (random, size) => {
      const out = new Uint8Array(size);
      let i = 0;
      while (i < size) {
        const kind = random();
        const run = Math.min(size - i, 1 + Math.floor(random() * 200));
        const base = Math.floor(random() * 256);
        for (let j = 0; j < run; j++) {
          out[i + j] = kind < 0.4
            ? base
            : kind < 0.8
            ? (base + j) & 0xff
            : Math.floor(random() * 256);
        }
        i += run;
      }
      return out;
    },
  },
  {
    title: "JSON records (UTF-8)",
    binary: false,
    message: (random, size) => {
      let id = 0;
      return textOf(size, () =>
        JSON.stringify({
          id: id++,
          name: WORDS[Math.floor(random() * WORDS.length)],
          score: Math.round(random() * 1e4) / 100,
          tags: [WORDS[Math.floor(random() * WORDS.length)], "x"],
          active: random() < 0.5,
        }) + ",\n");
    },
  },
];

/** (payload size, message count, fragment size): Autobahn's list, counts scaled for CI. */
const DEFLATE_SIZES: [number, number, number][] = [
  [16, 100, 0],
  [64, 100, 0],
  [256, 100, 0],
  [1024, 100, 0],
  [4096, 50, 0],
  [16384, 20, 0],
  [65536, 10, 0],
  [131072, 5, 0],
  [8192, 20, 256],
  [65536, 10, 256],
  [131072, 5, 4096],
];

function deflateCase(
  id: string,
  data: DataSet,
  [size, count, fragment]: [number, number, number],
  negotiation: DeflateNegotiation,
  params: string,
): void {
  add({
    id,
    serial: size >= 65536,
    deadlineMs: 20_000,
    deflate: negotiation,
    description:
      `Send ${count} compressed ${data.binary ? "binary" : "text"} messages of ${size} ` +
      `bytes${fragment ? ` in frames of ${fragment} bytes` : ""}, one after the other (each ` +
      `after the previous echo). Data: ${data.title}. permessage-deflate ${params}.`,
    expectation: "Receive every message echoed, byte for byte; the peer's compressed messages " +
      "decode within the negotiated window and context rules. Clean close with normal code. " +
      "UNIMPLEMENTED when the peer does not negotiate permessage-deflate.",
    async run(t) {
      const random = prng(size * 31 + count);
      const messages = Array.from({ length: count }, () => data.message(random, size));
      expectEcho(t, messages.map((m) => msg(m, data.binary)));
      for (let n = 0; n < count; n++) {
        await t.sendMessage(data.binary, messages[n]!, {
          compress: true,
          ...(fragment ? { fragmentSize: fragment } : {}),
        });
        if (!(await t.waitForEvents(n + 1, 5000))) break;
      }
      t.killAfter(TIMEOUTS.echo);
    },
  });
}

{
  const defaults: DeflateNegotiation = {
    offer: "permessage-deflate",
    accept: acceptVariant(false, undefined),
  };
  DATA_SETS.forEach((data, j) => {
    DEFLATE_SIZES.forEach((size, i) => {
      deflateCase(`12.${j + 1}.${i + 1}`, data, size, defaults, "with the default offer");
    });
  });
  // Client offers (what the fuzzer asks of a server) and server answers
  // (what the fuzzer asks of a client), as in Autobahn's 13.1-13.7.
  const variants: [string, string, AcceptPolicy, string][] = [
    ["permessage-deflate", "default", acceptVariant(false, undefined), "answer: no parameters"],
    [
      "permessage-deflate; server_no_context_takeover",
      "server_no_context_takeover",
      acceptVariant(true, undefined),
      "answer: client_no_context_takeover",
    ],
    [
      "permessage-deflate; server_max_window_bits=8",
      "server_max_window_bits=8",
      acceptVariant(false, 8),
      "answer: client_max_window_bits=8",
    ],
    [
      "permessage-deflate; server_max_window_bits=15",
      "server_max_window_bits=15",
      acceptVariant(false, 15),
      "answer: client_max_window_bits=15",
    ],
    [
      "permessage-deflate; server_no_context_takeover; server_max_window_bits=8",
      "server_no_context_takeover, server_max_window_bits=8",
      acceptVariant(true, 8),
      "answer: client_no_context_takeover, client_max_window_bits=8",
    ],
    [
      "permessage-deflate; server_no_context_takeover; server_max_window_bits=15",
      "server_no_context_takeover, server_max_window_bits=15",
      acceptVariant(true, 15),
      "answer: client_no_context_takeover, client_max_window_bits=15",
    ],
    [
      "permessage-deflate; server_no_context_takeover; server_max_window_bits=8, " +
      "permessage-deflate; server_no_context_takeover, permessage-deflate",
      "three offers (no context + 8 bits, no context, default)",
      (offers) =>
        acceptVariant(true, 8)(offers) ?? acceptVariant(true, undefined)(offers) ??
          acceptVariant(false, undefined)(offers),
      "answer: the first of (no context + 8 bits, no context, default) the client allows",
    ],
  ];
  const sizes = [DEFLATE_SIZES[0]!, DEFLATE_SIZES[3]!, DEFLATE_SIZES[6]!, DEFLATE_SIZES[10]!];
  variants.forEach(([offer, offerText, accept, acceptText], j) => {
    sizes.forEach((size, i) => {
      deflateCase(
        `13.${j + 1}.${i + 1}`,
        DATA_SETS[2]!,
        size,
        { offer, accept },
        `(as client the fuzzer offers ${offerText}; as server its ${acceptText})`,
      );
    });
  });
}

// ----------------------------------------------------- R Role-specific

add({
  id: "R.1",
  description: "Send a text message masked the wrong way for the fuzzer's role (unmasked from a " +
    "client, masked from a server).",
  expectation: "The connection is failed immediately (1002): a server MUST close on an unmasked " +
    "frame, a client on a masked one (RFC 6455 §5.1).",
  async run(t) {
    expectFail(t, [1002]);
    await t.send({ opcode: 1, payload: utf8("Hello, world!"), mask: t.role !== "client" });
    t.killAfter(TIMEOUTS.fail);
  },
});
add({
  id: "R.2",
  description: "Send a ping masked the wrong way for the fuzzer's role.",
  expectation: "The connection is failed immediately (1002, RFC 6455 §5.1).",
  async run(t) {
    expectFail(t, [1002]);
    await t.send({ opcode: 9, payload: utf8("ping"), mask: t.role !== "client" });
    t.killAfter(TIMEOUTS.fail);
  },
});
add({
  id: "R.3",
  description: "Send a text frame whose 64-bit length has the most significant bit set.",
  expectation: "The connection is failed (1002 or 1009, RFC 6455 §5.2), without waiting for " +
    "the payload.",
  async run(t) {
    expectFail(t, [1002, 1009]);
    await t.send({ opcode: 1, payload: utf8("Hello"), announcedLength: 2n ** 63n + 5n });
    t.killAfter(TIMEOUTS.fail);
  },
});
add({
  id: "R.4",
  description: "Send a text message in the same TCP write as the end of the opening handshake.",
  expectation: "The message is echoed. Clean close with normal code.",
  trailing: (role) =>
    encodeRawFrame({ opcode: 1, payload: utf8("right after the head"), mask: role === "client" }),
  run(t) {
    expectEcho(t, [msg("right after the head")]);
    t.killAfter(TIMEOUTS.echo);
  },
});
add({
  id: "R.5",
  description: "Send a text message, then half-close TCP (FIN) without a close frame.",
  expectation: "The peer closes its end of the TCP connection (1006 locally); an echo sent " +
    "before it sees the FIN is fine.",
  async run(t) {
    t.expect("OK", []);
    t.expect("OK", [msg("Hello")]);
    t.expectClose({ closedByMe: false, codes: "any", requireClean: false });
    await t.sendMessage(false, utf8("Hello"));
    await t.halfClose();
    t.killAfter(3000);
  },
});
add({
  id: "R.6",
  description: "Send a close frame, then half-close TCP (FIN).",
  expectation: "The peer answers the close frame and closes TCP.",
  async run(t) {
    t.suppressClose();
    expectEcho(t, []);
    await t.sendClose(1000);
    await t.halfClose();
    t.killAfter(TIMEOUTS.echo);
  },
});
add({
  id: "R.7",
  peer: "client",
  description: "Close normally, then keep the TCP connection open after the closing handshake.",
  expectation: "The client closes TCP itself after a while (RFC 6455 §7.1.1: it MAY close when " +
    "the server does not in a reasonable time). Allowed: 7 s.",
  async run(t) {
    t.holdTcp();
    expectEcho(t, []);
    await t.sendClose(1000);
    t.killAfter(7000);
  },
});
const badHandshakes: [string, string, (accept: string) => string[]][] = [
  [
    "R.8",
    "Answer the opening handshake with a wrong Sec-WebSocket-Accept.",
    () => ["Sec-WebSocket-Accept: dGhlIHNhbXBsZSBub25jZQ=="],
  ],
  [
    "R.9",
    "Answer the opening handshake with an extension the client did not offer.",
    (accept) => [`Sec-WebSocket-Accept: ${accept}`, "Sec-WebSocket-Extensions: x-edgews-unknown"],
  ],
  [
    "R.10",
    "Answer the opening handshake with a subprotocol the client did not ask for.",
    (accept) => [`Sec-WebSocket-Accept: ${accept}`, "Sec-WebSocket-Protocol: x-unrequested"],
  ],
];
for (const [id, description, lines] of badHandshakes) {
  add({
    id,
    peer: "client",
    description: `${description} Then send a text message.`,
    expectation: "The client fails the connection (RFC 6455 §4.1): it closes TCP, sends no " +
      "frame and echoes nothing.",
    badResponse: lines,
    async run(t) {
      expectFail(t, []);
      await t.sendMessage(false, utf8("you should not see this"));
      t.killAfter(TIMEOUTS.fail);
    },
  });
}

/** Every case, in report order. */
export const CASES: readonly CaseDef[] = cases;

/** Cases whose id matches one of the globs ("5.*", "6.4.1", "R.*"). */
export function selectCases(patterns: string[] | undefined): CaseDef[] {
  if (!patterns || patterns.length === 0) return [...cases];
  const regexes = patterns.map((p) =>
    new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`)
  );
  return cases.filter((c) => regexes.some((r) => r.test(c.id)));
}

/** Outcome list in severity order, for summaries. */
export const OUTCOMES: readonly Outcome[] = [
  "OK",
  "NON-STRICT",
  "FAILED",
  "INFORMATIONAL",
  "UNIMPLEMENTED",
];
