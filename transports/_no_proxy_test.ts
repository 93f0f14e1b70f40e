import assert from "node:assert/strict";
import { _noProxyMatches } from "./_no_proxy.ts";

const matches = (url: string, list: string) => _noProxyMatches(new URL(url), list);

Deno.test("NO_PROXY: host names match themselves and their subdomains, not lookalikes", () => {
  assert.equal(matches("wss://example.com/", "example.com"), true);
  assert.equal(matches("wss://api.example.com/", "example.com"), true);
  assert.equal(matches("wss://badexample.com/", "example.com"), false);
  assert.equal(matches("wss://api.example.com/", ".example.com"), true);
  assert.equal(matches("wss://example.com/", ".example.com"), true);
  assert.equal(matches("wss://api.example.com/", "*.example.com"), true);
  assert.equal(matches("wss://EXAMPLE.com/", " Example.COM "), true);
});

Deno.test("NO_PROXY: lists, ports, IP addresses and the wildcard", () => {
  assert.equal(matches("ws://10.0.0.1:8080/", "localhost, 10.0.0.1"), true);
  assert.equal(matches("ws://10.0.0.1:8080/", "10.0.0.1:8080"), true);
  assert.equal(matches("ws://10.0.0.1:8081/", "10.0.0.1:8080"), false);
  assert.equal(matches("wss://example.com/", "example.com:443"), true, "the default port counts");
  assert.equal(matches("ws://[::1]:9000/", "::1"), true);
  assert.equal(matches("ws://[::1]:9000/", "[::1]:9000"), true);
  assert.equal(matches("ws://[::1]:9000/", "[::1]:9001"), false);
  assert.equal(matches("ws://anything.example/", "*"), true);
  assert.equal(matches("ws://anything.example/", ""), false);
  assert.equal(matches("ws://anything.example/", " , ,"), false);
});
