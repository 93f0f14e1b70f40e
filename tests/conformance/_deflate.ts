/**
 * permessage-deflate for the fuzzer (RFC 7692): parsing and checking the
 * `Sec-WebSocket-Extensions` negotiation on both sides, the strict inflater
 * for the peer's messages ({@linkcode StrictInflater}) and the fuzzer's own
 * compression through the runtime's public `node:zlib` streams (context kept
 * between messages unless the negotiation said otherwise).
 *
 * @module
 */

import zlib from "node:zlib";
import { StrictInflater } from "./inflate.ts";
import type { DeflateSession } from "./session.ts";

/** One offer or response: `permessage-deflate; a; b=1`. */
export interface Extension {
  name: string;
  params: Map<string, string | true>;
}

/** Parses a `Sec-WebSocket-Extensions` value (RFC 6455 §9.1; quoted values allowed). */
export function parseExtensions(header: string): Extension[] {
  const out: Extension[] = [];
  for (const item of splitOutsideQuotes(header, ",")) {
    const [name, ...params] = splitOutsideQuotes(item, ";").map((s) => s.trim());
    if (!name || !/^[\w!#$%&'*+.^`|~-]+$/.test(name)) {
      throw new Error(`malformed extension ${JSON.stringify(item)}`);
    }
    const map = new Map<string, string | true>();
    for (const param of params) {
      const eq = param.indexOf("=");
      const key = (eq === -1 ? param : param.slice(0, eq)).trim();
      let value: string | true = eq === -1 ? true : param.slice(eq + 1).trim();
      if (typeof value === "string" && value.startsWith('"')) {
        if (!value.endsWith('"') || value.length < 2) throw new Error(`bad quoted value ${value}`);
        value = value.slice(1, -1);
      }
      if (map.has(key)) throw new Error(`parameter ${key} given twice`);
      map.set(key, value);
    }
    out.push({ name, params: map });
  }
  return out;
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    if (ch === separator && !quoted) {
      parts.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts.filter((p) => p.trim() !== "");
}

const PARAMS = new Set([
  "server_no_context_takeover",
  "client_no_context_takeover",
  "server_max_window_bits",
  "client_max_window_bits",
]);

function windowBits(value: string | true | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (value === true || !/^(8|9|1[0-5])$/.test(value)) {
    throw new Error(`${what}=${value === true ? "(no value)" : value} is not 8-15`);
  }
  return Number(value);
}

/** What both sides agreed, in the fuzzer's terms. */
interface Agreement {
  response: string;
  peerWindowBits: number;
  peerNoContext: boolean;
  ownWindowBits: number;
  ownNoContext: boolean;
}

function session(agreement: Agreement): DeflateSession {
  const inflater = new StrictInflater({
    windowBits: agreement.peerWindowBits,
    noContextTakeover: agreement.peerNoContext,
  });
  // zlib has no 8-bit raw window; 9 bits never reaches back more than 250 bytes.
  const ownBits = Math.max(9, agreement.ownWindowBits);
  let stream: ReturnType<typeof zlib.createDeflateRaw> | undefined;
  const chunks: Uint8Array[] = [];
  return {
    response: agreement.response,
    inflater,
    async deflate(payload) {
      let out: Uint8Array;
      if (agreement.ownNoContext) {
        out = zlib.deflateRawSync(payload, {
          finishFlush: zlib.constants.Z_SYNC_FLUSH,
          windowBits: ownBits,
        });
      } else {
        if (!stream) {
          stream = zlib.createDeflateRaw({ windowBits: ownBits });
          stream.on("data", (chunk: Uint8Array) => chunks.push(chunk));
        }
        chunks.length = 0;
        stream.write(payload);
        const s = stream;
        await new Promise<void>((resolve) => s.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve()));
        out = new Uint8Array(Buffer.concat(chunks));
      }
      // RFC 7692 §7.2.1: remove the 00 00 ff ff of the sync flush.
      const n = out.length;
      if (
        n >= 4 && out[n - 4] === 0 && out[n - 3] === 0 && out[n - 2] === 0xff && out[n - 1] === 0xff
      ) {
        return out.slice(0, n - 4);
      }
      return new Uint8Array(out);
    },
    close() {
      stream?.close();
      stream = undefined;
    },
  };
}

/**
 * The fuzzer as a client: checks the server's answer to `offer` (RFC 7692
 * §7.1) and returns the session, `undefined` when the server declined, or
 * throws when the answer is invalid.
 */
export function acceptResponse(
  offer: string,
  response: string | undefined,
): DeflateSession | undefined {
  if (response === undefined || response.trim() === "") return undefined;
  const answers = parseExtensions(response);
  if (answers.length !== 1 || answers[0]!.name !== "permessage-deflate") {
    throw new Error(`the response must hold exactly one permessage-deflate: ${response}`);
  }
  const params = answers[0]!.params;
  for (const [key, value] of params) {
    if (!PARAMS.has(key)) throw new Error(`unknown parameter ${key} in the response`);
    if (key.endsWith("no_context_takeover") && value !== true) {
      throw new Error(`${key} takes no value`);
    }
  }
  const serverBits = windowBits(params.get("server_max_window_bits"), "server_max_window_bits");
  const clientBits = windowBits(params.get("client_max_window_bits"), "client_max_window_bits");
  const offers = parseExtensions(offer);
  // The answer must fit one of the offers (RFC 7692 §7.1.1.1, §7.1.2.1, §7.1.2.2).
  const fits = offers.some((o) => {
    if (o.params.has("server_no_context_takeover") && !params.has("server_no_context_takeover")) {
      return false;
    }
    const offered = o.params.get("server_max_window_bits");
    if (typeof offered === "string" && (serverBits === undefined || serverBits > Number(offered))) {
      return false;
    }
    return clientBits === undefined || o.params.has("client_max_window_bits");
  });
  if (!fits) throw new Error(`the response fits none of the offers: ${response}`);
  return session({
    response,
    peerWindowBits: serverBits ?? 15,
    peerNoContext: params.has("server_no_context_takeover"),
    ownWindowBits: clientBits ?? 15,
    ownNoContext: params.has("client_no_context_takeover"),
  });
}

/** A server-side answer policy: the response parameters for the client's offers, or none. */
export type AcceptPolicy = (offers: Extension[]) => string | undefined;

/**
 * The fuzzer as a server: applies `policy` to the client's offers; returns
 * the session and the response header value, or `undefined` to decline.
 */
export function answerOffer(
  header: string | undefined,
  policy: AcceptPolicy,
): { session: DeflateSession; response: string } | undefined {
  if (header === undefined) return undefined;
  const offers = parseExtensions(header).filter((o) => o.name === "permessage-deflate");
  if (offers.length === 0) return undefined;
  const response = policy(offers);
  if (response === undefined) return undefined;
  const params = parseExtensions(response)[0]!.params;
  return {
    response,
    session: session({
      response,
      peerWindowBits: windowBits(params.get("client_max_window_bits"), "client_max_window_bits") ??
        15,
      peerNoContext: params.has("client_no_context_takeover"),
      ownWindowBits: windowBits(params.get("server_max_window_bits"), "server_max_window_bits") ??
        15,
      ownNoContext: params.has("server_no_context_takeover"),
    }),
  };
}

/**
 * Autobahn's server answers for groups 12-13: take the first offer that
 * allows what the variant asks of the client, honour what the client asks of
 * the server, and add the variant's `client_*` parameters.
 */
export function acceptVariant(
  clientNoContext: boolean,
  clientBits: number | undefined,
): AcceptPolicy {
  return (offers) => {
    for (const offer of offers) {
      if (clientBits !== undefined && !offer.params.has("client_max_window_bits")) continue;
      const params = ["permessage-deflate"];
      if (offer.params.has("server_no_context_takeover")) params.push("server_no_context_takeover");
      const serverBits = offer.params.get("server_max_window_bits");
      if (typeof serverBits === "string") params.push(`server_max_window_bits=${serverBits}`);
      if (clientNoContext) params.push("client_no_context_takeover");
      if (clientBits !== undefined) params.push(`client_max_window_bits=${clientBits}`);
      return params.join("; ");
    }
    return undefined;
  };
}
