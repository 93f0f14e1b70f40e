/**
 * The server side of the opening handshake (RFC 6455 §4.2): check a client's
 * request and decide the answer, without I/O.
 *
 * @module
 */

import { asciiLowercase, quote } from "../http/_http_syntax.ts";
import { computeAcceptKey, isValidKey } from "./accept_key.ts";
import {
  type ExtensionOffer,
  formatExtensionHeader,
  parseExtensionHeader,
} from "./extension_header.ts";
import { containsToken, parseSubprotocols } from "./header_tokens.ts";

/**
 * A server-side extension negotiator, such as permessage-deflate (RFC 7692)
 * will be.
 */
export interface ServerExtension {
  /** The extension token it answers to, compared ASCII case-insensitively. */
  name: string;
  /**
   * Given the client's offers for this name, in the client's order of
   * preference, return the accepted response params or undefined to decline.
   *
   * @param offers One or more offers, all with this extension's name.
   * @returns The element to put in the response (its name must be this
   * extension's), or `undefined` to decline.
   */
  negotiate(offers: ExtensionOffer[]): ExtensionOffer | undefined;
}

/**
 * Options for {@linkcode negotiateServerHandshake}.
 */
export interface ServerHandshakeOptions {
  /**
   * The subprotocols this server speaks, in its order of preference, or a
   * function that picks one of those the client offered. The server never
   * chooses a subprotocol the client did not offer (RFC 6455 §4.2.2): with
   * a list the first entry that the client also offered wins (compared
   * case-sensitively); a function is only called when the client offered
   * at least one and must return one of them, or `undefined` for none.
   * @default {[]}
   */
  protocols?: string[] | ((offered: string[]) => string | undefined) | undefined;
  /**
   * Allowed origins, or a function that decides. The `Origin` header is
   * ASCII-lowercased first (RFC 6455 §4.2.2 step 4); a list is compared
   * with its entries lowercased too. A request without `Origin` (a
   * non-browser client, §4.2.1 item 7) is refused by a list and passed to a
   * function as `null`. Absent: every origin is allowed.
   */
  origin?: string[] | ((origin: string | null) => boolean) | undefined;
  /**
   * Extension negotiators, one per name. None ship yet.
   * @default {[]}
   */
  extensions?: ServerExtension[] | undefined;
  /**
   * Extra headers for the 101 response, such as `Set-Cookie`. They may not
   * set `Upgrade`, `Connection` or `Sec-WebSocket-*`.
   */
  headers?: HeadersInit | undefined;
}

/**
 * Facts about the request that a `Request` object does not carry.
 */
export interface ServerHandshakeContext {
  /**
   * The version from the request line, such as `"HTTP/1.1"` (as returned by
   * `readRequestHead`). Absent: assumed to be at least 1.1.
   */
  httpVersion?: string | undefined;
}

/**
 * An accepted handshake: what to send in the 101 response.
 */
export interface ServerHandshakeAccepted {
  /** Accepted. */
  ok: true;
  /** Always 101 Switching Protocols. */
  status: 101;
  /**
   * `Upgrade: websocket`, `Connection: Upgrade`, `Sec-WebSocket-Accept`,
   * `Sec-WebSocket-Protocol` and `Sec-WebSocket-Extensions` when chosen,
   * and the `headers` option.
   */
  headers: Headers;
  /** The chosen subprotocol, or `""` for none. */
  protocol: string;
  /** The accepted extensions, in the order they were offered. */
  extensions: ExtensionOffer[];
}

/**
 * A refused handshake: the error response to send before closing.
 */
export interface ServerHandshakeRejected {
  /** Refused. */
  ok: false;
  /** 400, 403 or 426. */
  status: number;
  /**
   * `Content-Type: text/plain; charset=utf-8`, and for 426 also
   * `Sec-WebSocket-Version: 13`, `Upgrade: websocket` and
   * `Connection: Upgrade`.
   */
  headers: Headers;
  /** What was wrong, in one line. */
  body: string;
}

/**
 * The outcome of {@linkcode negotiateServerHandshake}: check `ok` to tell
 * the two apart.
 */
export type ServerHandshake = ServerHandshakeAccepted | ServerHandshakeRejected;

/** Headers the handshake owns; `options.headers` may not set them. */
function _isHandshakeHeader(name: string): boolean {
  return name === "upgrade" || name === "connection" || name.startsWith("sec-websocket-");
}

/**
 * Check a client's opening handshake and work out the server's answer
 * (RFC 6455 §4.2.1, §4.2.2, §4.4). Pure: nothing is read or written, so it
 * suits any transport; send the result with `handshakeResponse` (where the
 * runtime can build a 101 `Response`) or `writeResponseHead` /
 * `writeResponse`.
 *
 * Refusals: 400 for a malformed request (method, HTTP version, `Host`, a
 * body, `Upgrade`, `Connection`, `Sec-WebSocket-Key`, subprotocol syntax),
 * 426 for a version other than 13 (checked before the key: older drafts
 * send none), 403 for an origin not allowed. The order of the checks, with
 * the RFC section of each, is the table "the checks, in order" in
 * `server_handshake_test.ts`. A `Sec-WebSocket-Extensions` that does not
 * parse declines every extension rather than failing the handshake (§9.1
 * asks to fail; the client cannot be hurt by an extension it does not get).
 *
 * @param request The client's request.
 * @param options Subprotocols, origin policy, extensions, extra headers.
 * @param context The HTTP version from the request line, when known.
 * @returns The 101 to send, or the error response to send before closing.
 * @throws {TypeError} For misuse: `options.headers` that set a handshake
 * header, a `protocols` function that picks a subprotocol the client did not
 * offer, an extension negotiator that answers for another name or with
 * parameters that are not tokens, two negotiators with the same name.
 * Exceptions thrown by the `protocols`, `origin` and `negotiate` callbacks
 * propagate.
 *
 * @example The sample handshake of RFC 6455 §1.3
 * ```ts
 * import { negotiateServerHandshake } from "@edgews/websocket/handshake";
 * import assert from "node:assert/strict";
 *
 * const request = new Request("http://server.example.com/chat", {
 *   headers: {
 *     "Host": "server.example.com",
 *     "Upgrade": "websocket",
 *     "Connection": "Upgrade",
 *     "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
 *     "Origin": "http://example.com",
 *     "Sec-WebSocket-Protocol": "chat, superchat",
 *     "Sec-WebSocket-Version": "13",
 *   },
 * });
 * const result = negotiateServerHandshake(request, { protocols: ["superchat"] });
 * assert.ok(result.ok);
 * assert.equal(result.headers.get("sec-websocket-accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
 * assert.equal(result.protocol, "superchat");
 * ```
 *
 * @example A refusal
 * ```ts
 * import { negotiateServerHandshake } from "@edgews/websocket/handshake";
 * import assert from "node:assert/strict";
 *
 * const request = new Request("http://example.com/", { headers: { host: "example.com" } });
 * const result = negotiateServerHandshake(request);
 * assert.equal(result.ok, false);
 * assert.equal(result.status, 400);
 * ```
 */
export function negotiateServerHandshake(
  request: Request,
  options: ServerHandshakeOptions = {},
  context: ServerHandshakeContext = {},
): ServerHandshake {
  const result = _negotiate(request, options, context);
  if (!result.ok) return result;
  return {
    ok: true,
    status: 101,
    headers: _acceptedHeaders(result),
    protocol: result.protocol,
    extensions: result.extensions,
  };
}

/**
 * An accepted handshake as data, before any `Headers` is made: this
 * module's servers write the 101 from it directly (a `Headers` costs a few
 * µs per field on Deno, on every upgrade).
 */
export interface _HandshakeAnswer {
  /** Accepted. */
  ok: true;
  /** The `Sec-WebSocket-Accept` value. */
  accept: string;
  /** The chosen subprotocol, or `""` for none. */
  protocol: string;
  /** The accepted extensions, in the order they were offered. */
  extensions: ExtensionOffer[];
  /** `options.headers`, copied and checked, or `undefined` when there were none. */
  extra: Headers | undefined;
}

/**
 * {@linkcode negotiateServerHandshake} without building the 101's headers;
 * `extension` is one more negotiator (permessage-deflate from
 * `upgradeWebSocket`'s options), passed apart so that the options need not
 * be copied.
 */
export function _negotiate(
  request: Request,
  options: ServerHandshakeOptions,
  context: ServerHandshakeContext,
  extension?: ServerExtension,
): _HandshakeAnswer | ServerHandshakeRejected {
  // Options first, so that misuse shows on the first request, valid or not.
  let extra: Headers | undefined;
  if (options.headers !== undefined) {
    extra = new Headers(options.headers);
    // forEach, not for-of: Deno's Headers iterator is several times dearer.
    extra.forEach((_value, name) => {
      if (_isHandshakeHeader(name)) {
        throw new TypeError(
          `Invalid options.headers: ${name} is set by the handshake and cannot be overridden`,
        );
      }
    });
  }
  const extensions = options.extensions;
  let negotiators: Map<string, ServerExtension> | undefined;
  if ((extensions === undefined || extensions.length === 0) && extension !== undefined) {
    // Only `upgradeWebSocket`'s permessage-deflate, the same object on every
    // upgrade: its map is made once.
    if (_lone?.extension !== extension) {
      _lone = { extension, negotiators: new Map([[asciiLowercase(extension.name), extension]]) };
    }
    negotiators = _lone.negotiators;
  } else if ((extensions !== undefined && extensions.length > 0) || extension !== undefined) {
    negotiators = new Map();
    for (
      const negotiator of extension === undefined ? extensions! : [...extensions ?? [], extension]
    ) {
      const name = asciiLowercase(negotiator.name);
      if (negotiators.has(name)) {
        throw new TypeError(`Invalid options.extensions: two negotiators for ${quote(name)}`);
      }
      negotiators.set(name, negotiator);
    }
  }

  const headers = request.headers;
  if (request.method !== "GET") {
    return _reject(400, `Invalid handshake request: method is ${request.method}, not GET`);
  }
  if (context.httpVersion !== undefined && !_isHttp11OrLater(context.httpVersion)) {
    return _reject(
      400,
      `Invalid handshake request: ${
        quote(context.httpVersion)
      } cannot upgrade, HTTP/1.1 or later is needed`,
    );
  }
  if (!headers.get("host")) {
    return _reject(400, "Invalid handshake request: missing Host header");
  }
  const contentLength = headers.get("content-length");
  if (headers.has("transfer-encoding") || (contentLength !== null && contentLength !== "0")) {
    return _reject(
      400,
      "Invalid handshake request: a WebSocket upgrade request cannot have a body",
    );
  }
  const upgrade = headers.get("upgrade");
  if (upgrade === null) {
    return _reject(
      400,
      "Invalid handshake request: missing Upgrade header (this endpoint speaks WebSocket only)",
    );
  }
  if (!containsToken(upgrade, "websocket")) {
    return _reject(
      400,
      `Invalid handshake request: Upgrade header ${quote(upgrade)} does not list websocket`,
    );
  }
  const connection = headers.get("connection");
  if (!containsToken(connection, "upgrade")) {
    return _reject(
      400,
      connection === null
        ? "Invalid handshake request: missing Connection header"
        : `Invalid handshake request: Connection header ${quote(connection)} does not list upgrade`,
    );
  }
  const version = headers.get("sec-websocket-version");
  if (version !== "13") {
    const result = _reject(
      426,
      version === null
        ? "Unsupported WebSocket version: missing Sec-WebSocket-Version header (this server speaks 13)"
        : `Unsupported WebSocket version: ${quote(version)} (this server speaks 13)`,
    );
    // RFC 6455 §4.4 asks for the supported versions; RFC 9110 §15.5.22 for
    // an Upgrade header on a 426, which in turn needs Connection: Upgrade
    // (RFC 9110 §7.8).
    result.headers.set("sec-websocket-version", "13");
    result.headers.set("upgrade", "websocket");
    result.headers.set("connection", "Upgrade");
    return result;
  }
  const key = headers.get("sec-websocket-key");
  if (key === null) {
    return _reject(400, "Invalid handshake request: missing Sec-WebSocket-Key header");
  }
  if (!isValidKey(key)) {
    return _reject(
      400,
      `Invalid handshake request: Sec-WebSocket-Key ${quote(key)} is not base64 of 16 bytes`,
    );
  }
  if (options.origin !== undefined) {
    const raw = headers.get("origin");
    const origin = raw === null ? null : asciiLowercase(raw);
    const allowed = typeof options.origin === "function"
      ? options.origin(origin)
      : origin !== null && options.origin.some((entry) => asciiLowercase(entry) === origin);
    if (!allowed) {
      return _reject(
        403,
        origin === null
          ? "Origin not allowed: no Origin header"
          : `Origin not allowed: ${quote(origin)}`,
      );
    }
  }
  let offered: string[];
  try {
    offered = parseSubprotocols(headers.get("sec-websocket-protocol"));
  } catch (error) {
    return _reject(400, (error as SyntaxError).message);
  }

  const protocol = _chooseProtocol(offered, options.protocols);
  return {
    ok: true,
    accept: computeAcceptKey(key),
    protocol,
    extensions: _negotiateExtensions(headers.get("sec-websocket-extensions"), negotiators),
    extra,
  };
}

/** The negotiators of the last lone extension (see `_negotiate`). */
let _lone: { extension: ServerExtension; negotiators: Map<string, ServerExtension> } | undefined;

/** The 101's headers for an accepted handshake (a new `Headers`, or `extra` filled in). */
export function _acceptedHeaders(answer: _HandshakeAnswer): Headers {
  const headers = answer.extra ?? new Headers();
  headers.set("upgrade", "websocket");
  headers.set("connection", "Upgrade");
  headers.set("sec-websocket-accept", answer.accept);
  if (answer.protocol !== "") headers.set("sec-websocket-protocol", answer.protocol);
  if (answer.extensions.length > 0) {
    headers.set("sec-websocket-extensions", formatExtensionHeader(answer.extensions));
  }
  return headers;
}

/**
 * Build the web `Response` for a handshake result: a 101 with the
 * handshake headers, or the error status with a `text/plain` body. Deno
 * can construct a 101 `Response`; Node, for one, cannot (a `RangeError`):
 * there, write `result.headers` with `writeResponseHead` instead.
 *
 * @param result What {@linkcode negotiateServerHandshake} returned.
 * @returns The response.
 * @throws {RangeError} From the `Response` constructor, for a 101 in a
 * runtime that does not allow it.
 *
 * @example
 * ```ts
 * import { handshakeResponse } from "@edgews/websocket/handshake";
 * import assert from "node:assert/strict";
 *
 * const response = handshakeResponse({
 *   ok: false,
 *   status: 403,
 *   headers: new Headers({ "content-type": "text/plain; charset=utf-8" }),
 *   body: "Origin not allowed",
 * });
 * assert.equal(response.status, 403);
 * assert.equal(await response.text(), "Origin not allowed");
 * ```
 */
export function handshakeResponse(result: ServerHandshake): Response {
  if (result.ok) return new Response(null, { status: 101, headers: result.headers });
  return new Response(result.body, { status: result.status, headers: result.headers });
}

function _reject(status: number, body: string): ServerHandshakeRejected {
  return {
    ok: false,
    status,
    headers: new Headers({ "content-type": "text/plain; charset=utf-8" }),
    body,
  };
}

/** `HTTP/1.1`, `HTTP/2`, `1.1`: whether the version is at least 1.1. */
function _isHttp11OrLater(version: string): boolean {
  if (version === "HTTP/1.1") return true; // every upgrade: no match array to make
  const match = /^(?:HTTP\/)?([0-9]+)(?:\.([0-9]+))?$/.exec(version);
  if (match === null) return false;
  const major = Number(match[1]);
  const minor = Number(match[2] ?? "0");
  return major > 1 || (major === 1 && minor >= 1);
}

function _chooseProtocol(
  offered: string[],
  protocols: ServerHandshakeOptions["protocols"],
): string {
  if (offered.length === 0 || protocols === undefined) return "";
  if (typeof protocols !== "function") {
    return protocols.find((protocol) => offered.includes(protocol)) ?? "";
  }
  const chosen = protocols(offered);
  if (chosen === undefined || chosen === "") return "";
  if (!offered.includes(chosen)) {
    throw new TypeError(
      `Invalid subprotocol choice: ${quote(String(chosen))} was not offered by the client`,
    );
  }
  return chosen;
}

function _negotiateExtensions(
  header: string | null,
  negotiators: Map<string, ServerExtension> | undefined,
): ExtensionOffer[] {
  if (header === null || negotiators === undefined) return [];
  let offers: ExtensionOffer[];
  try {
    offers = parseExtensionHeader(header);
  } catch {
    return []; // Malformed: decline everything (see negotiateServerHandshake).
  }
  // Group the offers by name, in the order each name first appears.
  const byName = new Map<string, ExtensionOffer[]>();
  for (const offer of offers) {
    const name = asciiLowercase(offer.name);
    const group = byName.get(name);
    if (group === undefined) byName.set(name, [offer]);
    else group.push(offer);
  }
  const accepted: ExtensionOffer[] = [];
  for (const [name, group] of byName) {
    const negotiator = negotiators.get(name);
    if (negotiator === undefined) continue;
    const answer = negotiator.negotiate(group);
    if (answer === undefined) continue;
    if (asciiLowercase(answer.name) !== name) {
      throw new TypeError(
        `Invalid extension negotiation: the ${quote(negotiator.name)} negotiator answered for ${
          quote(answer.name)
        }`,
      );
    }
    accepted.push(answer);
  }
  return accepted;
}
