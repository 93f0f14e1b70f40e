/**
 * `_openClientTransport`: the request a client's connector gets, the
 * abort handle, redirects when asked, and the error without a connector.
 * The connectors here record their calls; the sockets are tested with the
 * real connectors (transports/*_connector_test.ts).
 */
import assert from "node:assert/strict";
import { HandshakeStatusError } from "../errors/handshake_status_error.ts";
import { _openClientTransport } from "./_client_transport.ts";
import type { Connector, ConnectRequest, UpgradedTransport } from "./upgraded.ts";

const transport: UpgradedTransport = {
  duplex: { readable: new ReadableStream(), writable: new WritableStream() },
  leftover: new Uint8Array(0),
  protocol: "",
  extensions: "",
};

function recording(answer: (url: URL, call: number) => Promise<UpgradedTransport>) {
  const calls: { url: URL; request: ConnectRequest }[] = [];
  const connector: Connector = (url, request) => {
    calls.push({ url, request });
    return answer(url, calls.length);
  };
  return { connector, calls };
}

Deno.test("_openClientTransport: the connector gets protocols, headers, CA certificates and the offer", async () => {
  const { connector, calls } = recording(() => Promise.resolve(transport));
  const url = new URL("ws://example.test/chat");
  const opened = _openClientTransport("WebSocket", url, ["a", "b"], {
    connector,
    headers: { authorization: "Bearer t" },
    caCerts: ["PEM"],
  });
  assert.equal(await opened.transport, transport);
  assert.equal(calls.length, 1);
  const { url: called, request } = calls[0]!;
  assert.equal(called, url);
  assert.deepEqual(request.protocols, ["a", "b"]);
  assert.deepEqual(request.headers, { authorization: "Bearer t" });
  assert.deepEqual(request.caCerts, ["PEM"]);
  assert.equal(request.extensions?.[0]?.name, "permessage-deflate", "offered by default");
  const off = recording(() => Promise.resolve(transport));
  await _openClientTransport("WebSocket", url, [], {
    connector: off.connector,
    perMessageDeflate: false,
  }).transport;
  assert.equal(off.calls[0]!.request.extensions, undefined);
});

Deno.test("_openClientTransport: abort() and the caller's signal both abort the connector's signal", () => {
  const { connector, calls } = recording(() => new Promise(() => {}));
  const url = new URL("ws://example.test/");
  const mine = _openClientTransport("WebSocketStream", url, [], { connector });
  const signal = calls[0]!.request.signal!;
  assert.equal(signal.aborted, false);
  mine.abort(new Error("closed before open"));
  assert.equal(signal.aborted, true);
  assert.match((signal.reason as Error).message, /closed before open/);

  const caller = new AbortController();
  _openClientTransport("WebSocketStream", url, [], { connector, signal: caller.signal });
  const combined = calls[1]!.request.signal!;
  caller.abort(new Error("user gave up"));
  assert.equal(combined.aborted, true);
  assert.match((combined.reason as Error).message, /user gave up/);
});

Deno.test("_openClientTransport: redirects are followed only with followRedirects, up to maxRedirects", async () => {
  const redirect = (url: URL) =>
    Promise.reject(
      new HandshakeStatusError(302, new Headers({ location: `/next${url.pathname}` }), ""),
    );
  const url = new URL("ws://example.test/");
  const plain = recording(redirect);
  await assert.rejects(
    _openClientTransport("WebSocket", url, [], { connector: plain.connector }).transport,
    HandshakeStatusError,
  );
  assert.equal(plain.calls.length, 1);

  const following = recording((url, call) => call < 3 ? redirect(url) : Promise.resolve(transport));
  const followed = await _openClientTransport("WebSocket", url, [], {
    connector: following.connector,
    followRedirects: true,
  }).transport;
  assert.equal(followed.url?.href, "ws://example.test/next/next/");
  assert.equal(following.calls.length, 3);

  const bounded = recording(redirect);
  await assert.rejects(
    _openClientTransport("WebSocket", url, [], {
      connector: bounded.connector,
      followRedirects: true,
      maxRedirects: 2,
    }).transport,
    /more than maxRedirects = 2/,
  );
  assert.equal(bounded.calls.length, 3);
  const byDefault = recording(redirect);
  await assert.rejects(
    _openClientTransport("WebSocket", url, [], {
      connector: byDefault.connector,
      followRedirects: true,
    }).transport,
    /more than maxRedirects = 10/,
  );
});

Deno.test("_openClientTransport: without a connector, a TypeError that says what to import on this runtime", () => {
  // Nothing in this test file registers a default connector.
  const open = () => _openClientTransport("WebSocket", new URL("ws://x/"), [], {});
  assert.throws(open, (error: unknown) => {
    assert.ok(error instanceof TypeError);
    assert.equal(
      error.message,
      "Cannot open a WebSocket: no connector (import mod.ts, or pass the connector option)",
    );
    return true;
  });
  // As Node (no Deno global, process.versions.node) and Workers see it.
  const deno = Object.getOwnPropertyDescriptor(globalThis, "Deno")!;
  const navigator = Object.getOwnPropertyDescriptor(globalThis, "navigator")!;
  try {
    Object.defineProperty(globalThis, "Deno", { value: undefined, configurable: true });
    assert.throws(open, /on Node and Bun import "@edgews\/websocket" or node\.ts/);
    Object.defineProperty(globalThis, "navigator", {
      value: { userAgent: "Cloudflare-Workers" },
      configurable: true,
    });
    assert.throws(open, /cloudflareConnector\(connect\), connect from cloudflare:sockets/);
  } finally {
    Object.defineProperty(globalThis, "Deno", deno);
    Object.defineProperty(globalThis, "navigator", navigator);
  }
});
