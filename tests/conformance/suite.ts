/**
 * Runs the conformance cases against implementations, as servers (the fuzzer
 * connects as a client) and as clients (the fuzzer is a server, one case per
 * connection on `/runCase?case=ID`, like Autobahn's fuzzing server).
 *
 * Independent cases run a few at a time; cases marked `serial` (fail-fast
 * timing, group 9) run alone afterwards.
 *
 * @module
 */

import { type CaseDef, OUTCOMES } from "./cases.ts";
import { clientHandshake, readUpgradeRequest, switchingProtocols, writeAll } from "./_http.ts";
import { acceptFor } from "./_http.ts";
import { classify, type Outcome, runSession, type SessionFacts, type Verdict } from "./session.ts";
import { utf8 } from "./wire.ts";
import { acceptResponse, answerOffer } from "./_deflate.ts";
import type { CaseScript, DeflateSession } from "./session.ts";
import {
  clientCommand,
  IMPL_NAMES,
  type ImplKey,
  type Proc,
  serverCommand,
  spawn,
  stop,
} from "./targets.ts";

/** One case's result for one implementation and side. */
export interface CaseResult {
  id: string;
  outcome: Outcome;
  reason: string;
  durationMs: number;
  /** The peer's close code, if it sent one. */
  closeCode?: number | undefined;
  closeReason?: string | undefined;
  notes?: string[] | undefined;
  /** The first frames the peer sent (only for results that are not OK). */
  frames?: SessionFacts["frames"] | undefined;
}

/** All results for one implementation on one side. */
export interface TargetResult {
  impl: ImplKey;
  name: string;
  side: "server" | "client";
  durationMs: number;
  counts: Record<Outcome, number>;
  results: CaseResult[];
  error?: string | undefined;
}

/** Options of {@linkcode runTarget}. */
export interface RunOptions {
  cases: CaseDef[];
  /** Cases run at once (non-serial ones). */
  concurrency: number;
  log: (line: string) => void;
}

const HANDSHAKE_TIMEOUT = 5000;
const DEFAULT_DEADLINE = 15_000;

function countOutcomes(results: CaseResult[]): Record<Outcome, number> {
  const counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  for (const r of results) counts[r.outcome]++;
  return counts;
}

function toResult(def: CaseDef, facts: SessionFacts, startedAt: number): CaseResult {
  let verdict: Verdict = classify(facts);
  if (def.judge) verdict = def.judge(facts, verdict);
  return {
    id: def.id,
    outcome: verdict.outcome,
    reason: verdict.reason,
    durationMs: Math.round(performance.now() - startedAt),
    closeCode: facts.remoteCode,
    closeReason: facts.remoteReason || undefined,
    notes: facts.notes.length > 0 ? facts.notes : undefined,
    frames: verdict.outcome === "OK" || verdict.outcome === "INFORMATIONAL"
      ? undefined
      : facts.frames.slice(0, 12),
  };
}

/** For a compression case the peer did not negotiate: close normally, report UNIMPLEMENTED. */
const closeOnly: CaseScript = async (t) => {
  t.expect("OK", []);
  t.expectClose({ closedByMe: true, codes: [1000], requireClean: true });
  await t.sendClose(1000);
  t.killAfter(3000);
};

function unimplemented(result: CaseResult, peer: "server" | "client"): CaseResult {
  if (result.outcome !== "OK") return result;
  return {
    ...result,
    outcome: "UNIMPLEMENTED",
    reason: `the ${peer} did not negotiate permessage-deflate`,
  };
}

/** Runs `tasks` with at most `limit` at once, in order of start. */
async function pool<T>(items: T[], limit: number, task: (item: T) => Promise<void>) {
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) await task(items[next++]!);
  });
  await Promise.all(workers);
}

function sortResults(cases: CaseDef[], results: Map<string, CaseResult>): CaseResult[] {
  return cases.map((c) =>
    results.get(c.id) ?? {
      id: c.id,
      outcome: "FAILED",
      reason: "the case never ran",
      durationMs: 0,
    }
  );
}

// ------------------------------------------------------------ servers

/** Runs the cases against an echo server implementation. */
export async function runServerTarget(impl: ImplKey, options: RunOptions): Promise<TargetResult> {
  const started = performance.now();
  const cases = options.cases.filter((c) => c.peer !== "client");
  const results = new Map<string, CaseResult>();
  let proc: Proc | undefined;
  let port = 0;
  let restarts = 0;
  let error: string | undefined;

  let exited: Deno.CommandStatus | undefined;
  let starting: Promise<void> | undefined;
  const startServer = () => {
    starting ??= (async () => {
      exited = undefined;
      const p = spawn(serverCommand(impl));
      void p.exited.then((status) => {
        if (proc === p) exited = status;
      });
      proc = p;
      const match = await p.waitFor(/listening on ws:\/\/[^:\s]+:(\d+)/, 60_000);
      port = Number(match[1]);
    })().finally(() => (starting = undefined));
    return starting;
  };
  /** Restarts the server if it exited (a crash on an earlier case); returns a note then. */
  const ensureServer = async (): Promise<string | undefined> => {
    if (starting) await starting;
    if (exited === undefined) return undefined;
    const note = `server exited with code ${exited.code}; restarted`;
    options.log(`  ${IMPL_NAMES[impl]} server: ${note}\n${proc?.output().slice(-1000)}`);
    if (++restarts > 10) throw new Error("the server kept exiting");
    await startServer();
    return note;
  };

  const runOne = async (def: CaseDef) => {
    const restartNote = await ensureServer();
    const t0 = performance.now();
    let conn: Deno.TcpConn | undefined;
    try {
      conn = await Deno.connect({ hostname: "127.0.0.1", port });
      const handshake = await clientHandshake(conn, {
        path: `/runCase?case=${def.id}`,
        host: `127.0.0.1:${port}`,
        extensions: def.deflate?.offer,
        trailing: def.trailing?.("client"),
      }, HANDSHAKE_TIMEOUT);
      let deflate: DeflateSession | undefined;
      if (def.deflate) {
        try {
          deflate = acceptResponse(def.deflate.offer, handshake.extensions);
        } catch (e) {
          throw new Error(`invalid permessage-deflate response: ${(e as Error).message}`);
        }
      }
      const skip = def.deflate !== undefined && deflate === undefined;
      const facts = await runSession(skip ? closeOnly : def.run, {
        conn,
        role: "client",
        leftover: handshake.head.rest,
        deflate,
        deadlineMs: def.deadlineMs ?? DEFAULT_DEADLINE,
      });
      if (restartNote) facts.notes.unshift(restartNote);
      const result = toResult(def, facts, t0);
      results.set(def.id, skip ? unimplemented(result, "server") : result);
    } catch (e) {
      try {
        conn?.close();
      } catch {
        // Closed by the session or the handshake timeout.
      }
      results.set(def.id, {
        id: def.id,
        outcome: "FAILED",
        reason: `opening handshake failed: ${(e as Error).message}`,
        durationMs: Math.round(performance.now() - t0),
        notes: restartNote ? [restartNote] : undefined,
      });
    }
  };

  try {
    await startServer();
    await pool(cases.filter((c) => !c.serial), options.concurrency, runOne);
    for (const def of cases.filter((c) => c.serial)) await runOne(def);
  } catch (e) {
    error = (e as Error).message;
    options.log(`  ${IMPL_NAMES[impl]} server: ${error}`);
  } finally {
    if (proc) await stop(proc);
  }
  const list = sortResults(cases, results);
  return {
    impl,
    name: IMPL_NAMES[impl],
    side: "server",
    durationMs: Math.round(performance.now() - started),
    counts: countOutcomes(list),
    results: list,
    error,
  };
}

// ------------------------------------------------------------ clients

/** Runs the cases against an echo client implementation. */
export async function runClientTarget(impl: ImplKey, options: RunOptions): Promise<TargetResult> {
  const started = performance.now();
  const cases = options.cases.filter((c) => c.peer !== "server");
  const byId = new Map(cases.map((c) => [c.id, c]));
  const results = new Map<string, CaseResult>();
  const connected = new Set<string>();
  const sessions = new Set<Promise<void>>();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  let lastActivity = performance.now();
  let error: string | undefined;

  const handle = async (conn: Deno.TcpConn) => {
    const t0 = performance.now();
    lastActivity = t0;
    let id = "";
    try {
      const request = await readUpgradeRequest(conn, HANDSHAKE_TIMEOUT);
      id = request.url.searchParams.get("case") ?? "";
      const def = byId.get(id);
      if (!def) throw new Error(`unknown case ${JSON.stringify(id)}`);
      if (connected.has(id)) throw new Error(`case ${id} connected twice`);
      connected.add(id);
      let answer: { session: DeflateSession; response: string } | undefined;
      if (def.deflate) {
        try {
          answer = answerOffer(
            request.head.headers.get("sec-websocket-extensions"),
            def.deflate.accept,
          );
        } catch (e) {
          throw new Error(`malformed extension offer: ${(e as Error).message}`);
        }
      }
      const skip = def.deflate !== undefined && answer === undefined;
      const response = def.badResponse
        ? utf8(
          [
            "HTTP/1.1 101 Switching Protocols",
            "Upgrade: websocket",
            "Connection: Upgrade",
            ...def.badResponse(await acceptFor(request.key)),
          ].join("\r\n") + "\r\n\r\n",
        )
        : await switchingProtocols(
          request.key,
          answer ? [`Sec-WebSocket-Extensions: ${answer.response}`] : [],
        );
      const trailing = def.trailing?.("server");
      await writeAll(conn, trailing ? new Uint8Array([...response, ...trailing]) : response);
      const facts = await runSession(skip ? closeOnly : def.run, {
        conn,
        role: "server",
        leftover: request.head.rest,
        deflate: answer?.session,
        deadlineMs: def.deadlineMs ?? DEFAULT_DEADLINE,
      });
      const result = toResult(def, facts, t0);
      results.set(id, skip ? unimplemented(result, "client") : result);
    } catch (e) {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
      const message = (e as Error).message;
      if (byId.has(id) && !results.has(id)) {
        results.set(id, {
          id,
          outcome: "FAILED",
          reason: `the client's opening handshake is invalid: ${message}`,
          durationMs: Math.round(performance.now() - t0),
        });
      } else {
        options.log(`  ${IMPL_NAMES[impl]} client: stray connection: ${message}`);
      }
    } finally {
      lastActivity = performance.now();
    }
  };

  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        const session = handle(conn);
        sessions.add(session);
        void session.finally(() => sessions.delete(session));
      }
    } catch {
      // Listener closed.
    }
  })();

  const url = (def: CaseDef) =>
    `ws://127.0.0.1:${port}/runCase?case=${encodeURIComponent(def.id)}&agent=${impl}`;

  /** Runs the cases in client processes; restarts a process that exits early. */
  const runBatch = async (batch: CaseDef[]) => {
    let remaining = batch;
    for (let attempt = 0; attempt < 5 && remaining.length > 0; attempt++) {
      const proc = spawn(clientCommand(impl, remaining.map(url)));
      // Stop a client that makes no progress (no connection, none running) for 20 s.
      let stalled = false;
      const watchdog = setInterval(() => {
        if (sessions.size === 0 && performance.now() - lastActivity > 20_000) {
          stalled = true;
          void stop(proc);
        }
      }, 1000);
      const status = await proc.exited;
      clearInterval(watchdog);
      await Promise.all([...sessions]);
      remaining = remaining.filter((c) => !connected.has(c.id));
      if (remaining.length > 0) {
        options.log(
          `  ${IMPL_NAMES[impl]} client ${
            stalled ? "stalled" : `exited with code ${status.code}`
          } with ${remaining.length} cases to go; restarting it\n${proc.output().slice(-1000)}`,
        );
      }
    }
  };

  try {
    const parallel = cases.filter((c) => !c.serial);
    const lanes = Math.max(1, Math.min(options.concurrency, parallel.length));
    const batches = Array.from(
      { length: lanes },
      (_, i) => parallel.filter((_, j) => j % lanes === i),
    );
    await Promise.all(batches.filter((b) => b.length > 0).map(runBatch));
    const serial = cases.filter((c) => c.serial);
    if (serial.length > 0) await runBatch(serial);
  } catch (e) {
    error = (e as Error).message;
    options.log(`  ${IMPL_NAMES[impl]} client: ${error}`);
  } finally {
    listener.close();
    await accepting;
    await Promise.all([...sessions]);
  }
  for (const def of cases) {
    if (!results.has(def.id) && !connected.has(def.id)) {
      results.set(def.id, {
        id: def.id,
        outcome: "FAILED",
        reason: "the client never connected for this case",
        durationMs: 0,
      });
    }
  }
  const list = sortResults(cases, results);
  return {
    impl,
    name: IMPL_NAMES[impl],
    side: "client",
    durationMs: Math.round(performance.now() - started),
    counts: countOutcomes(list),
    results: list,
    error,
  };
}

/** `NAME: N OK, N NON-STRICT, N FAILED` (plus the other outcomes when there are any). */
export function summaryLine(target: TargetResult): string {
  const c = target.counts;
  let line = `${target.name} ${target.side}: ${c.OK} OK, ${
    c["NON-STRICT"]
  } NON-STRICT, ${c.FAILED} FAILED`;
  const extra = [];
  if (c.INFORMATIONAL) extra.push(`${c.INFORMATIONAL} INFORMATIONAL`);
  if (c.UNIMPLEMENTED) extra.push(`${c.UNIMPLEMENTED} UNIMPLEMENTED`);
  if (extra.length) line += ` (${extra.join(", ")})`;
  return line;
}
