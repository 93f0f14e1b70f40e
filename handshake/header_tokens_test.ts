import assert from "node:assert/strict";
import { containsToken, isToken, parseSubprotocols, splitHeaderList } from "./header_tokens.ts";

Deno.test("splitHeaderList: trims OWS and skips empty elements", () => {
  assert.deepEqual(splitHeaderList("a"), ["a"]);
  assert.deepEqual(splitHeaderList("a,b"), ["a", "b"]);
  assert.deepEqual(splitHeaderList(" \ta\t , b "), ["a", "b"]);
  assert.deepEqual(splitHeaderList(",a,,b,"), ["a", "b"]);
  assert.deepEqual(splitHeaderList(""), []);
  assert.deepEqual(splitHeaderList(" , , "), []);
  assert.deepEqual(splitHeaderList(null), []);
  assert.deepEqual(splitHeaderList("a b, c"), ["a b", "c"]); // characters are not checked
});

Deno.test("containsToken: ASCII case-insensitive, whole elements only", () => {
  assert.equal(containsToken("Upgrade", "upgrade"), true);
  assert.equal(containsToken("keep-alive, Upgrade", "upgrade"), true);
  assert.equal(containsToken("keep-alive,UPGRADE", "Upgrade"), true);
  assert.equal(containsToken("websocket", "WebSocket"), true);
  assert.equal(containsToken("keep-alive", "upgrade"), false);
  assert.equal(containsToken("upgrade-insecure", "upgrade"), false);
  assert.equal(containsToken("Upgrade;x", "upgrade"), false);
  assert.equal(containsToken("", "upgrade"), false);
  assert.equal(containsToken(null, "upgrade"), false);
  // No Unicode case folding: U+212A KELVIN SIGN lowercases to "k" in Unicode.
  assert.equal(containsToken("\u212Aeep-alive", "keep-alive"), false);
});

Deno.test("isToken: non-empty tchar strings", () => {
  assert.equal(isToken("chat"), true);
  assert.equal(isToken("v2.chat_x+y|z~"), true);
  assert.equal(isToken(""), false);
  for (const bad of ["a b", "a,b", "a;b", "a=b", '"a"', "a/b", "a:b", "\u00e9", "a\tb", "(a)"]) {
    assert.equal(isToken(bad), false, bad);
  }
});

Deno.test("parseSubprotocols: lists of tokens, in order, case kept", () => {
  assert.deepEqual(parseSubprotocols(null), []);
  assert.deepEqual(parseSubprotocols("chat"), ["chat"]);
  assert.deepEqual(parseSubprotocols("chat, SuperChat"), ["chat", "SuperChat"]);
  assert.deepEqual(parseSubprotocols("chat,,superchat,"), ["chat", "superchat"]);
  assert.deepEqual(parseSubprotocols("a, a"), ["a", "a"]);
});

Deno.test("parseSubprotocols: anything but tokens is a SyntaxError", () => {
  for (const bad of ["", " , ", "chat room", "chat;v=1", '"chat"', "chat, sup/er", "\u00e9"]) {
    assert.throws(
      () => parseSubprotocols(bad),
      (error: unknown) => {
        assert.ok(error instanceof SyntaxError);
        assert.match(error.message, /^Invalid Sec-WebSocket-Protocol header: /);
        return true;
      },
      JSON.stringify(bad),
    );
  }
});
