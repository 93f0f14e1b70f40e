import assert from "node:assert/strict";
import {
  type ExtensionOffer,
  formatExtensionHeader,
  parseExtensionHeader,
} from "./extension_header.ts";

/** Offers as plain arrays, for readable assertions. */
function plain(offers: ExtensionOffer[]): [string, [string, string | true][]][] {
  return offers.map((offer) => [offer.name, [...offer.params]]);
}

function offer(name: string, params: [string, string | true][] = []): ExtensionOffer {
  return { name, params: new Map(params) };
}

Deno.test("parseExtensionHeader: one extension, no params", () => {
  assert.deepEqual(plain(parseExtensionHeader("permessage-deflate")), [
    ["permessage-deflate", []],
  ]);
});

Deno.test("parseExtensionHeader: several offers with params, in order", () => {
  const offers = parseExtensionHeader(
    "permessage-deflate; client_max_window_bits; server_max_window_bits=10, " +
      "permessage-deflate; client_max_window_bits, x-webkit-deflate-frame",
  );
  assert.deepEqual(plain(offers), [
    ["permessage-deflate", [["client_max_window_bits", true], ["server_max_window_bits", "10"]]],
    ["permessage-deflate", [["client_max_window_bits", true]]],
    ["x-webkit-deflate-frame", []],
  ]);
});

Deno.test("parseExtensionHeader: the non-normative examples of RFC 6455 §9.1", () => {
  assert.deepEqual(plain(parseExtensionHeader("deflate-stream")), [["deflate-stream", []]]);
  assert.deepEqual(
    plain(parseExtensionHeader("mux; max-channels=4; flow-control, deflate-stream")),
    [["mux", [["max-channels", "4"], ["flow-control", true]]], ["deflate-stream", []]],
  );
  // Split headers joined by Headers.get() equal the combined form (§9.1).
  const headers = new Headers();
  headers.append("Sec-WebSocket-Extensions", "foo");
  headers.append("Sec-WebSocket-Extensions", "bar; baz=2");
  assert.deepEqual(
    plain(parseExtensionHeader(headers.get("sec-websocket-extensions")!)),
    plain(parseExtensionHeader("foo, bar; baz=2")),
  );
});

Deno.test("parseExtensionHeader: whitespace around separators (implied LWS)", () => {
  assert.deepEqual(plain(parseExtensionHeader(" \tfoo ; a = 1 ;b\t,\tbar ")), [
    ["foo", [["a", "1"], ["b", true]]],
    ["bar", []],
  ]);
});

Deno.test("parseExtensionHeader: quoted values are unquoted and unescaped", () => {
  assert.deepEqual(plain(parseExtensionHeader('foo; a="10"; b="x\\yz"; c=plain')), [
    ["foo", [["a", "10"], ["b", "xyz"], ["c", "plain"]]],
  ]);
  assert.deepEqual(plain(parseExtensionHeader('foo; a="\\1\\0"')), [["foo", [["a", "10"]]]]);
});

Deno.test("parseExtensionHeader: names and values keep their case", () => {
  assert.deepEqual(plain(parseExtensionHeader("PerMessage-Deflate; Client_Max_Window_Bits=A")), [
    ["PerMessage-Deflate", [["Client_Max_Window_Bits", "A"]]],
  ]);
});

Deno.test("parseExtensionHeader: empty list elements are skipped (RFC 9110 §5.6.1)", () => {
  assert.deepEqual(plain(parseExtensionHeader("foo,,bar")), [["foo", []], ["bar", []]]);
  assert.deepEqual(plain(parseExtensionHeader(", foo , ,")), [["foo", []]]);
});

Deno.test("parseExtensionHeader: malformed values are SyntaxErrors that say what is wrong", () => {
  const cases: [string, RegExp][] = [
    ["", /no extension listed/],
    [" , ,", /no extension listed/],
    [";foo", /expected an extension name but found ";" at offset 0/],
    ["foo;", /expected a parameter name at the end/],
    ["foo;;bar", /expected a parameter name but found ";" at offset 4/],
    ["foo; =1", /expected a parameter name but found "=" at offset 5/],
    ["foo; a=", /expected a value for "a" at the end/],
    ["foo; a=,bar", /expected a value for "a" but found ","/],
    ["foo; a=1=2", /unexpected "=" at offset 8/],
    ['foo; a="10', /unterminated quoted string at offset 7/],
    ['foo; a="10\\', /unterminated quoted string/],
    ['foo; a="1 0"', /quoted value "1 0" of "a" is not a token/],
    ['foo; a=""', /quoted value "" of "a" is not a token/],
    ['foo; a="x,y"', /not a token/],
    ["foo bar", /unexpected "b" at offset 4/],
    ["fo@o", /unexpected "@" at offset 2/],
    ["foo; a b", /unexpected "b"/],
    ["foo; a=1 2", /unexpected "2"/],
    ["foo; a=\u00e9", /expected a value for "a" but found "\u00e9"/],
    ["f\u00f6o", /unexpected "\u00f6"/],
    ["foo; a=1; a", /parameter "a" appears twice in "foo"/],
    ['foo; a=1 "x"', /unexpected/],
  ];
  for (const [value, message] of cases) {
    assert.throws(
      () => parseExtensionHeader(value),
      (error: unknown) => {
        assert.ok(error instanceof SyntaxError, JSON.stringify(value));
        assert.match(error.message, /^Invalid Sec-WebSocket-Extensions header: /);
        assert.match(error.message, message, JSON.stringify(value));
        return true;
      },
    );
  }
});

Deno.test("parseExtensionHeader: hostile input only ever throws SyntaxError", () => {
  let seed = 1;
  const alphabet = 'a=;, \t"\\\u00ff\u0000-';
  for (let n = 0; n < 5000; n++) {
    let value = "";
    const length = n % 24;
    for (let i = 0; i < length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      value += alphabet[seed % alphabet.length];
    }
    try {
      const offers = parseExtensionHeader(value);
      // Whatever parses must format to something that parses the same.
      assert.deepEqual(plain(parseExtensionHeader(formatExtensionHeader(offers))), plain(offers));
    } catch (error) {
      assert.ok(error instanceof SyntaxError, `${JSON.stringify(value)}: ${error}`);
    }
  }
});

Deno.test("formatExtensionHeader: tokens only, bare values, round trip", () => {
  const offers = [
    offer("permessage-deflate", [["client_no_context_takeover", true], [
      "server_max_window_bits",
      "10",
    ]]),
    offer("x-custom"),
  ];
  const header = formatExtensionHeader(offers);
  assert.equal(
    header,
    "permessage-deflate; client_no_context_takeover; server_max_window_bits=10, x-custom",
  );
  assert.deepEqual(plain(parseExtensionHeader(header)), plain(offers));
  assert.equal(formatExtensionHeader([]), "");
});

Deno.test("formatExtensionHeader: a non-token anywhere is a TypeError", () => {
  const bad: ExtensionOffer[] = [
    offer(""),
    offer("a b"),
    offer("foo", [["a b", true]]),
    offer("foo", [["", true]]),
    offer("foo", [["a", ""]]),
    offer("foo", [["a", "1 0"]]),
    offer("foo", [["a", 'x"y']]),
    offer("foo", [["a", "x\r\ny"]]),
  ];
  for (const value of bad) {
    assert.throws(() => formatExtensionHeader([value]), TypeError, JSON.stringify(plain([value])));
  }
});
