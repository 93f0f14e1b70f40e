/**
 * The fuzz targets: each takes a seeded generator, builds one input (valid,
 * mutated, or random), runs the code under test on it, and throws a
 * {@linkcode FuzzFailure} when an invariant breaks.
 *
 * Invariants checked everywhere: no exception escapes an API documented not
 * to throw; a failure carries a close code (or HTTP status) from the allowed
 * set; after a failure further input is ignored; the outcome does not depend
 * on how the input was split into chunks (one chunk, random chunks, 1-byte
 * chunks); the work done per input byte is bounded (handler calls are
 * counted, so no timing is involved); and for unmutated valid input, the
 * result equals what the generator says it should be.
 */

import assert from "node:assert/strict";
import { isValidCloseCode } from "../../errors/close_code.ts";
import type { FrameHandler } from "../../frames/frame.ts";
import { FrameDecoder, type Role } from "../../frames/frame_decoder.ts";
import { WebSocketError } from "../../errors/websocket_error.ts";
import { computeAcceptKey } from "../../handshake/accept_key.ts";
import { verifyServerHandshake } from "../../handshake/client_handshake.ts";
import {
  type ExtensionOffer,
  formatExtensionHeader,
  parseExtensionHeader,
} from "../../handshake/extension_header.ts";
import { readRequestHead, readResponseHead } from "../../http/http_head.ts";
import { HttpHeadError } from "../../errors/http_head_error.ts";
import {
  acceptPerMessageDeflateResponse,
  PERMESSAGE_DEFLATE,
  perMessageDeflateOffer,
  type PerMessageDeflateOptions,
  perMessageDeflateServer,
} from "../../handshake/permessage_deflate.ts";
import {
  negotiateServerHandshake,
  type ServerExtension,
  type ServerHandshakeOptions,
} from "../../handshake/server_handshake.ts";
import type { Message } from "../../messages/message.ts";
import { MessageAssembler } from "../../messages/message_assembler.ts";
import { PerMessageDeflate } from "../../compression/per_message_deflate.ts";
import type { PerMessageDeflateParams } from "../../handshake/permessage_deflate.ts";
import { WebSocketProtocol } from "../../protocol/websocket_protocol.ts";
import {
  FrameInspector,
  type InspectionProblem,
  type InspectorDeflateOptions,
  type InspectorRecord,
} from "../../inspector/mod.ts";
import {
  chance,
  concat,
  encodeRawFrame,
  type FrameStream,
  generateFrameStream,
  latin1,
  lyingLength,
  mutateFrames,
  mutateText,
  pick,
  randomFieldValue,
  randomSplit,
  randomToken,
  type RawFrame,
  type SeededRandom,
  splitCopy,
} from "./_generators.ts";

/** A description of the case, as text or built on demand. */
export type Detail = string | (() => string);

/** An invariant broke; `message` says which, with the input in `detail`. */
export class FuzzFailure extends Error {
  readonly detail: string;
  /** The whole input of a byte-stream case (the detail shows 2 KiB of it). */
  readonly input: Uint8Array | undefined;
  constructor(message: string, detail: Detail = "") {
    super(message);
    this.name = "FuzzFailure";
    this.detail = typeof detail === "function" ? detail() : detail;
    this.input = (detail as { input?: Uint8Array }).input;
  }
}

/** What one case did, for the run statistics. */
export type CaseKind =
  | "valid"
  | "mutated"
  | "random"
  | "lying"
  | "ok"
  | "rejected"
  /** Mutated compressed data that the inspector and a streaming receiver may read differently. */
  | "inflate-diverged";

/** A fuzz target: one case per call, from its own seeded generator. */
export interface FuzzTarget {
  name: string;
  run(rng: SeededRandom): CaseKind | Promise<CaseKind>;
}

function _hex(bytes: Uint8Array, max = 256): string {
  let out = "";
  for (let i = 0; i < Math.min(bytes.length, max); i++) {
    out += bytes[i]!.toString(16).padStart(2, "0");
  }
  return bytes.length > max ? `${out}... (${bytes.length} bytes)` : out;
}

function _check(condition: boolean, message: string, detail: Detail = ""): asserts condition {
  if (!condition) throw new FuzzFailure(message, detail);
}

function _same(actual: unknown, expected: unknown, message: string, detail: Detail): void {
  try {
    assert.deepStrictEqual(actual, expected);
  } catch (error) {
    throw new FuzzFailure(`${message}\n${(error as Error).message}`, detail);
  }
}

/** Bytes in a short comparable form: length and FNV-1a hash. */
function _digest(bytes: Uint8Array): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return `${bytes.length}:${(hash >>> 0).toString(16)}`;
}

/** Messages in a comparable form (bytes as a digest). */
function _normalize(message: Message): unknown {
  switch (message.type) {
    case "text":
      return { type: "text", data: message.data };
    case "close":
      return { type: "close", code: message.code, reason: message.reason };
    default:
      return { type: message.type, data: _digest(message.data) };
  }
}

// ---------------------------------------------------------------------------
// frames: FrameDecoder + MessageAssembler

/** Close codes the receive path may fail with. */
const _RECEIVE_CODES = new Set([1002, 1007, 1009]);

interface DecoderConfig {
  role: Role;
  allowedReservedBits: number;
  maxFrameSize: number | undefined;
  maxMessageSize: number | undefined;
}

interface DecodeOutcome {
  events: unknown[];
  error: { code: number; message: string } | undefined;
}

function _limit(rng: SeededRandom): number | undefined {
  const roll = rng.int(20);
  if (roll < 13) return undefined; // the 64 MiB default
  if (roll < 16) return rng.int(300);
  if (roll < 18) return 65530 + rng.int(12);
  if (roll < 19) return 1 << 20;
  return Infinity;
}

function _decoderConfig(rng: SeededRandom): DecoderConfig {
  return {
    role: pick(rng, ["client", "server", "any"] as const),
    allowedReservedBits: chance(rng, 0.2) ? rng.int(8) : 0,
    maxFrameSize: _limit(rng),
    maxMessageSize: _limit(rng),
  };
}

/** The case, for a failure report (built only when something failed). */
function _describe(config: object, bytes: Uint8Array): Detail {
  const describe = () =>
    `config ${JSON.stringify(config, (_, v) => v === Infinity ? "Infinity" : v)}\ninput ${
      _hex(bytes, 2048)
    }`;
  return Object.assign(describe, { input: bytes });
}

/** Decode `chunks` (fresh copies: the decoder unmasks in place) and check the per-run invariants. */
function _decode(
  config: DecoderConfig,
  chunks: Uint8Array[],
  rng: SeededRandom,
  detail: Detail,
): DecodeOutcome {
  const events: unknown[] = [];
  let calls = 0;
  const assembler = new MessageAssembler((message) => {
    events.push(_normalize(message));
  }, { maxMessageSize: config.maxMessageSize });
  const handler: FrameHandler = {
    onFrameStart(header) {
      calls++;
      assembler.onFrameStart(header);
    },
    onFramePayload(chunk) {
      calls++;
      assembler.onFramePayload(chunk);
    },
    onFrameEnd() {
      calls++;
      assembler.onFrameEnd();
    },
  };
  const decoder = new FrameDecoder(handler, {
    role: config.role,
    allowedReservedBits: config.allowedReservedBits,
    maxFrameSize: config.maxFrameSize,
  });
  let error: WebSocketError | undefined;
  let bytes = 0;
  for (const chunk of chunks) {
    bytes += chunk.length;
    let result: WebSocketError | undefined;
    try {
      result = decoder.write(chunk);
    } catch (thrown) {
      throw new FuzzFailure(
        `FrameDecoder.write threw ${(thrown as Error)?.stack ?? thrown}`,
        detail,
      );
    }
    if (error !== undefined) {
      _check(result === error, "after an error, write() returned a different result", detail);
    } else if (result !== undefined) {
      _check(
        result instanceof WebSocketError,
        `write() returned a non-WebSocketError: ${result}`,
        detail,
      );
      _check(
        _RECEIVE_CODES.has(result.closeCode),
        `write() failed with close code ${result.closeCode}, not 1002/1007/1009`,
        detail,
      );
      _check(isValidCloseCode(result.closeCode), "close code not valid on the wire", detail);
      _check(result.message.length > 0, "error without a message", detail);
      _check(decoder.error === result, "decoder.error differs from the returned error", detail);
      error = result;
    }
  }
  // Bounded work: a frame takes at least 2 bytes and costs 2 calls plus one
  // per payload slice, and a slice ends at a chunk or frame boundary.
  _check(
    calls <= 2 * bytes + chunks.length,
    `${calls} handler calls for ${bytes} bytes in ${chunks.length} chunks`,
    detail,
  );
  if (error !== undefined) {
    const before = { calls, events: events.length };
    const again = decoder.write(rng.bytes(1 + rng.int(20)));
    _check(again === error, "after an error, more input changed the result", detail);
    _check(
      calls === before.calls && events.length === before.events,
      "after an error, more input reached the handler",
      detail,
    );
  }
  return {
    events,
    error: error === undefined ? undefined : { code: error.closeCode, message: error.message },
  };
}

/** What a receiver with limits makes of a valid frame list (the oracle). */
function _reference(
  frames: RawFrame[],
  maxFrameSize: number,
  maxMessageSize: number,
): { events: unknown[]; code: number | undefined } {
  const events: unknown[] = [];
  let size = 0;
  let parts: Uint8Array[] = [];
  let type = 0;
  for (const frame of frames) {
    const length = frame.payload.length;
    if (length > maxFrameSize) return { events, code: 1009 };
    if (frame.opcode >= 0x8) {
      if (frame.opcode === 0x8) {
        const body = frame.payload;
        events.push(
          body.length === 0 ? { type: "close", code: 1005, reason: "" } : {
            type: "close",
            code: (body[0]! << 8) | body[1]!,
            reason: new TextDecoder().decode(body.subarray(2)),
          },
        );
      } else {
        events.push({ type: frame.opcode === 0x9 ? "ping" : "pong", data: _digest(frame.payload) });
      }
      continue;
    }
    if (frame.opcode !== 0) {
      type = frame.opcode;
      size = 0;
      parts = [];
    }
    if (size + length > maxMessageSize) return { events, code: 1009 };
    size += length;
    parts.push(frame.payload);
    if (frame.fin) {
      const data = concat(parts);
      events.push(
        type === 1
          ? { type: "text", data: new TextDecoder().decode(data) }
          : { type: "binary", data: _digest(data) },
      );
    }
  }
  return { events, code: undefined };
}

function _shape(config: DecoderConfig, rng: SeededRandom) {
  return {
    masking: config.role === "server"
      ? "masked" as const
      : config.role === "client"
      ? "unmasked" as const
      : "random" as const,
    allowedRsv: chance(rng, 0.9) ? config.allowedReservedBits : rng.int(8),
  };
}

/** One input for a frame receiver: valid, mutated, lying or random bytes. */
function _frameInput(
  rng: SeededRandom,
  config: DecoderConfig,
  compress?: (payload: Uint8Array) => Uint8Array | undefined,
): { kind: CaseKind; stream: FrameStream; bytes: Uint8Array } {
  const shape = compress === undefined
    ? _shape(config, rng)
    : { ..._shape(config, rng), allowedRsv: 4, compress };
  const stream = generateFrameStream(rng, shape);
  const roll = rng.int(20);
  const near = config.maxFrameSize ?? config.maxMessageSize ?? 64 * 1024 * 1024;
  if (roll < 6 && (compress !== undefined || shape.allowedRsv === config.allowedReservedBits)) {
    return { kind: "valid", stream, bytes: stream.bytes };
  }
  if (roll < 8) {
    // A header whose 64-bit length lies, followed by a few payload bytes.
    const [high, low] = lyingLength(rng, Math.min(near, 0x1fffffffffffff));
    const masked = shape.masking === "masked" || (shape.masking === "random" && chance(rng, 0.5));
    const header = new Uint8Array(masked ? 14 : 10);
    header[0] = chance(rng, 0.8) ? pick(rng, [0x81, 0x82, 0x01, 0x02]) : rng.int(256);
    header[1] = (masked ? 0x80 : 0) | 127;
    new DataView(header.buffer).setUint32(2, high >>> 0);
    new DataView(header.buffer).setUint32(6, low >>> 0);
    if (masked) header.set(rng.bytes(4), 10);
    return { kind: "lying", stream, bytes: concat([header, rng.bytes(rng.int(64))]) };
  }
  if (roll < 9) return { kind: "random", stream, bytes: rng.bytes(rng.int(200)) };
  return { kind: "mutated", stream, bytes: mutateFrames(rng, stream, near) };
}

/** FrameDecoder + MessageAssembler, roles client/server/any. */
export const framesTarget: FuzzTarget = {
  name: "frames",
  run(rng) {
    const config = _decoderConfig(rng);
    const { kind, stream, bytes } = _frameInput(rng, config);
    const detail = _describe({ ...config, kind }, bytes);
    const whole = _decode(config, [bytes.slice()], rng, detail);
    const split = _decode(config, randomSplit(rng, bytes), rng, detail);
    _same(split, whole, "random chunks and one chunk decode differently", detail);
    if (bytes.length <= 512) {
      const single = _decode(config, splitCopy(rng, bytes, 1), rng, detail);
      _same(single, whole, "1-byte chunks and one chunk decode differently", detail);
    }
    if (kind === "valid") {
      const expected = _reference(
        stream.frames,
        config.maxFrameSize ?? 64 * 1024 * 1024,
        config.maxMessageSize ?? 64 * 1024 * 1024,
      );
      _same(whole.events, expected.events, "valid stream: wrong messages", detail);
      _same(whole.error?.code, expected.code, "valid stream: wrong outcome", detail);
    }
    return kind;
  },
};

// ---------------------------------------------------------------------------
// protocol: WebSocketProtocol.receiveData

interface ProtocolOutcome {
  events: unknown[];
  sent: unknown[];
  state: string;
  closeCode: number | undefined;
  closeReason: string;
  errorCode: number | undefined;
}

function _runProtocol(
  role: "client" | "server",
  maxMessageSize: number | undefined,
  chunks: Uint8Array[],
  rng: SeededRandom,
  detail: Detail,
  deflate?: PerMessageDeflateParams,
): ProtocolOutcome {
  const compression = deflate === undefined
    ? undefined
    : new PerMessageDeflate(deflate, role, { threshold: 0 });
  try {
    return _runProtocolWith(role, maxMessageSize, chunks, rng, detail, compression);
  } finally {
    compression?.close();
  }
}

function _runProtocolWith(
  role: "client" | "server",
  maxMessageSize: number | undefined,
  chunks: Uint8Array[],
  rng: SeededRandom,
  detail: Detail,
  compression: PerMessageDeflate | undefined,
): ProtocolOutcome {
  const protocol = new WebSocketProtocol({ role, maxMessageSize, compression });
  const events: Message[] = [];
  const output: Uint8Array[] = [];
  for (const chunk of chunks) {
    try {
      protocol.receiveData(chunk);
    } catch (thrown) {
      throw new FuzzFailure(
        `WebSocketProtocol.receiveData threw ${(thrown as Error)?.stack ?? thrown}`,
        detail,
      );
    }
    events.push(...protocol.eventsReceived());
    output.push(...protocol.dataToSend());
  }
  const error = protocol.error;
  if (error !== undefined) {
    _check(error instanceof WebSocketError, "protocol.error is not a WebSocketError", detail);
    _check(
      _RECEIVE_CODES.has(error.closeCode),
      `the protocol failed with ${error.closeCode}, not 1002/1007/1009`,
      detail,
    );
    _check(protocol.state === "closed", `failed but state is ${protocol.state}`, detail);
    _check(protocol.closeExpected(), "failed but closeExpected() is false", detail);
    _check(protocol.closeCode === error.closeCode, "closeCode differs from the error's", detail);
  }
  if (protocol.closeReceived || error !== undefined) {
    _check(
      protocol.state === "closed",
      `closing handshake done but state ${protocol.state}`,
      detail,
    );
    // After the peer's close or a failure, input is ignored.
    protocol.receiveData(rng.bytes(1 + rng.int(30)));
    _check(protocol.eventsReceived().length === 0, "events after close or failure", detail);
    _check(protocol.dataToSend().length === 0, "output after close or failure", detail);
  }
  // Nothing follows a close frame or a failure (RFC 6455 §5.5.1, §7.1.7).
  const closeAt = events.findIndex((event) => event.type === "close");
  _check(
    closeAt === -1 || closeAt === events.length - 1,
    `${events.length - 1 - closeAt} event(s) reported after the peer's close frame`,
    detail,
  );
  // What the protocol sent, decoded as its peer would.
  const sent: Message[] = [];
  // Pongs and close frames are never compressed: the peer needs no codec.
  const peer = new FrameDecoder(new MessageAssembler((m) => sent.push(m)), {
    role: role === "server" ? "client" : "server",
  });
  const peerError = peer.write(concat(output));
  _check(
    peerError === undefined,
    `the protocol sent bytes its peer rejects: ${peerError?.message}`,
    detail,
  );
  _check(peer.idle, "the protocol sent a partial frame", detail);
  const closes = sent.filter((m) => m.type === "close");
  _check(closes.length <= 1, "more than one close frame sent", detail);
  _check(
    closes.length === 0 || sent[sent.length - 1]!.type === "close",
    "frames sent after the close frame",
    detail,
  );
  const pings = events.filter((m) => m.type === "ping").map(_normalize);
  const pongs = sent.filter((m) => m.type === "pong").map((m) => ({
    ..._normalize(m) as object,
    type: "ping",
  }));
  _same(pongs, pings, "every ping is answered by a pong with its data", detail);
  if (error !== undefined && closeAt === -1) {
    const close = closes[0];
    _check(
      close !== undefined && close.type === "close",
      "failed without sending a close frame",
      detail,
    );
    _check(
      close.code === error.closeCode,
      `failed with ${error.closeCode} but sent ${close.code}`,
      detail,
    );
  }
  if (closeAt !== -1) {
    const received = events[closeAt] as { code: number };
    const close = closes[0] as { code: number } | undefined;
    _check(close !== undefined, "the peer's close frame was not echoed", detail);
    _check(close.code === received.code, `close ${received.code} echoed as ${close.code}`, detail);
    if (error === undefined) {
      _check(protocol.closeCode === received.code, "closeCode is not the peer's", detail);
    }
  }
  return {
    events: events.map(_normalize),
    sent: sent.map(_normalize),
    state: protocol.state,
    closeCode: protocol.closeCode,
    closeReason: protocol.closeReason,
    errorCode: error?.closeCode,
  };
}

function _deflateParams(rng: SeededRandom): PerMessageDeflateParams {
  return {
    serverNoContextTakeover: chance(rng, 0.3),
    clientNoContextTakeover: chance(rng, 0.3),
    serverMaxWindowBits: chance(rng, 0.5) ? 15 : 8 + rng.int(8),
    clientMaxWindowBits: chance(rng, 0.5) ? 15 : 8 + rng.int(8),
  };
}

/** WebSocketProtocol.receiveData as client and server, with permessage-deflate or without. */
export const protocolTarget: FuzzTarget = {
  name: "protocol",
  run(rng) {
    const role = chance(rng, 0.5) ? "client" as const : "server" as const;
    const maxMessageSize = _limit(rng);
    const config: DecoderConfig = {
      role,
      allowedReservedBits: 0,
      maxFrameSize: maxMessageSize,
      maxMessageSize,
    };
    const deflate = chance(rng, 0.3) ? _deflateParams(rng) : undefined;
    // The peer's compressor: the same agreement, the other role.
    const sender = deflate === undefined
      ? undefined
      : new PerMessageDeflate(deflate, role === "server" ? "client" : "server", { threshold: 0 });
    let input;
    try {
      input = _frameInput(
        rng,
        config,
        sender === undefined ? undefined : (p) => sender.compress(p),
      );
    } finally {
      sender?.close();
    }
    const { kind, stream, bytes } = input;
    const detail = _describe({ role, maxMessageSize, kind, deflate }, bytes);
    const whole = _runProtocol(role, maxMessageSize, [bytes.slice()], rng, detail, deflate);
    const split = _runProtocol(role, maxMessageSize, randomSplit(rng, bytes), rng, detail, deflate);
    _same(split, whole, "random chunks and one chunk give different outcomes", detail);
    if (kind === "valid" && deflate !== undefined) {
      // Compressed: the generator's messages are the oracle (no limit set).
      if (maxMessageSize === undefined || maxMessageSize === Infinity) {
        const expected = stream.messages.map(_normalize);
        const closeAt = expected.findIndex((e) => (e as { type: string }).type === "close");
        if (closeAt !== -1) expected.length = closeAt + 1;
        _same(whole.events, expected, "valid compressed stream: wrong events", detail);
        _same(whole.errorCode, undefined, "valid compressed stream failed", detail);
      }
    } else if (kind === "valid") {
      const limit = maxMessageSize ?? 64 * 1024 * 1024;
      const expected = _reference(stream.frames, limit, limit);
      const closeAt = expected.events.findIndex((e) => (e as { type: string }).type === "close");
      if (closeAt !== -1) expected.events.length = closeAt + 1;
      _same(whole.events, expected.events, "valid stream: wrong events", detail);
      if (closeAt === -1) {
        _same(whole.errorCode, expected.code, "valid stream: wrong outcome", detail);
      }
    }
    return kind;
  },
};

// ---------------------------------------------------------------------------
// http: readRequestHead / readResponseHead

const _HTTP_STATUSES = new Set([400, 414, 431, 505]);

function _requestHead(rng: SeededRandom): string {
  let head = chance(rng, 0.1) ? "\r\n" : "";
  const method = pick(rng, ["GET", "GET", "GET", "POST", "PUT", "HEAD", "OPTIONS", "PATCH"]);
  const path = "/" + randomToken(rng, 8).replace(/[#%]/g, "x") +
    (chance(rng, 0.3) ? "?" + randomToken(rng, 6).replace(/[#%]/g, "y") : "");
  head += `${method} ${path} HTTP/1.${chance(rng, 0.9) ? 1 : 0}\r\n`;
  if (chance(rng, 0.9)) {
    head += `Host: ${pick(rng, ["example.com", "127.0.0.1", "[::1]", "a.b"])}${
      chance(rng, 0.3) ? `:${rng.int(65536)}` : ""
    }\r\n`;
  }
  return head;
}

function _headers(rng: SeededRandom, head: string, n: number): string {
  for (let i = 0; i < n; i++) {
    head += `${randomToken(rng)}:${chance(rng, 0.8) ? " " : ""}${randomFieldValue(rng)}\r\n`;
  }
  return head + "\r\n";
}

async function _readHead(
  kind: "request" | "response",
  chunks: Uint8Array[],
  limits: { maxHeadSize?: number; maxHeaders?: number },
  detail: Detail,
): Promise<unknown> {
  let next = 0;
  const readable = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next < chunks.length) controller.enqueue(chunks[next++]!.slice());
      else controller.close();
    },
  }, { highWaterMark: 0 });
  let outcome: unknown;
  let leftover: Uint8Array;
  try {
    if (kind === "request") {
      const head = await readRequestHead(readable, limits);
      leftover = head.leftover;
      outcome = {
        method: head.request.method,
        url: head.request.url,
        version: head.httpVersion,
        headers: [...head.request.headers],
      };
    } else {
      const head = await readResponseHead(readable, limits);
      leftover = head.leftover;
      outcome = {
        status: head.status,
        statusText: head.statusText,
        version: head.httpVersion,
        headers: [...head.headers],
      };
    }
  } catch (error) {
    if (!(error instanceof HttpHeadError)) {
      throw new FuzzFailure(
        `read${kind === "request" ? "Request" : "Response"}Head rejected with ${
          (error as Error)?.stack ?? error
        }`,
        detail,
      );
    }
    _check(_HTTP_STATUSES.has(error.status), `HttpHeadError with status ${error.status}`, detail);
    _check(error.message.length > 0, "HttpHeadError without a message", detail);
    _check(!readable.locked, "the reader was not released after an error", detail);
    return { error: error.status, code: error.code, message: error.message };
  }
  _check(!readable.locked, "the reader was not released", detail);
  // What follows the head is all there, in order: leftover, then the stream.
  const rest = [leftover];
  for await (const chunk of readable) rest.push(chunk);
  const after = concat(rest);
  const input = concat(chunks);
  const headLength = input.length - after.length;
  _same(
    _hex(after, Infinity),
    _hex(input.subarray(headLength), Infinity),
    "bytes after the head lost",
    detail,
  );
  const end = input.subarray(headLength - 4, headLength);
  _check(_hex(end) === "0d0a0d0a", "head does not end with CRLF CRLF", detail);
  return { ...outcome as object, headLength };
}

/** readRequestHead and readResponseHead from a ReadableStream. */
export const httpTarget: FuzzTarget = {
  name: "http",
  async run(rng) {
    const kind = chance(rng, 0.6) ? "request" as const : "response" as const;
    const n = rng.int(chance(rng, 0.05) ? 120 : 8);
    const start = kind === "request"
      ? _requestHead(rng)
      : `HTTP/1.1 ${chance(rng, 0.7) ? 101 : 100 + rng.int(500)} ${
        chance(rng, 0.8) ? "Switching Protocols" : randomFieldValue(rng, 10)
      }\r\n`;
    const valid = latin1(_headers(rng, start, n));
    const tail = chance(rng, 0.5)
      ? encodeRawFrame({
        fin: true,
        rsv: 0,
        opcode: 1,
        maskKey: rng.bytes(4),
        payload: rng.bytes(rng.int(10)),
      })
      : new Uint8Array(0);
    const roll = rng.int(10);
    const caseKind: CaseKind = roll < 4 ? "valid" : roll < 9 ? "mutated" : "random";
    const bytes = caseKind === "valid"
      ? concat([valid, tail])
      : caseKind === "mutated"
      ? concat([mutateText(rng, valid), tail])
      : concat([
        rng.bytes(rng.int(300)),
        chance(rng, 0.5) ? latin1("\r\n\r\n") : new Uint8Array(0),
      ]);
    const limits = {
      ...(chance(rng, 0.2) ? { maxHeadSize: 1 + rng.int(400) } : {}),
      ...(chance(rng, 0.2) ? { maxHeaders: rng.int(10) } : {}),
    };
    const detail = `kind ${kind} ${caseKind} limits ${JSON.stringify(limits)}\ninput ${
      JSON.stringify(new TextDecoder("latin1").decode(bytes))
    }`;
    const whole = await _readHead(kind, [bytes], limits, detail);
    const split = await _readHead(kind, randomSplit(rng, bytes), limits, detail);
    _same(split, whole, "random chunks and one chunk give different results", detail);
    if (
      caseKind === "valid" && limits.maxHeadSize === undefined && limits.maxHeaders === undefined
    ) {
      const host = /\r\nHost: ([^\r]*)/.exec(new TextDecoder("latin1").decode(valid));
      const hostOk = kind === "response" || host === null || !/:\d{6}/.test(host[1]!);
      if (hostOk && n < 100) { // the Host line counts too
        _check(
          !("error" in (whole as object)),
          `a valid head was refused: ${JSON.stringify(whole)}`,
          detail,
        );
      }
    }
    return caseKind;
  },
};

// ---------------------------------------------------------------------------
// handshake: negotiateServerHandshake, the extension header, permessage-deflate

function _deflateOptions(rng: SeededRandom): PerMessageDeflateOptions {
  const bits = () => chance(rng, 0.5) ? undefined : 8 + rng.int(8);
  return {
    serverNoContextTakeover: chance(rng, 0.3),
    clientNoContextTakeover: chance(rng, 0.3),
    serverMaxWindowBits: bits(),
    clientMaxWindowBits: bits(),
  };
}

/** A Sec-WebSocket-Extensions value: well-formed, mutated, or grammar soup. */
function _extensionHeader(rng: SeededRandom): string {
  const roll = rng.int(10);
  if (roll < 4) {
    const offers: ExtensionOffer[] = [];
    const count = 1 + rng.int(3);
    for (let i = 0; i < count; i++) {
      offers.push(
        chance(rng, 0.6) ? perMessageDeflateOffer(_deflateOptions(rng)) : {
          name: chance(rng, 0.5) ? PERMESSAGE_DEFLATE : randomToken(rng),
          params: new Map(
            Array.from({ length: rng.int(4) }, () => [
              pick(rng, [
                "server_no_context_takeover",
                "client_no_context_takeover",
                "server_max_window_bits",
                "client_max_window_bits",
                randomToken(rng, 5),
              ]),
              chance(rng, 0.5)
                ? true
                : pick(rng, ["8", "9", "15", "16", "7", "08", "1", randomToken(rng, 3)]),
            ]),
          ),
        },
      );
    }
    const text = formatExtensionHeader(offers);
    return roll < 2
      ? text
      : text.replace(/=([^;,]+)/g, (_, v) => chance(rng, 0.5) ? `="${v}"` : `=${v}`);
  }
  const alphabet = [
    "permessage-deflate",
    "x",
    ";",
    ",",
    "=",
    '"',
    "\\",
    " ",
    "\t",
    "15",
    "a b",
    "\u00e9",
    "server_max_window_bits",
    "client_max_window_bits",
  ];
  let out = "";
  const n = rng.int(16);
  for (let i = 0; i < n; i++) out += pick(rng, alphabet);
  return roll < 8 ? out : String.fromCharCode(...mutateText(rng, latin1(out)));
}

function _extensionChecks(rng: SeededRandom, header: string): ExtensionOffer[] | undefined {
  let offers: ExtensionOffer[];
  try {
    offers = parseExtensionHeader(header);
  } catch (error) {
    _check(
      error instanceof SyntaxError,
      `parseExtensionHeader threw ${error}`,
      JSON.stringify(header),
    );
    return undefined;
  }
  // Round trip: what parses formats (all names and values are tokens) and parses back the same.
  let formatted: string;
  try {
    formatted = formatExtensionHeader(offers);
  } catch (error) {
    throw new FuzzFailure(`a parsed header does not format: ${error}`, JSON.stringify(header));
  }
  _same(parseExtensionHeader(formatted), offers, "format/parse round trip", JSON.stringify(header));
  // permessage-deflate: a response is accepted (8-15 bits) or refused with 1010.
  for (const offer of offers) {
    try {
      const params = acceptPerMessageDeflateResponse(offer, _deflateOptions(rng));
      for (const bits of [params.serverMaxWindowBits, params.clientMaxWindowBits]) {
        _check(
          Number.isInteger(bits) && bits >= 8 && bits <= 15,
          `window bits ${bits}`,
          JSON.stringify(header),
        );
      }
    } catch (error) {
      _check(
        error instanceof WebSocketError && error.closeCode === 1010,
        `acceptPerMessageDeflateResponse threw ${error}`,
        JSON.stringify(header),
      );
    }
  }
  return offers;
}

const _BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function _key(rng: SeededRandom): string {
  const bytes = rng.bytes(16);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  const key = btoa(binary);
  if (chance(rng, 0.9)) return key;
  return key.slice(0, rng.int(key.length)) + (chance(rng, 0.5) ? _BASE64[rng.int(64)] : "=");
}

/** negotiateServerHandshake and the extension/permessage-deflate parsers. */
export const handshakeTarget: FuzzTarget = {
  name: "handshake",
  run(rng) {
    // The parsers on their own.
    const header = _extensionHeader(rng);
    _extensionChecks(rng, header);

    // A handshake request, valid or with a header changed.
    const key = _key(rng);
    const clientDeflate = _deflateOptions(rng);
    const offeredProtocols = Array.from({ length: rng.int(4) }, () => randomToken(rng, 6));
    const headers = new Headers({
      host: "example.com",
      upgrade: "websocket",
      connection: "Upgrade",
      "sec-websocket-key": key,
      "sec-websocket-version": "13",
    });
    let extensionsSent: string | undefined;
    if (chance(rng, 0.5)) {
      extensionsSent = chance(rng, 0.6)
        ? formatExtensionHeader([perMessageDeflateOffer(clientDeflate)])
        : header.replace(/[\0\r\n]/g, " ").trim(); // what Headers can carry
      headers.set("sec-websocket-extensions", extensionsSent);
    }
    if (offeredProtocols.length > 0) {
      headers.set("sec-websocket-protocol", offeredProtocols.join(", "));
    }
    if (chance(rng, 0.5)) {
      headers.set("origin", pick(rng, ["https://a.example", "HTTPS://A.EXAMPLE", "null"]));
    }
    const mutated = chance(rng, 0.6);
    if (mutated) {
      const names = [
        "host",
        "upgrade",
        "connection",
        "sec-websocket-key",
        "sec-websocket-version",
        "sec-websocket-protocol",
        "sec-websocket-extensions",
        "origin",
        "content-length",
        "transfer-encoding",
      ];
      for (let i = 1 + rng.int(3); i > 0; i--) {
        const name = pick(rng, names);
        const roll = rng.int(4);
        if (roll === 0) headers.delete(name);
        else if (roll === 1) headers.append(name, randomFieldValue(rng));
        else if (roll === 2) headers.set(name, randomFieldValue(rng));
        else {headers.set(
            name,
            (headers.get(name) ?? randomToken(rng)).replace(/[a-z]/g, (c) => c.toUpperCase()),
          );}
      }
    }
    const method = chance(rng, 0.9) ? "GET" : pick(rng, ["POST", "PUT", "get", "HEAD", "PATCH"]);
    const request = new Request("http://example.com/chat", { method, headers });
    const extensions: ServerExtension[] = [];
    const serverDeflate = _deflateOptions(rng);
    if (chance(rng, 0.7)) extensions.push(perMessageDeflateServer(serverDeflate));
    if (chance(rng, 0.2)) {
      extensions.push({
        name: "x",
        negotiate: (offers) => offers.find((o) => o.params.size === 0),
      });
    }
    const supported = [
      ...offeredProtocols.slice(0, rng.int(offeredProtocols.length + 1)),
      randomToken(rng, 4),
    ];
    const options: ServerHandshakeOptions = {
      protocols: chance(rng, 0.3)
        ? (offered) => chance(rng, 0.5) ? pick(rng, offered) : undefined
        : supported,
      extensions,
      ...(chance(rng, 0.3)
        ? {
          origin: chance(rng, 0.5)
            ? ["https://a.example"]
            : (origin: string | null) => origin !== null && origin.endsWith(".example"),
        }
        : {}),
      ...(chance(rng, 0.3) ? { headers: { "x-served-by": randomToken(rng) } } : {}),
    };
    const httpVersion = chance(rng, 0.8)
      ? undefined
      : pick(rng, ["HTTP/1.1", "HTTP/1.0", "HTTP/2", "1.1", "HTTP/0.9", "junk"]);
    const detail = `headers ${
      JSON.stringify([...request.headers])
    } method ${method} version ${httpVersion}`;
    let result;
    try {
      result = negotiateServerHandshake(request, options, { httpVersion });
    } catch (error) {
      throw new FuzzFailure(
        `negotiateServerHandshake threw ${(error as Error)?.stack ?? error}`,
        detail,
      );
    }
    if (!result.ok) {
      _check([400, 403, 426].includes(result.status), `refused with ${result.status}`, detail);
      _check(result.body.length > 0, "refusal without a body", detail);
      return "rejected";
    }
    _check(result.status === 101, "accepted without 101", detail);
    _check(
      result.headers.get("sec-websocket-accept") ===
        computeAcceptKey(request.headers.get("sec-websocket-key")!),
      "wrong Sec-WebSocket-Accept",
      detail,
    );
    const answered = result.headers.get("sec-websocket-extensions");
    if (answered !== null) {
      _same(
        parseExtensionHeader(answered),
        result.extensions,
        "extensions header vs result",
        detail,
      );
    }
    // The client's own check must accept what the server accepted.
    const offered = request.headers.get("sec-websocket-extensions");
    let offers: ExtensionOffer[] = [];
    try {
      offers = offered === null ? [] : parseExtensionHeader(offered);
    } catch { /* the server declined everything */ }
    const clientProtocols = (() => {
      try {
        return request.headers.get("sec-websocket-protocol")?.split(",").map((p) => p.trim());
      } catch {
        return undefined;
      }
    })();
    return verifyServerHandshake(
      { status: 101, headers: result.headers },
      {
        key: request.headers.get("sec-websocket-key")!,
        protocols: clientProtocols,
        extensions: offers,
      },
    ).then((accepted) => {
      const pmd = accepted.extensions.find((e) => e.name === PERMESSAGE_DEFLATE);
      if (
        pmd !== undefined && !mutated && offered === extensionsSent &&
        extensionsSent === formatExtensionHeader([perMessageDeflateOffer(clientDeflate)])
      ) {
        try {
          acceptPerMessageDeflateResponse(pmd, clientDeflate);
        } catch (error) {
          throw new FuzzFailure(
            `the client refuses the server's permessage-deflate answer ${
              formatExtensionHeader([pmd])
            }: ${error}`,
            `${detail}\nclient ${JSON.stringify(clientDeflate)} server ${
              JSON.stringify(serverDeflate)
            }`,
          );
        }
      }
      return "ok" as const;
    }, (error) => {
      throw new FuzzFailure(`the client's check refused the server's 101: ${error}`, detail);
    });
  },
};

// ---------------------------------------------------------------------------
// inspector: FrameInspector against FrameDecoder + MessageAssembler

async function _inspect(
  config: DecoderConfig,
  chunks: Uint8Array[],
  detail: Detail,
  deflate?: InspectorDeflateOptions,
): Promise<{
  records: unknown[];
  events: unknown[];
  /** Which events are compressed messages. */
  compressed: boolean[];
  first: InspectionProblem | undefined;
}> {
  const inspector = new FrameInspector({
    sender: config.role === "server" ? "client" : config.role === "client" ? "server" : undefined,
    maxFrameSize: config.maxFrameSize,
    maxMessageSize: config.maxMessageSize,
    deflate,
  });
  const records: InspectorRecord[] = [];
  try {
    for (const chunk of chunks) records.push(...await inspector.write(chunk));
    records.push(...await inspector.end());
  } catch (thrown) {
    throw new FuzzFailure(`FrameInspector threw ${(thrown as Error)?.stack ?? thrown}`, detail);
  }
  // What a receiver reports, up to the first problem.
  const events: unknown[] = [];
  const compressed: boolean[] = [];
  let first: InspectionProblem | undefined;
  let lastFrame: { offset: number; events: number } | undefined;
  let rsv1 = false;
  for (const record of records) {
    if (record.kind === "problem") {
      first = record;
      // A problem with a frame follows the frame's record: a receiver fails
      // on that frame and reports nothing for it.
      if (lastFrame !== undefined && lastFrame.offset === record.offset) {
        events.length = lastFrame.events;
        compressed.length = lastFrame.events;
      }
      break;
    }
    lastFrame = { offset: record.offset, events: events.length };
    if (record.opcode === 0x1 || record.opcode === 0x2) rsv1 = record.rsv1;
    while (compressed.length < events.length) compressed.push(false);
    if (record.message !== undefined) compressed[events.length] = rsv1;
    if (record.close !== undefined) {
      events.push({ type: "close", code: record.close.code, reason: record.close.reason });
    } else if (record.opcode === 0x9 || record.opcode === 0xa) {
      events.push({ type: record.opcodeName, data: _digest(record.payload) });
    } else if (record.message?.type === "text" && record.message.text !== undefined) {
      // The inspector shows a leading BOM; a receiver decodes it away (WHATWG UTF-8 decode).
      events.push({ type: "text", data: record.message.text.replace(/^\uFEFF/, "") });
    } else if (record.message?.type === "binary") {
      events.push({ type: "binary", data: _digest(record.message.data) });
    }
  }
  const normalized = records.map((record) =>
    record.kind === "problem" ? record : {
      ...record,
      payload: _digest(record.payload),
      maskKey: record.maskKey === undefined ? undefined : _hex(record.maskKey),
      message: record.message === undefined
        ? undefined
        : { ...record.message, data: _digest(record.message.data) },
    }
  );
  compressed.length = events.length;
  for (let i = 0; i < compressed.length; i++) compressed[i] ??= false;
  return { records: normalized, events, compressed, first };
}

const _INFLATING = /^(?:Message too big: (?:it )?inflates|Invalid compressed message)/;

/** With permessage-deflate: the inspector against WebSocketProtocol with its own codec. */
async function _inspectDeflate(
  rng: SeededRandom,
  config: DecoderConfig & { role: "client" | "server" },
) {
  const params = _deflateParams(rng);
  const sender = new PerMessageDeflate(params, config.role === "server" ? "client" : "server", {
    threshold: 0,
  });
  let input;
  try {
    input = _frameInput(rng, config, (p) => sender.compress(p));
  } finally {
    sender.close();
  }
  const { kind, bytes } = input;
  const senderIsClient = config.role === "server";
  const deflate: InspectorDeflateOptions = {
    noContextTakeover: senderIsClient
      ? params.clientNoContextTakeover
      : params.serverNoContextTakeover,
    windowBits: senderIsClient ? params.clientMaxWindowBits : params.serverMaxWindowBits,
  };
  const detail = _describe({ ...config, kind, params }, bytes);
  const whole = await _inspect(config, [bytes], detail, deflate);
  const split = await _inspect(config, randomSplit(rng, bytes), detail, deflate);
  _same(split, whole, "random chunks and one chunk inspect differently (deflate)", detail);
  const receiver = _runProtocol(
    config.role,
    config.maxMessageSize,
    [bytes.slice()],
    rng,
    detail,
    params,
  );
  // The protocol stops at the peer's close frame; the inspector reads on.
  const closeAt = whole.events.findIndex((e) => (e as { type: string }).type === "close");
  const events = closeAt === -1 ? whole.events : whole.events.slice(0, closeAt + 1);
  const first = closeAt === -1 ? whole.first : undefined;
  // The inspector inflates each message on the window the messages before
  // it left (RFC 7692 §7.2.2), which is all the state a conforming sender's
  // messages share (§7.2.1 ends each at a block boundary). A streaming
  // receiver also carries a half-read block into the next message, so on
  // mutated compressed data the two may read differently from the first
  // compressed message on; frames, control messages and everything before
  // must still agree, and on valid streams everything.
  let at = 0;
  while (at < events.length && at < receiver.events.length) {
    try {
      assert.deepStrictEqual(events[at], receiver.events[at]);
    } catch {
      break;
    }
    at++;
  }
  const inflating = (at < events.length && whole.compressed[at]) ||
    (at === events.length && first !== undefined && _INFLATING.test(first.message)) ||
    (at === receiver.events.length && _INFLATING.test(receiver.closeReason));
  if (kind !== "valid" && inflating && (at < events.length || at < receiver.events.length)) {
    return { kind, detail, whole, code: undefined, reason: "", diverged: true };
  }
  _same(events, receiver.events, "the inspector and the protocol report different events", detail);
  return {
    kind,
    detail,
    whole: { ...whole, first },
    code: receiver.errorCode,
    reason: receiver.closeReason,
    diverged: false,
  };
}

/** FrameInspector: never throws, split-invariant, and agrees with the receiver it claims to mirror. */
export const inspectorTarget: FuzzTarget = {
  name: "inspector",
  async run(rng) {
    const config = { ..._decoderConfig(rng), allowedReservedBits: 0 };
    let kind: CaseKind, detail: Detail, whole, code: number | undefined, reason = "";
    if (config.role !== "any" && chance(rng, 0.3)) {
      config.maxFrameSize = config.maxMessageSize;
      let diverged: boolean;
      ({ kind, detail, whole, code, reason, diverged } = await _inspectDeflate(rng, {
        ...config,
        role: config.role,
      }));
      if (diverged) return "inflate-diverged";
    } else {
      const input = _frameInput(rng, config);
      kind = input.kind;
      detail = _describe({ ...config, kind }, input.bytes);
      whole = await _inspect(config, [input.bytes], detail);
      const split = await _inspect(config, randomSplit(rng, input.bytes), detail);
      _same(split, whole, "random chunks and one chunk inspect differently", detail);
      const receiver = _decode(config, [input.bytes.slice()], rng, detail);
      _same(
        whole.events,
        receiver.events,
        "the inspector and the receiver report different events",
        detail,
      );
      code = receiver.error?.code;
    }
    const first = whole.first;
    if (first === undefined) {
      _check(
        code === undefined,
        `the receiver fails with ${code}, the inspector finds nothing`,
        detail,
      );
    } else if (first.closeCode === 1006) {
      // The capture ends early: what a receiver fails on in the partial
      // frame is reported before this, so the receiver has not failed.
      _check(
        code === undefined,
        `the receiver fails with ${code}, the inspector says the capture ends early`,
        detail,
      );
    } else if (_INFLATING.test(first.message) && _INFLATING.test(reason)) {
      // Data that inflates past the limit and is corrupt further on: 1009 or
      // 1007 depending on how far an inflater reads before it checks the size.
      _check(
        code === 1007 || code === 1009,
        `inflating: the inspector reports ${first.closeCode}, the receiver ${code}`,
        detail,
      );
    } else {
      _check(
        first.closeCode === code,
        `the inspector reports ${first.closeCode} (${first.message}), the receiver ${code}`,
        detail,
      );
    }
    return kind;
  },
};

/** Every target by name. */
export const TARGETS: Record<string, FuzzTarget> = {
  frames: framesTarget,
  protocol: protocolTarget,
  http: httpTarget,
  handshake: handshakeTarget,
  inspector: inspectorTarget,
};
