/**
 * The `Sec-WebSocket-Extensions` header (RFC 6455 §9.1): parse offers and
 * acceptances, and format them.
 *
 * @module
 */

import { isTokenChar, isTokenString, isWhitespace, quote } from "../http/_http_syntax.ts";

/**
 * One element of a `Sec-WebSocket-Extensions` header: an extension name
 * and its parameters, as offered by a client or accepted by a server.
 *
 * Names and parameter names are kept exactly as written. Extension names are
 * compared ASCII case-insensitively by this module's negotiation and
 * verification (HTTP tokens usually are, and registered names are
 * lowercase); parameter names are left to each extension, which should
 * compare them as its own specification says.
 */
export interface ExtensionOffer {
  /** The extension token, e.g. `"permessage-deflate"`. */
  name: string;
  /**
   * The parameters in order. A parameter written without a value
   * (`; client_no_context_takeover`) maps to `true`; a quoted value is
   * stored unquoted and unescaped.
   */
  params: Map<string, string | true>;
}

/**
 * Parse a `Sec-WebSocket-Extensions` header value (RFC 6455 §9.1):
 *
 * ```text
 * extension-list  = 1#extension
 * extension       = extension-token *( ";" extension-param )
 * extension-param = token [ "=" ( token | quoted-string ) ]
 * ```
 *
 * Spaces and tabs are allowed around `,`, `;` and `=` (the "implied *LWS
 * rule"); a value joined with `", "` (as `Headers.get()` returns several
 * lines) parses as all their offers in order. Where the grammar leaves room:
 * empty elements are skipped (RFC 9110 §5.6.1), a quoted value must still
 * be a token, and a parameter given twice is an error (RFC 7692 §7). The
 * cases: `extension_header_test.ts`.
 *
 * @param value The header value.
 * @returns The offers in order.
 * @throws {SyntaxError} For anything the grammar does not allow, saying what.
 *
 * @example
 * ```ts
 * import { parseExtensionHeader } from "@edgews/websocket/handshake";
 * import assert from "node:assert/strict";
 *
 * const offers = parseExtensionHeader(
 *   'permessage-deflate; client_max_window_bits, permessage-deflate; server_max_window_bits="10"',
 * );
 * assert.equal(offers.length, 2);
 * assert.equal(offers[0]!.params.get("client_max_window_bits"), true);
 * assert.equal(offers[1]!.params.get("server_max_window_bits"), "10");
 * assert.throws(() => parseExtensionHeader("foo; bar="), SyntaxError);
 * ```
 */
export function parseExtensionHeader(value: string): ExtensionOffer[] {
  return new _ExtensionParser(value).parse();
}

/**
 * Format extension offers (client) or acceptances (server) as a
 * `Sec-WebSocket-Extensions` header value: elements joined with `", "`,
 * parameters with `"; "`. Values are written as bare tokens: §9.1 requires
 * every value to be a token even when quoted, so quoting never helps and a
 * value that is not a token is refused.
 *
 * An empty list gives `""`, which is not a valid header value: send no
 * header at all instead.
 *
 * @param offers The elements to format, in order.
 * @returns The header value.
 * @throws {TypeError} When a name, parameter name or value is not a token.
 *
 * @example
 * ```ts
 * import { formatExtensionHeader } from "@edgews/websocket/handshake";
 * import assert from "node:assert/strict";
 *
 * const header = formatExtensionHeader([
 *   {
 *     name: "permessage-deflate",
 *     params: new Map<string, string | true>([
 *       ["client_no_context_takeover", true],
 *       ["server_max_window_bits", "10"],
 *     ]),
 *   },
 *   { name: "x-trace", params: new Map() },
 * ]);
 * assert.equal(
 *   header,
 *   "permessage-deflate; client_no_context_takeover; server_max_window_bits=10, x-trace",
 * );
 * ```
 */
export function formatExtensionHeader(offers: readonly ExtensionOffer[]): string {
  const elements: string[] = [];
  for (const offer of offers) {
    if (!isTokenString(offer.name)) {
      throw new TypeError(
        `Cannot format Sec-WebSocket-Extensions: extension name ${
          quote(offer.name)
        } is not a token`,
      );
    }
    let element = offer.name;
    for (const [name, value] of offer.params) {
      if (!isTokenString(name)) {
        throw new TypeError(
          `Cannot format Sec-WebSocket-Extensions: parameter name ${quote(name)} of ${
            quote(offer.name)
          } is not a token`,
        );
      }
      if (value === true) {
        element += `; ${name}`;
      } else if (typeof value === "string" && isTokenString(value)) {
        element += `; ${name}=${value}`;
      } else {
        throw new TypeError(
          `Cannot format Sec-WebSocket-Extensions: value of ${quote(name)} in ${
            quote(offer.name)
          } is not a token (RFC 6455 §9.1)`,
        );
      }
    }
    elements.push(element);
  }
  return elements.join(", ");
}

/** A recursive-descent parser over one header value. */
class _ExtensionParser {
  #text: string;
  #at = 0;

  constructor(text: string) {
    this.#text = text;
  }

  parse(): ExtensionOffer[] {
    const offers: ExtensionOffer[] = [];
    const text = this.#text;
    while (true) {
      this.#skipWhitespace();
      if (this.#at >= text.length) break;
      if (text.charCodeAt(this.#at) === 0x2c) { // "," ends an empty element
        this.#at++;
        continue;
      }
      offers.push(this.#extension());
      this.#skipWhitespace();
      if (this.#at >= text.length) break;
      if (text.charCodeAt(this.#at) !== 0x2c) this.#fail(`unexpected ${this.#found()}`);
      this.#at++;
    }
    if (offers.length === 0) this.#fail("no extension listed");
    return offers;
  }

  #extension(): ExtensionOffer {
    const name = this.#token();
    if (name === "") this.#fail(`expected an extension name ${this.#where()}`);
    const params = new Map<string, string | true>();
    while (true) {
      this.#skipWhitespace();
      if (this.#text.charCodeAt(this.#at) !== 0x3b) break; // ";"
      this.#at++;
      this.#skipWhitespace();
      const param = this.#token();
      if (param === "") this.#fail(`expected a parameter name ${this.#where()}`);
      this.#skipWhitespace();
      let value: string | true = true;
      if (this.#text.charCodeAt(this.#at) === 0x3d) { // "="
        this.#at++;
        this.#skipWhitespace();
        value = this.#value(param);
      }
      if (params.has(param)) {
        this.#fail(`parameter ${quote(param)} appears twice in ${quote(name)}`);
      }
      params.set(param, value);
    }
    return { name, params };
  }

  #value(param: string): string {
    if (this.#text.charCodeAt(this.#at) !== 0x22) { // not '"'
      const token = this.#token();
      if (token === "") this.#fail(`expected a value for ${quote(param)} ${this.#where()}`);
      return token;
    }
    // quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE (RFC 9110 §5.6.4)
    const text = this.#text;
    const start = this.#at;
    let value = "";
    this.#at++;
    while (true) {
      if (this.#at >= text.length) {
        this.#fail(`unterminated quoted string at offset ${start}`);
      }
      const code = text.charCodeAt(this.#at);
      if (code === 0x22) break;
      if (code === 0x5c) { // "\" quoted-pair
        this.#at++;
        if (this.#at >= text.length) {
          this.#fail(`unterminated quoted string at offset ${start}`);
        }
      }
      value += text[this.#at];
      this.#at++;
    }
    this.#at++;
    if (!isTokenString(value)) {
      this.#fail(
        `quoted value ${quote(value)} of ${quote(param)} is not a token (RFC 6455 §9.1)`,
      );
    }
    return value;
  }

  #token(): string {
    const start = this.#at;
    const text = this.#text;
    while (this.#at < text.length && isTokenChar(text.charCodeAt(this.#at))) this.#at++;
    return text.slice(start, this.#at);
  }

  #skipWhitespace(): void {
    const text = this.#text;
    while (this.#at < text.length && isWhitespace(text.charCodeAt(this.#at))) this.#at++;
  }

  /** Where the parser stands, for an "expected ..." message. */
  #where(): string {
    return this.#at >= this.#text.length ? "at the end" : `but found ${this.#found()}`;
  }

  #found(): string {
    return `${quote(this.#text[this.#at] ?? "")} at offset ${this.#at}`;
  }

  #fail(detail: string): never {
    throw new SyntaxError(`Invalid Sec-WebSocket-Extensions header: ${detail}`);
  }
}
