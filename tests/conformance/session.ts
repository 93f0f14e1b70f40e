/**
 * One conformance case on one connection: the fuzzer's half of a WebSocket
 * connection after the opening handshake, driven by a case script, judged by
 * the {@linkcode StrictFrameReader}, classified like the Autobahn TestSuite.
 *
 * The model (same ideas as Autobahn's, our own code):
 *
 * - A case script sends frames and registers the event lists it accepts
 *   ({@linkcode CaseContext.expect}, one or more per outcome: OK, NON-STRICT,
 *   ...) and how the connection must end ({@linkcode CaseContext.expectClose}:
 *   who starts the closing handshake, the close codes allowed, whether the
 *   handshake must complete).
 * - Received messages, pings and pongs, plus `timeout` marks recorded by
 *   {@linkcode CaseContext.wait} while the connection is still open, form the
 *   event list compared at the end. "Fail fast" cases rely on those marks.
 * - When the events match the first expected list and the fuzzer is to close,
 *   it starts the closing handshake itself.
 * - The fuzzer behaves like a plain endpoint otherwise: answers pings, echoes
 *   a close frame, closes TCP first when it is the server, waits for the
 *   server to close TCP when it is the client.
 *
 * @module
 */

import { type MessageInflater, type PeerEvent, StrictFrameReader } from "./strict_reader.ts";
import type { FrameSummary } from "./strict_reader.ts";
import { writeAll } from "./_http.ts";
import { bytesEqual, chop, closePayload, concat, encodeRawFrame, type RawFrame } from "./wire.ts";
import { toHex } from "./wire.ts";

/** A case's verdict, Autobahn's vocabulary. */
export type Outcome = "OK" | "NON-STRICT" | "FAILED" | "INFORMATIONAL" | "UNIMPLEMENTED";

/** An event the fuzzer observed (or expects), in order. */
export type CaseEvent =
  | { type: "message"; binary: boolean; data: Uint8Array }
  | { type: "ping"; data: Uint8Array }
  | { type: "pong"; data: Uint8Array }
  | { type: "timeout"; label: string };

/** How the connection is expected to end. */
export interface CloseExpectation {
  /** `true` when the fuzzer starts the closing handshake, `false` when the peer must. */
  closedByMe: boolean;
  /** Close codes the peer may send (an empty close body is always allowed), or "any". */
  codes: readonly number[] | "any";
  /** The closing handshake must complete (close frames both ways). */
  requireClean: boolean;
}

/** Frames the fuzzer sends in one go, and how they hit the wire. */
export interface SendOptions {
  /** Split the bytes into chops of this many octets, one write each. */
  chop?: number;
  /** Pause between chops (ms). */
  delayMs?: number;
}

/** Compression state of a connection where permessage-deflate was negotiated. */
export interface DeflateSession {
  /** Decompresses the peer's messages (whole-message payloads). */
  inflater: MessageInflater;
  /** Compresses one whole message payload for the wire (no trailing 00 00 ff ff). */
  deflate(payload: Uint8Array): Promise<Uint8Array>;
  /** The negotiated `Sec-WebSocket-Extensions` response. */
  response: string;
  /** Frees the compressor. */
  close(): void;
}

/** Timing knobs (ms). */
export const TIMEOUTS = {
  /** Peer's close frame after ours. */
  closeHandshake: 2000,
  /** A server peer closing TCP after the closing handshake. */
  serverDrop: 2000,
  /** Default for "the peer must fail the connection". */
  fail: 1500,
  /** Default for "the echo must come back". */
  echo: 3000,
} as const;

/** The script's handle on its connection. */
export interface CaseContext {
  /** The fuzzer's role; the peer under test has the other one. */
  readonly role: "client" | "server";
  /** Set when permessage-deflate was negotiated for this connection. */
  readonly deflate: DeflateSession | undefined;
  /** Whether the connection is still open (no close frame either way, TCP up). */
  readonly open: boolean;
  /** Accept this event list as `outcome` (call more than once for alternatives). */
  expect(outcome: Outcome, events: CaseEvent[]): void;
  /** How the connection must end. */
  expectClose(expectation: CloseExpectation): void;
  /** Do not start the closing handshake when the expected events are in. */
  suppressClose(): void;
  /** Sends frames (masked per role unless said otherwise), all in one write unless chopped. */
  send(frames: RawFrame | RawFrame[], options?: SendOptions): Promise<void>;
  /** Sends raw bytes. */
  sendBytes(bytes: Uint8Array, options?: SendOptions): Promise<void>;
  /** Sends a message, optionally fragmented, as frames in one write unless chopped. */
  sendMessage(
    binary: boolean,
    payload: Uint8Array,
    options?: SendOptions & { fragmentSize?: number; compress?: boolean },
  ): Promise<void>;
  /** Starts (or answers) the closing handshake with this code and reason (once). */
  sendClose(code?: number, reason?: string | Uint8Array): Promise<void>;
  /**
   * Sends a close frame with this exact body and counts it as the fuzzer's
   * close (a frame with opcode 8 sent through {@linkcode send} does not count:
   * it is just bytes, like Autobahn's `sendFrame`).
   */
  sendCloseFrame(body: Uint8Array, options?: SendOptions): Promise<void>;
  /** Sleeps; with a label, records a `timeout` event if the connection is still open. */
  wait(ms: number, label?: string): Promise<boolean>;
  /** Resolves `true` once `count` events were received, `false` after `ms` or the end. */
  waitForEvents(count: number, ms: number): Promise<boolean>;
  /** Starts the closing handshake after `ms` if nobody has. */
  closeAfter(ms: number): void;
  /** Drops TCP after `ms` if the connection has not ended by then. */
  killAfter(ms: number): void;
  /** Half-closes TCP (FIN) without a close frame. */
  halfClose(): Promise<void>;
  /** After the closing handshake, keep TCP open (to see whether the peer closes it). */
  holdTcp(): void;
  /** A line for the report. */
  note(text: string): void;
}

/** Facts about a finished case, for classification. */
export interface SessionFacts {
  role: "client" | "server";
  received: CaseEvent[];
  expected: { outcome: Outcome; events: CaseEvent[] }[];
  expectedClose: CloseExpectation;
  violation: string | undefined;
  scriptError: string | undefined;
  closeSent: boolean;
  closeReceived: boolean;
  closedByMe: boolean;
  remoteCode: number | undefined;
  remoteReason: string;
  /** Who closed TCP first. */
  tcpClosedBy: "peer" | "me";
  /** The peer reset the connection. */
  reset: boolean;
  /** The fuzzer dropped TCP after the closing handshake (waiting for a server). */
  droppedAfterClose: boolean;
  /** The fuzzer dropped TCP because the peer left it open with no closing handshake. */
  killedOpen: boolean;
  /** The fuzzer dropped TCP while waiting for the peer's close frame. */
  closeTimedOut: boolean;
  /** The fuzzer held TCP open after the closing handshake and had to drop it. */
  heldTcpDropped: boolean;
  notes: string[];
  frames: FrameSummary[];
  frameCount: number;
}

/** The verdict on one case. */
export interface Verdict {
  outcome: Outcome;
  reason: string;
}

const RANK: Record<Outcome, number> = {
  "OK": 0,
  "INFORMATIONAL": 0,
  "UNIMPLEMENTED": 0,
  "NON-STRICT": 1,
  "FAILED": 2,
};

function worst(a: Verdict, b: Verdict): Verdict {
  return RANK[b.outcome] > RANK[a.outcome] ? b : a;
}

/** Short text of an event list, for reasons. */
export function describeEvents(events: CaseEvent[]): string {
  if (events.length === 0) return "nothing";
  const parts = events.slice(0, 6).map((e) => {
    switch (e.type) {
      case "timeout":
        return `timeout ${e.label}`;
      case "message":
        return `${e.binary ? "binary" : "text"}(${e.data.length}: ${toHex(e.data, 12)})`;
      default:
        return `${e.type}(${toHex(e.data, 12)})`;
    }
  });
  return parts.join(", ") + (events.length > 6 ? `, … ${events.length} events` : "");
}

function eventsEqual(a: CaseEvent[], b: CaseEvent[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.type !== y.type) return false;
    if (x.type === "timeout") {
      if (x.label !== (y as typeof x).label) return false;
    } else if (x.type === "message") {
      const m = y as typeof x;
      if (x.binary !== m.binary || !bytesEqual(x.data, m.data)) return false;
    } else if (!bytesEqual(x.data, (y as typeof x).data)) {
      return false;
    }
  }
  return true;
}

/** The expected list matching the events, if any. */
export function matchExpected(facts: SessionFacts): Outcome | undefined {
  for (const e of facts.expected) {
    if (eventsEqual(facts.received, e.events)) return e.outcome;
  }
  return undefined;
}

/**
 * Autobahn's classification, made strict where the task asks: an invalid
 * frame, events matching no expected list, the wrong endpoint closing, a close
 * code outside the allowed set, a required clean close that did not happen,
 * or a connection the peer should have failed and left open are FAILED; a
 * server that leaves TCP to the client after the closing handshake is
 * NON-STRICT (RFC 6455 §7.1.1 says the server SHOULD close it first).
 */
export function classify(facts: SessionFacts): Verdict {
  if (facts.scriptError !== undefined) {
    return { outcome: "FAILED", reason: `fuzzer error: ${facts.scriptError}` };
  }
  if (facts.violation !== undefined) {
    return { outcome: "FAILED", reason: `invalid frame from the peer: ${facts.violation}` };
  }
  const matched = matchExpected(facts);
  const ok = facts.expected.find((e) => e.outcome === "OK");
  let verdict: Verdict = matched !== undefined
    ? {
      outcome: matched,
      reason: matched === "OK" || !ok
        ? "events as expected"
        : `received ${describeEvents(facts.received)}; OK needs ${describeEvents(ok.events)}`,
    }
    : {
      outcome: "FAILED",
      reason: `received ${describeEvents(facts.received)}; expected ${
        facts.expected.map((e) => `${e.outcome}: ${describeEvents(e.events)}`).join(" | ")
      }`,
    };
  const ec = facts.expectedClose;
  const peer = facts.role === "client" ? "server" : "client";
  let close: Verdict = { outcome: "OK", reason: "" };
  if (!ec.closedByMe && facts.killedOpen) {
    close = {
      outcome: "FAILED",
      reason: `the ${peer} left the connection open; it should have failed it`,
    };
  } else if (facts.heldTcpDropped) {
    close = {
      outcome: "FAILED",
      reason: `the ${peer} kept TCP open after the closing handshake`,
    };
  } else if (ec.closedByMe !== facts.closedByMe) {
    close = {
      outcome: "FAILED",
      reason: ec.closedByMe
        ? `the ${peer} closed the connection (${
          facts.closeReceived ? `close ${facts.remoteCode ?? "without code"}` : "TCP dropped"
        }) where the fuzzer was to close it`
        : `the fuzzer had to close; the ${peer} never failed the connection`,
    };
  } else if (ec.requireClean && !(facts.closeSent && facts.closeReceived)) {
    close = {
      outcome: "FAILED",
      reason: facts.closeTimedOut
        ? `no close frame from the ${peer} within ${TIMEOUTS.closeHandshake} ms of ours`
        : `the closing handshake did not complete (TCP ${facts.reset ? "reset" : "closed"} by ${
          facts.tcpClosedBy === "me" ? "the fuzzer" : `the ${peer}`
        })`,
    };
  } else if (
    facts.remoteCode !== undefined && ec.codes !== "any" && !ec.codes.includes(facts.remoteCode)
  ) {
    close = {
      outcome: "FAILED",
      reason: `close code ${facts.remoteCode}, expected ${ec.codes.join(" or ") || "none"}`,
    };
  } else if (peer === "server" && facts.droppedAfterClose) {
    close = {
      outcome: "NON-STRICT",
      reason: "the server did not close TCP after the closing handshake (RFC 6455 §7.1.1)",
    };
  }
  verdict = worst(verdict, close);
  return verdict;
}

/** A case script. */
export type CaseScript = (t: CaseContext) => Promise<void> | void;

/** Options of {@linkcode runSession}. */
export interface SessionOptions {
  conn: Deno.Conn;
  role: "client" | "server";
  /** Bytes read with the handshake that belong to the WebSocket stream. */
  leftover?: Uint8Array | undefined;
  deflate?: DeflateSession | undefined;
  /** Hard limit for the whole case (ms). */
  deadlineMs: number;
}

/** Runs one case script on an open connection and returns what happened. */
export async function runSession(
  script: CaseScript,
  options: SessionOptions,
): Promise<SessionFacts> {
  const session = new Session(options);
  return await session.run(script);
}

class Session implements CaseContext {
  readonly role: "client" | "server";
  readonly deflate: DeflateSession | undefined;
  readonly #conn: Deno.Conn;
  readonly #reader: StrictFrameReader;
  readonly #leftover: Uint8Array | undefined;
  readonly #deadlineMs: number;
  #expected: { outcome: Outcome; events: CaseEvent[] }[] = [];
  #expectedClose: CloseExpectation = { closedByMe: true, codes: [1000], requireClean: true };
  #suppressClose = false;
  #received: CaseEvent[] = [];
  #messages = 0;
  #compressed = 0;
  #waiters = new Set<{ count: number; resolve: (ok: boolean) => void }>();
  #notes: string[] = [];
  #timers = new Set<ReturnType<typeof setTimeout>>();
  #writeChain: Promise<void> = Promise.resolve();
  #closeSent = false;
  #closeReceived = false;
  #closedByMe = false;
  #remoteCode: number | undefined;
  #remoteReason = "";
  #tcpClosed = false;
  #tcpClosedBy: "peer" | "me" = "peer";
  #reset = false;
  #droppedAfterClose = false;
  #killedOpen = false;
  #closeTimedOut = false;
  #holdTcp = false;
  #heldTcpDropped = false;
  #halfClosed = false;
  #scriptError: string | undefined;
  #ended!: Promise<void>;
  #endedResolve!: () => void;

  constructor(options: SessionOptions) {
    this.role = options.role;
    this.deflate = options.deflate;
    this.#conn = options.conn;
    this.#leftover = options.leftover;
    this.#deadlineMs = options.deadlineMs;
    this.#reader = new StrictFrameReader({
      peerRole: options.role === "client" ? "server" : "client",
      inflater: options.deflate?.inflater,
    });
    this.#ended = new Promise((resolve) => (this.#endedResolve = resolve));
  }

  get open(): boolean {
    return !this.#tcpClosed && !this.#closeSent && !this.#closeReceived;
  }

  async run(script: CaseScript): Promise<SessionFacts> {
    try {
      (this.#conn as Deno.TcpConn).setNoDelay(true);
    } catch {
      // Already closed.
    }
    const deadline = setTimeout(() => {
      this.note(`case deadline of ${this.#deadlineMs} ms reached`);
      this.#drop();
    }, this.#deadlineMs);
    // The script's synchronous start registers its expectations before the
    // first byte (maybe already read with the handshake) is looked at.
    const scripted = (async () => await script(this))();
    const reading = this.#readLoop();
    try {
      await scripted;
    } catch (error) {
      this.#scriptError = error instanceof Error ? error.message : String(error);
      this.#drop();
    }
    await this.#ended;
    await reading;
    clearTimeout(deadline);
    for (const t of this.#timers) clearTimeout(t);
    await this.#writeChain;
    if (this.deflate) {
      this.deflate.close();
      this.note(`the peer compressed ${this.#compressed} of its ${this.#messages} messages`);
    }
    return {
      role: this.role,
      received: this.#received,
      expected: this.#expected,
      expectedClose: this.#expectedClose,
      violation: this.#reader.violation,
      scriptError: this.#scriptError,
      closeSent: this.#closeSent,
      closeReceived: this.#closeReceived,
      closedByMe: this.#closedByMe,
      remoteCode: this.#remoteCode,
      remoteReason: this.#remoteReason,
      tcpClosedBy: this.#tcpClosedBy,
      reset: this.#reset,
      droppedAfterClose: this.#droppedAfterClose,
      killedOpen: this.#killedOpen,
      closeTimedOut: this.#closeTimedOut,
      heldTcpDropped: this.#heldTcpDropped,
      notes: this.#notes,
      frames: this.#reader.frames,
      frameCount: this.#reader.frameCount,
    };
  }

  // ------------------------------------------------------------ script API

  expect(outcome: Outcome, events: CaseEvent[]): void {
    this.#expected.push({ outcome, events });
  }

  expectClose(expectation: CloseExpectation): void {
    this.#expectedClose = expectation;
  }

  suppressClose(): void {
    this.#suppressClose = true;
  }

  holdTcp(): void {
    this.#holdTcp = true;
  }

  note(text: string): void {
    if (this.#notes.length < 20) this.#notes.push(text);
  }

  send(frames: RawFrame | RawFrame[], options: SendOptions = {}): Promise<void> {
    const list = Array.isArray(frames) ? frames : [frames];
    const bytes = concat(list.map((f) => encodeRawFrame({ mask: this.role === "client", ...f })));
    return this.sendBytes(bytes, options);
  }

  sendBytes(bytes: Uint8Array, options: SendOptions = {}): Promise<void> {
    const pieces = options.chop ? chop(bytes, options.chop) : [bytes];
    return this.#enqueue(async () => {
      for (let i = 0; i < pieces.length; i++) {
        if (this.#tcpClosed || this.#halfClosed) return;
        if (i > 0 && options.delayMs) await this.#sleep(options.delayMs);
        await writeAll(this.#conn, pieces[i]!);
      }
    });
  }

  async sendMessage(
    binary: boolean,
    payload: Uint8Array,
    options: SendOptions & { fragmentSize?: number; compress?: boolean } = {},
  ): Promise<void> {
    let data = payload;
    let rsv = 0;
    if (options.compress) {
      if (!this.deflate) {
        throw new Error("compress asked on a connection without permessage-deflate");
      }
      data = await this.deflate.deflate(payload);
      rsv = 4;
    }
    const size = options.fragmentSize ?? 0;
    const parts = size > 0 && data.length > size ? chop(data, size) : [data];
    const frames: RawFrame[] = parts.map((p, i) => ({
      opcode: i === 0 ? (binary ? 2 : 1) : 0,
      fin: i === parts.length - 1,
      rsv: i === 0 ? rsv : 0,
      payload: p,
    }));
    await this.send(frames, options);
  }

  sendClose(code?: number, reason: string | Uint8Array = ""): Promise<void> {
    if (this.#closeSent) return Promise.resolve();
    return this.sendCloseFrame(closePayload(code, reason));
  }

  sendCloseFrame(body: Uint8Array, options: SendOptions = {}): Promise<void> {
    const sent = this.send({ opcode: 8, payload: body }, options);
    this.#markCloseSent();
    return sent;
  }

  async wait(ms: number, label?: string): Promise<boolean> {
    await this.#sleep(ms);
    if (!this.open) return false;
    if (label !== undefined) this.#onEvent({ type: "timeout", label });
    return true;
  }

  waitForEvents(count: number, ms: number): Promise<boolean> {
    if (this.#received.length >= count) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = { count, resolve };
      this.#waiters.add(waiter);
      void this.#sleep(ms).then(() => {
        this.#waiters.delete(waiter);
        resolve(this.#received.length >= count);
      });
    });
  }

  closeAfter(ms: number): void {
    this.#timer(ms, () => {
      if (!this.#tcpClosed && !this.#closeSent && !this.#closeReceived) {
        const codes = this.#expectedClose.codes;
        void this.sendClose(codes === "any" ? 1000 : codes[0] ?? 1000);
      }
    });
  }

  killAfter(ms: number): void {
    this.#timer(ms, () => {
      if (this.#tcpClosed) return;
      const closing = this.#closeSent || this.#closeReceived;
      if (!closing) {
        this.#killedOpen = true;
        this.note(`dropped TCP after ${ms} ms with no closing handshake`);
        this.#drop();
      } else if (this.#holdTcp) {
        this.#heldTcpDropped = true;
        this.note(`dropped TCP after ${ms} ms: the peer kept it open`);
        this.#drop();
      }
      // Otherwise the closing-handshake timers decide.
    });
  }

  halfClose(): Promise<void> {
    return this.#enqueue(async () => {
      if (this.#tcpClosed || this.#halfClosed) return;
      this.#halfClosed = true;
      await this.#conn.closeWrite();
    });
  }

  // ------------------------------------------------------------ internals

  #timer(ms: number, fn: () => void): void {
    const id = setTimeout(() => {
      this.#timers.delete(id);
      fn();
    }, ms);
    this.#timers.add(id);
  }

  /** Resolves after `ms`, or as soon as the connection has ended. */
  #sleep(ms: number): Promise<void> {
    return Promise.race([new Promise<void>((resolve) => this.#timer(ms, resolve)), this.#ended]);
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    const next = this.#writeChain.then(task).catch((error) => {
      if (!this.#tcpClosed) this.note(`write failed: ${(error as Error).message}`);
    });
    this.#writeChain = next;
    return next;
  }

  #markCloseSent(): void {
    if (this.#closeSent) return;
    this.#closeSent = true;
    if (!this.#closeReceived) {
      this.#closedByMe = true;
      this.#timer(TIMEOUTS.closeHandshake, () => {
        if (!this.#closeReceived && !this.#tcpClosed) {
          this.#closeTimedOut = true;
          this.#drop();
        }
      });
    } else {
      this.#afterClosingHandshake();
    }
  }

  async #readLoop(): Promise<void> {
    if (this.#leftover && this.#leftover.length > 0) this.#onBytes(this.#leftover);
    const buf = new Uint8Array(64 * 1024);
    while (!this.#tcpClosed) {
      let n: number | null;
      try {
        n = await this.#conn.read(buf);
      } catch (error) {
        if (!this.#tcpClosed) {
          this.#reset = true;
          this.note(`read error: ${(error as Error).name}`);
          this.#tcpEnd("peer");
        }
        break;
      }
      if (n === null) {
        // The peer half-closed or closed: let queued writes (a close echo) go first.
        await Promise.race([this.#writeChain, this.#sleep(500)]);
        if (!this.#tcpClosed) this.#tcpEnd("peer");
        break;
      }
      this.#onBytes(buf.slice(0, n));
    }
    this.#endedResolve();
  }

  #onBytes(bytes: Uint8Array): void {
    const events = this.#reader.push(bytes);
    for (const event of events) this.#onPeerEvent(event);
    if (this.#reader.violation !== undefined) this.#drop();
  }

  #onPeerEvent(event: PeerEvent): void {
    switch (event.type) {
      case "message":
        this.#messages++;
        if (event.compressed) this.#compressed++;
        this.#onEvent({ type: "message", binary: event.binary, data: event.data });
        return;
      case "ping":
        if (!this.#closeSent) void this.send({ opcode: 10, payload: event.data });
        this.#onEvent({ type: "ping", data: event.data });
        return;
      case "pong":
        this.#onEvent({ type: "pong", data: event.data });
        return;
      case "close":
        this.#closeReceived = true;
        this.#remoteCode = event.code;
        this.#remoteReason = event.reason;
        if (!this.#closeSent) {
          // Echo the peer's code like an ordinary endpoint (RFC 6455 §5.5.1).
          void this.sendClose(event.code);
        } else {
          this.#afterClosingHandshake();
        }
        return;
    }
  }

  #onEvent(event: CaseEvent): void {
    this.#received.push(event);
    for (const waiter of this.#waiters) {
      if (this.#received.length >= waiter.count) {
        this.#waiters.delete(waiter);
        waiter.resolve(true);
      }
    }
    const primary = this.#expected[0];
    if (
      primary && this.#expectedClose.closedByMe && !this.#suppressClose && !this.#closeSent &&
      !this.#closeReceived && eventsEqual(this.#received, primary.events)
    ) {
      const codes = this.#expectedClose.codes;
      void this.sendClose(codes === "any" ? 1000 : codes[0] ?? 1000);
    }
  }

  /** Both close frames are out: the server closes TCP, the client waits for it. */
  #afterClosingHandshake(): void {
    if (this.#holdTcp) return;
    if (this.role === "server") {
      void this.#writeChain.then(() => this.#drop());
    } else {
      this.#timer(TIMEOUTS.serverDrop, () => {
        if (!this.#tcpClosed) {
          this.#droppedAfterClose = true;
          this.#drop();
        }
      });
    }
  }

  #tcpEnd(by: "peer" | "me"): void {
    if (this.#tcpClosed) return;
    this.#tcpClosed = true;
    this.#tcpClosedBy = by;
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
    this.#endedResolve();
  }

  #drop(): void {
    this.#tcpEnd("me");
  }
}
