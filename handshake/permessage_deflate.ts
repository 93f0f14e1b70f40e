/**
 * Negotiation of the permessage-deflate extension (RFC 7692 §5–§7): which
 * offers a server accepts and what it answers, what a client offers and how
 * it checks the answer. The compression itself lives above the handshake.
 *
 * @module
 */

import { CloseCode } from "../errors/close_code.ts";
import { WebSocketError } from "../errors/websocket_error.ts";
import type { ExtensionOffer } from "./extension_header.ts";
import type { ServerExtension } from "./server_handshake.ts";

/**
 * The extension's token.
 */
export const PERMESSAGE_DEFLATE = "permessage-deflate";

/**
 * What one endpoint wants from permessage-deflate.
 */
export interface PerMessageDeflateOptions {
  /** Ask that the server reset its compression context after each message. @default {false} */
  serverNoContextTakeover?: boolean | undefined;
  /** Ask that the client reset its compression context after each message. @default {false} */
  clientNoContextTakeover?: boolean | undefined;
  /** Largest LZ77 window (8–15) the server may compress with. @default {15} */
  serverMaxWindowBits?: number | undefined;
  /** Largest LZ77 window (8–15) the client may compress with. @default {15} */
  clientMaxWindowBits?: number | undefined;
}

/**
 * The agreed parameters: how each side compresses (RFC 7692 §7.1). Without
 * context takeover a side resets its compressor after every message.
 */
export interface PerMessageDeflateParams {
  /** The server resets its compression context after each message. */
  serverNoContextTakeover: boolean;
  /** The client resets its compression context after each message. */
  clientNoContextTakeover: boolean;
  /** The server's LZ77 window, as a power of two (8–15). */
  serverMaxWindowBits: number;
  /** The client's LZ77 window, as a power of two (8–15). */
  clientMaxWindowBits: number;
}

/** Parsed parameters of one offer or response; `null` for "present without a value". */
interface _Parsed {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number | undefined;
  clientMaxWindowBits: number | null | undefined;
}

/**
 * Parse one element's parameters, or explain why it is invalid: an unknown
 * parameter, a flag with a value, a window size that is not 8–15 in plain
 * digits, or `server_max_window_bits` without a value (§7.1.2.1).
 */
function _parse(offer: ExtensionOffer): _Parsed | string {
  const parsed: _Parsed = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: undefined,
    clientMaxWindowBits: undefined,
  };
  for (const [rawName, value] of offer.params) {
    const name = rawName.toLowerCase();
    switch (name) {
      case "server_no_context_takeover":
      case "client_no_context_takeover":
        if (value !== true) return `${name} takes no value`;
        if (name === "server_no_context_takeover") parsed.serverNoContextTakeover = true;
        else parsed.clientNoContextTakeover = true;
        break;
      case "server_max_window_bits": {
        const bits = _windowBits(value);
        if (bits === undefined) return `server_max_window_bits must be 8 to 15`;
        parsed.serverMaxWindowBits = bits;
        break;
      }
      case "client_max_window_bits": {
        if (value === true) {
          parsed.clientMaxWindowBits = null;
          break;
        }
        const bits = _windowBits(value);
        if (bits === undefined) return `client_max_window_bits must be 8 to 15`;
        parsed.clientMaxWindowBits = bits;
        break;
      }
      default:
        return `unknown parameter ${rawName}`;
    }
  }
  return parsed;
}

/** A window size: 1*DIGIT without leading zeros, 8 to 15 (RFC 7692 §7.1.2). */
function _windowBits(value: string | true): number | undefined {
  if (value === true || !/^[1-9][0-9]?$/.test(value)) return undefined;
  const bits = Number(value);
  return bits >= 8 && bits <= 15 ? bits : undefined;
}

function _checkBits(name: string, bits: number | undefined): void {
  if (bits !== undefined && !(Number.isInteger(bits) && bits >= 8 && bits <= 15)) {
    throw new RangeError(`Invalid permessage-deflate option ${name}: ${bits} is not 8 to 15`);
  }
}

/**
 * A server-side negotiator for permessage-deflate, to pass in the
 * `extensions` option of `negotiateServerHandshake`/`upgradeWebSocket`.
 *
 * It takes the client's offers in order and accepts the first it can honour
 * (RFC 7692 §5.1), declining — never failing the handshake for — offers with
 * an unknown or invalid parameter, and offers it cannot satisfy (the server
 * wants to limit the client's window but the client did not offer
 * `client_max_window_bits`, §7.1.2.2). The response carries
 * `server_no_context_takeover` when the client asked or the options say so,
 * `client_no_context_takeover` when the options say so, a
 * `server_max_window_bits` no larger than the client allowed, and
 * `client_max_window_bits` only when the client offered it.
 *
 * @param options The server's wishes.
 * @returns The negotiator.
 *
 * @example
 * ```ts
 * import {
 *   negotiateServerHandshake,
 *   perMessageDeflateServer,
 * } from "@edgews/websocket/handshake";
 * import assert from "node:assert/strict";
 *
 * const request = new Request("http://example.com/", {
 *   headers: {
 *     host: "example.com",
 *     upgrade: "websocket",
 *     connection: "Upgrade",
 *     "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
 *     "sec-websocket-version": "13",
 *     "sec-websocket-extensions": "permessage-deflate; client_max_window_bits",
 *   },
 * });
 * const result = negotiateServerHandshake(request, {
 *   extensions: [perMessageDeflateServer({ clientMaxWindowBits: 12 })],
 * });
 * assert.equal(
 *   result.headers.get("sec-websocket-extensions"),
 *   "permessage-deflate; client_max_window_bits=12",
 * );
 * ```
 */
export function perMessageDeflateServer(options: PerMessageDeflateOptions = {}): ServerExtension {
  _checkBits("serverMaxWindowBits", options.serverMaxWindowBits);
  _checkBits("clientMaxWindowBits", options.clientMaxWindowBits);
  return {
    name: PERMESSAGE_DEFLATE,
    negotiate(offers: ExtensionOffer[]): ExtensionOffer | undefined {
      for (const offer of offers) {
        const parsed = _parse(offer);
        if (typeof parsed === "string") continue;
        const params = new Map<string, string | true>();
        if (parsed.serverNoContextTakeover || options.serverNoContextTakeover) {
          params.set("server_no_context_takeover", true);
        }
        if (parsed.clientNoContextTakeover || options.clientNoContextTakeover) {
          params.set("client_no_context_takeover", true);
        }
        const serverBits = Math.min(
          parsed.serverMaxWindowBits ?? 15,
          options.serverMaxWindowBits ?? 15,
        );
        if (serverBits < 15 || parsed.serverMaxWindowBits !== undefined) {
          params.set("server_max_window_bits", String(serverBits));
        }
        const wanted = options.clientMaxWindowBits;
        if (wanted !== undefined && wanted < 15) {
          // The server may only limit the client's window if the client said it can (§7.1.2.2).
          if (parsed.clientMaxWindowBits === undefined) continue;
          const bits = Math.min(wanted, parsed.clientMaxWindowBits ?? 15);
          params.set("client_max_window_bits", String(bits));
        } else if (typeof parsed.clientMaxWindowBits === "number") {
          params.set("client_max_window_bits", String(parsed.clientMaxWindowBits));
        }
        return { name: PERMESSAGE_DEFLATE, params };
      }
      return undefined;
    },
  };
}

/**
 * The offer a client sends for permessage-deflate. It always includes
 * `client_max_window_bits` (with the client's limit as its value when below
 * 15), which tells the server that the client can work with a smaller window.
 *
 * @param options The client's wishes.
 * @returns One element for `Sec-WebSocket-Extensions`.
 *
 * @example
 * ```ts
 * import { formatExtensionHeader, perMessageDeflateOffer } from "@edgews/websocket/handshake";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   formatExtensionHeader([perMessageDeflateOffer({ serverNoContextTakeover: true })]),
 *   "permessage-deflate; server_no_context_takeover; client_max_window_bits",
 * );
 * ```
 */
export function perMessageDeflateOffer(options: PerMessageDeflateOptions = {}): ExtensionOffer {
  _checkBits("serverMaxWindowBits", options.serverMaxWindowBits);
  _checkBits("clientMaxWindowBits", options.clientMaxWindowBits);
  const params = new Map<string, string | true>();
  if (options.serverNoContextTakeover) params.set("server_no_context_takeover", true);
  if (options.clientNoContextTakeover) params.set("client_no_context_takeover", true);
  if (options.serverMaxWindowBits !== undefined && options.serverMaxWindowBits < 15) {
    params.set("server_max_window_bits", String(options.serverMaxWindowBits));
  }
  const clientBits = options.clientMaxWindowBits;
  params.set(
    "client_max_window_bits",
    clientBits !== undefined && clientBits < 15 ? String(clientBits) : true,
  );
  return { name: PERMESSAGE_DEFLATE, params };
}

/**
 * Check a server's permessage-deflate response against what the client
 * offered (RFC 7692 §5.1, §7.1) and return the agreed parameters. Fails with
 * 1010 for an unknown or invalid parameter, `client_max_window_bits` without
 * a value or above the one offered, a `server_max_window_bits` above the one
 * the client asked for or missing when it asked for one, and a missing
 * `server_no_context_takeover` when the client offered it.
 *
 * @param response The server's element for permessage-deflate.
 * @param offered The options the client offered with.
 * @returns The parameters both sides now use.
 * @throws {WebSocketError} With close code 1010, saying what was wrong.
 *
 * @example
 * ```ts
 * import { acceptPerMessageDeflateResponse } from "@edgews/websocket/handshake";
 * import assert from "node:assert/strict";
 *
 * const params = acceptPerMessageDeflateResponse({
 *   name: "permessage-deflate",
 *   params: new Map([["server_no_context_takeover", true]]),
 * });
 * assert.deepEqual(params, {
 *   serverNoContextTakeover: true,
 *   clientNoContextTakeover: false,
 *   serverMaxWindowBits: 15,
 *   clientMaxWindowBits: 15,
 * });
 * ```
 */
export function acceptPerMessageDeflateResponse(
  response: ExtensionOffer,
  offered: PerMessageDeflateOptions = {},
): PerMessageDeflateParams {
  const fail = (why: string): never => {
    throw new WebSocketError(
      CloseCode.MandatoryExtension,
      `Invalid permessage-deflate response: ${why}`,
    );
  };
  const parsed = _parse(response);
  if (typeof parsed === "string") fail(parsed);
  const agreed = parsed as _Parsed;
  if (agreed.clientMaxWindowBits === null) {
    fail("client_max_window_bits needs a value in a response");
  }
  // §7.1.1.1: a server that accepts an offer with server_no_context_takeover
  // must say so in its response.
  if (offered.serverNoContextTakeover && !agreed.serverNoContextTakeover) {
    fail("server_no_context_takeover was offered but not answered");
  }
  const askedServerBits = offered.serverMaxWindowBits ?? 15;
  if (agreed.serverMaxWindowBits !== undefined && agreed.serverMaxWindowBits > askedServerBits) {
    fail(
      `server_max_window_bits=${agreed.serverMaxWindowBits} is above the ${askedServerBits} offered`,
    );
  }
  if (
    offered.serverMaxWindowBits !== undefined && offered.serverMaxWindowBits < 15 &&
    agreed.serverMaxWindowBits === undefined
  ) {
    fail("server_max_window_bits was offered but not answered");
  }
  if (typeof agreed.clientMaxWindowBits === "number") {
    const askedClientBits = offered.clientMaxWindowBits ?? 15;
    if (agreed.clientMaxWindowBits > askedClientBits) {
      fail(
        `client_max_window_bits=${agreed.clientMaxWindowBits} is above the ${askedClientBits} offered`,
      );
    }
  }
  return {
    serverNoContextTakeover: agreed.serverNoContextTakeover,
    clientNoContextTakeover: agreed.clientNoContextTakeover || !!offered.clientNoContextTakeover,
    serverMaxWindowBits: agreed.serverMaxWindowBits ?? 15,
    clientMaxWindowBits: typeof agreed.clientMaxWindowBits === "number"
      ? agreed.clientMaxWindowBits
      : Math.min(offered.clientMaxWindowBits ?? 15, 15),
  };
}
