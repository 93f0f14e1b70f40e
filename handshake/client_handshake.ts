/**
 * The client side of the opening handshake (RFC 6455 §4.1): build the
 * request and verify the server's answer, without I/O.
 *
 * @module
 */

import { CloseCode } from "../errors/close_code.ts";
import { WebSocketError } from "../errors/websocket_error.ts";
import { _BODY_PREFIX_LIMIT } from "./_body_prefix.ts";
import { asciiLowercase, isTokenString, quote, trimWhitespace } from "../http/_http_syntax.ts";
import { computeAcceptKey, generateKey } from "./accept_key.ts";
import {
  type ExtensionOffer,
  formatExtensionHeader,
  parseExtensionHeader,
} from "./extension_header.ts";
import { containsToken } from "./header_tokens.ts";
import { HandshakeStatusError } from "../errors/handshake_status_error.ts";

/**
 * Options for {@linkcode createClientHandshake}.
 */
export interface ClientHandshakeOptions {
  /**
   * Subprotocols to offer, in order of preference. Each must be a token and
   * appear once (RFC 6455 §4.1 item 10).
   * @default {[]}
   */
  protocols?: string[] | undefined;
  /**
   * Extensions to offer, in order of preference.
   * @default {[]}
   */
  extensions?: ExtensionOffer[] | undefined;
  /**
   * Extra request headers, such as `Authorization` or `Cookie`. They may
   * not set `Host`, `Upgrade`, `Connection` or any `Sec-WebSocket-*` header.
   */
  headers?: HeadersInit | undefined;
  /** The `Origin` header to send, as a browser would (RFC 6455 §4.1 item 8). */
  origin?: string | undefined;
}

/**
 * What {@linkcode createClientHandshake} returns.
 */
export interface ClientHandshake {
  /** The GET request to send (write it with `writeRequestHead`). */
  request: Request;
  /** The `Sec-WebSocket-Key` sent; {@linkcode verifyServerHandshake} needs it. */
  key: string;
}

/**
 * What the client offered, for {@linkcode verifyServerHandshake}.
 */
export interface ExpectedHandshake {
  /** The `Sec-WebSocket-Key` that was sent. */
  key: string;
  /** The subprotocols that were offered. */
  protocols?: string[] | undefined;
  /** The extensions that were offered. */
  extensions?: ExtensionOffer[] | undefined;
}

/**
 * An accepted handshake, from {@linkcode verifyServerHandshake}.
 */
export interface AcceptedHandshake {
  /** The subprotocol the server chose, or `""` for none. */
  protocol: string;
  /**
   * The extensions the server accepted, with the parameters it answered,
   * in the order they apply (RFC 6455 §9.1).
   */
  extensions: ExtensionOffer[];
}

/**
 * Build a client's opening handshake request (RFC 6455 §4.1): `GET` to the
 * `http:`/`https:` form of the URL, with `Host`, `Upgrade`, `Connection`,
 * `Sec-WebSocket-Version: 13`, a fresh `Sec-WebSocket-Key`, the offered
 * subprotocols and extensions, `Origin` when given, then `options.headers`.
 * URLs follow the WHATWG WebSocket constructor; user info is dropped (it is
 * never sent: put credentials in `Authorization`). The accepted and refused
 * URLs and headers: `client_handshake_test.ts`.
 *
 * @param url A `ws:`, `wss:`, `http:` or `https:` URL without a fragment.
 * @param options What to offer and extra headers.
 * @returns The request and the key it carries.
 * @throws {SyntaxError} For a URL that does not parse, has another scheme or
 * has a fragment; for a subprotocol that is not a token or is listed twice.
 * @throws {TypeError} When `options.headers` tries to set a handshake header
 * (`Host`, `Upgrade`, `Connection`, `Sec-WebSocket-*`), or `Origin` while
 * `options.origin` is given; for an extension offer that is not made of
 * tokens; for header names or values `Headers` refuses.
 *
 * @example
 * ```ts
 * import { createClientHandshake } from "@edgews/websocket/handshake";
 * import assert from "node:assert/strict";
 *
 * const { request, key } = createClientHandshake("wss://example.com/chat", {
 *   protocols: ["chat", "superchat"],
 * });
 * assert.equal(request.url, "https://example.com/chat");
 * assert.equal(request.method, "GET");
 * assert.equal(request.headers.get("sec-websocket-key"), key);
 * assert.equal(request.headers.get("sec-websocket-protocol"), "chat, superchat");
 * assert.throws(() => createClientHandshake("ftp://example.com/"), SyntaxError);
 * ```
 */
export function createClientHandshake(
  url: string | URL,
  options: ClientHandshakeOptions = {},
): ClientHandshake {
  const target = _httpUrl(url);
  const protocols = options.protocols ?? [];
  const seen = new Set<string>();
  for (const protocol of protocols) {
    if (!isTokenString(protocol)) {
      throw new SyntaxError(`Invalid subprotocol: ${quote(protocol)} is not a token`);
    }
    if (seen.has(protocol)) {
      throw new SyntaxError(`Invalid subprotocol: ${quote(protocol)} is listed twice`);
    }
    seen.add(protocol);
  }
  const extensions = formatExtensionHeader(options.extensions ?? []);

  const headers = new Headers(options.headers);
  headers.forEach((_value, name) => {
    if (
      name === "host" || name === "upgrade" || name === "connection" ||
      name.startsWith("sec-websocket-")
    ) {
      throw new TypeError(
        `Invalid options.headers: ${name} is set by the handshake and cannot be overridden`,
      );
    }
  });
  if (options.origin !== undefined) {
    if (headers.has("origin")) {
      throw new TypeError("Invalid options: Origin is given both as options.origin and in headers");
    }
    headers.set("origin", options.origin);
  }
  const key = generateKey();
  headers.set("host", target.host);
  headers.set("upgrade", "websocket");
  headers.set("connection", "Upgrade");
  headers.set("sec-websocket-key", key);
  headers.set("sec-websocket-version", "13");
  if (protocols.length > 0) headers.set("sec-websocket-protocol", protocols.join(", "));
  if (extensions !== "") headers.set("sec-websocket-extensions", extensions);
  return { request: new Request(target, { method: "GET", headers }), key };
}

/**
 * Verify a server's answer to the opening handshake (RFC 6455 §4.1, the
 * steps after "The client MUST validate the server's response"). A status
 * other than 101 is a {@linkcode HandshakeStatusError} (status, headers, the
 * body's start); a wrong `Upgrade`, `Connection` or `Sec-WebSocket-Accept`,
 * or a subprotocol that was not offered, fail with 1002; extensions that do
 * not parse or were not offered, with 1010 (whether their parameters fit is
 * for each extension to check). Each case, with its message:
 * `client_handshake_test.ts` ("each failure says what was wrong").
 *
 * @param response The status and headers read from the server, e.g. from
 * `readResponseHead` or a `Response`, and, as `bodyPrefix`, the first
 * bytes of its body when the status is not 101 (at most 1 KiB is kept).
 * @param expected The key sent and what was offered.
 * @returns The subprotocol and extensions in use.
 * @throws {WebSocketError} Saying exactly what was wrong, with the close
 * code to report.
 *
 * @example
 * ```ts
 * import { verifyServerHandshake } from "@edgews/websocket/handshake";
 * import assert from "node:assert/strict";
 *
 * const response = {
 *   status: 101,
 *   headers: new Headers({
 *     "Upgrade": "websocket",
 *     "Connection": "Upgrade",
 *     "Sec-WebSocket-Accept": "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
 *     "Sec-WebSocket-Protocol": "chat",
 *   }),
 * };
 * const accepted = await verifyServerHandshake(response, {
 *   key: "dGhlIHNhbXBsZSBub25jZQ==",
 *   protocols: ["chat", "superchat"],
 * });
 * assert.deepEqual(accepted, { protocol: "chat", extensions: [] });
 *
 * await assert.rejects(
 *   verifyServerHandshake({ status: 403, headers: new Headers() }, { key: "x" }),
 *   { name: "HandshakeStatusError", closeCode: 1002, status: 403 },
 * );
 * ```
 */
export function verifyServerHandshake(
  response: { status: number; headers: Headers; bodyPrefix?: Uint8Array | undefined },
  expected: ExpectedHandshake,
): Promise<AcceptedHandshake> {
  try {
    return Promise.resolve(_verify(response, expected));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** The checks of {@linkcode verifyServerHandshake}, synchronous. */
function _verify(
  response: { status: number; headers: Headers; bodyPrefix?: Uint8Array | undefined },
  expected: ExpectedHandshake,
): AcceptedHandshake {
  const { status, headers } = response;
  if (status !== 101) {
    const versions = status === 426 || status === 400 ? headers.get("sec-websocket-version") : null;
    const location = status >= 300 && status < 400 ? headers.get("location") : null;
    // Without a character cut in two at the end.
    const body = new TextDecoder().decode(
      response.bodyPrefix?.subarray(0, _BODY_PREFIX_LIMIT),
      { stream: true },
    );
    const said = body.replace(/\s+/g, " ").trim();
    throw new HandshakeStatusError(
      status,
      headers,
      `Handshake failed: server answered ${status} instead of 101 Switching Protocols${
        versions === null ? "" : ` (it speaks WebSocket versions ${quote(versions)})`
      }${
        location === null
          ? ""
          : ` (a redirect to ${quote(location)}: set followRedirects to follow it)`
      }${said === "" ? "" : `: ${quote(said)}`}`,
      body,
    );
  }
  const upgrade = headers.get("upgrade");
  if (upgrade === null) _fail(CloseCode.ProtocolError, "response has no Upgrade header");
  if (asciiLowercase(trimWhitespace(upgrade)) !== "websocket") {
    _fail(CloseCode.ProtocolError, `Upgrade header is ${quote(upgrade)}, not websocket`);
  }
  const connection = headers.get("connection");
  if (connection === null) _fail(CloseCode.ProtocolError, "response has no Connection header");
  if (!containsToken(connection, "upgrade")) {
    _fail(CloseCode.ProtocolError, `Connection header ${quote(connection)} does not list upgrade`);
  }
  const accept = headers.get("sec-websocket-accept");
  if (accept === null) {
    _fail(CloseCode.ProtocolError, "response has no Sec-WebSocket-Accept header");
  }
  if (trimWhitespace(accept) !== computeAcceptKey(expected.key)) {
    _fail(
      CloseCode.ProtocolError,
      `Sec-WebSocket-Accept ${quote(accept)} does not match the Sec-WebSocket-Key sent`,
    );
  }
  return {
    protocol: _verifyProtocol(headers.get("sec-websocket-protocol"), expected.protocols ?? []),
    extensions: _verifyExtensions(
      headers.get("sec-websocket-extensions"),
      expected.extensions ?? [],
    ),
  };
}

/** Parse and check a `ws:`/`wss:`/`http:`/`https:` URL; return it as http(s). */
function _httpUrl(input: string | URL): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch (error) {
    throw new SyntaxError(`Invalid WebSocket URL: ${quote(String(input))} does not parse`, {
      cause: error,
    });
  }
  // The WHATWG URL serializer writes "#" exactly when there is a fragment,
  // even an empty one, which `url.hash` would report as "".
  if (url.href.includes("#")) {
    throw new SyntaxError(`Invalid WebSocket URL: ${quote(url.href)} has a fragment`);
  }
  // Fetch forbids credentials in a Request URL (Node throws; Deno does not),
  // and they never reach the wire: drop them.
  url.username = "";
  url.password = "";
  if (url.protocol === "ws:") url.protocol = "http:";
  else if (url.protocol === "wss:") url.protocol = "https:";
  else if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new SyntaxError(
      `Invalid WebSocket URL: scheme ${quote(url.protocol)} is not ws:, wss:, http: or https:`,
    );
  }
  return url;
}

function _verifyProtocol(header: string | null, offered: string[]): string {
  if (header === null) return "";
  const protocol = trimWhitespace(header);
  if (!isTokenString(protocol)) {
    _fail(
      CloseCode.ProtocolError,
      `Sec-WebSocket-Protocol ${quote(header)} is not a single subprotocol name`,
    );
  }
  if (offered.length === 0) {
    _fail(
      CloseCode.ProtocolError,
      `server chose subprotocol ${quote(protocol)}, but none was offered`,
    );
  }
  if (!offered.includes(protocol)) {
    _fail(
      CloseCode.ProtocolError,
      `server chose subprotocol ${quote(protocol)}, which was not offered`,
    );
  }
  return protocol;
}

function _verifyExtensions(header: string | null, offered: ExtensionOffer[]): ExtensionOffer[] {
  if (header === null) return [];
  let accepted: ExtensionOffer[];
  try {
    accepted = parseExtensionHeader(header);
  } catch (error) {
    _fail(CloseCode.MandatoryExtension, (error as SyntaxError).message, error);
  }
  const names = new Set(offered.map((offer) => asciiLowercase(offer.name)));
  const seen = new Set<string>();
  for (const extension of accepted) {
    const name = asciiLowercase(extension.name);
    if (!names.has(name)) {
      _fail(
        CloseCode.MandatoryExtension,
        `server accepted extension ${quote(extension.name)}, which was not offered`,
      );
    }
    if (seen.has(name)) {
      _fail(
        CloseCode.MandatoryExtension,
        `server accepted extension ${quote(extension.name)} more than once`,
      );
    }
    seen.add(name);
  }
  return accepted;
}

function _fail(closeCode: number, detail: string, cause?: unknown): never {
  throw new WebSocketError(
    closeCode,
    `Handshake failed: ${detail}`,
    cause === undefined ? undefined : { cause },
  );
}
