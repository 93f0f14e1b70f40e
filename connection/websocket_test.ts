/** The WHATWG WebSocket surface, over in-memory pipes (no network needed for these rules). */
import assert from "node:assert/strict";
import { _serverSocket } from "./_server_socket.ts";
import type { Connector, UpgradedTransport } from "./upgraded.ts";
import { WebSocket } from "./websocket.ts";
import { WebSocketStream } from "./websocket_stream.ts";
import { WebSocketConnection } from "./websocket_connection.ts";
import { FrameCollector } from "../frames/frame_collector.ts";
import { FrameDecoder } from "../frames/frame_decoder.ts";
import type { Frame } from "../frames/frame.ts";
import { encodeFrame } from "../frames/frame_encoder.ts";
import { Opcode } from "../frames/opcode.ts";

/** A connector whose "server" is a WebSocketConnection on the other end of two pipes. */
function pipeConnector(
  onServerMessage: (server: WebSocketConnection, data: string | Uint8Array) => void,
): {
  connector: Connector;
  servers: WebSocketConnection[];
} {
  const servers: WebSocketConnection[] = [];
  const connector: Connector = () => {
    const up = new TransformStream<Uint8Array, Uint8Array>();
    const down = new TransformStream<Uint8Array, Uint8Array>();
    const server: WebSocketConnection = new WebSocketConnection(
      { readable: up.readable, writable: down.writable },
      { onMessage: (data) => onServerMessage(server, data), onClose() {} },
      { role: "server" },
    );
    servers.push(server);
    server.start();
    const transport: UpgradedTransport = {
      duplex: { readable: down.readable, writable: up.writable },
      leftover: new Uint8Array(0),
      protocol: "p1",
      extensions: "",
    };
    return Promise.resolve(transport);
  };
  return { connector, servers };
}

function once<E extends Event>(target: EventTarget, type: string): Promise<E> {
  return new Promise((resolve) =>
    target.addEventListener(type, (e) => resolve(e as E), { once: true })
  );
}

Deno.test("WebSocket: readyState, protocol, events and echo over a connector", async () => {
  const { connector } = pipeConnector((server, data) => server.send(data));
  const ws = new WebSocket("ws://example.test/", ["p1"], { connector });
  assert.equal(ws.readyState, WebSocket.CONNECTING);
  assert.throws(
    () => ws.send("too early"),
    (e: unknown) => (e as DOMException).name === "InvalidStateError",
  );
  await once(ws, "open");
  assert.equal(ws.readyState, WebSocket.OPEN);
  assert.equal(ws.protocol, "p1");
  assert.equal(ws.url, "ws://example.test/");

  ws.send("text");
  assert.equal((await once<MessageEvent>(ws, "message")).data, "text");
  // Default binaryType is "blob".
  ws.send(new Uint8Array([1, 2, 3]));
  const blob = (await once<MessageEvent>(ws, "message")).data;
  assert.ok(blob instanceof Blob);
  assert.deepEqual(new Uint8Array(await blob.arrayBuffer()), new Uint8Array([1, 2, 3]));
  ws.binaryType = "arraybuffer";
  ws.send(new Blob([new Uint8Array([4, 5])]));
  ws.send("after the blob");
  const buffer = (await once<MessageEvent>(ws, "message")).data;
  assert.ok(buffer instanceof ArrayBuffer);
  assert.deepEqual(new Uint8Array(buffer), new Uint8Array([4, 5]));
  assert.equal((await once<MessageEvent>(ws, "message")).data, "after the blob", "order kept");

  let onclose = 0;
  ws.onclose = () => onclose++;
  ws.close(1000, "bye");
  assert.equal(ws.readyState, WebSocket.CLOSING);
  const close = await once<CloseEvent>(ws, "close");
  assert.equal(close.code, 1000);
  assert.equal(close.wasClean, true);
  assert.equal(ws.readyState, WebSocket.CLOSED);
  assert.equal(onclose, 1);
  // After close: send is discarded but counted in bufferedAmount.
  ws.send("lost");
  assert.equal(ws.bufferedAmount, 4);
});

Deno.test("WebSocket: close() validates code and reason like browsers", () => {
  const { connector } = pipeConnector(() => {});
  const ws = new WebSocket("ws://example.test/", [], { connector });
  const name = (fn: () => void) => {
    try {
      fn();
    } catch (error) {
      return (error as DOMException).name;
    }
    return "none";
  };
  assert.equal(name(() => ws.close(1001)), "InvalidAccessError");
  assert.equal(name(() => ws.close(2999)), "InvalidAccessError");
  assert.equal(name(() => ws.close(5000)), "InvalidAccessError");
  assert.equal(name(() => ws.close(1000, "x".repeat(124))), "SyntaxError");
  ws.close(4000);
  assert.equal(ws.readyState, WebSocket.CLOSING);
});

Deno.test("WebSocket: constructor rejects bad URLs and duplicate protocols", () => {
  const { connector } = pipeConnector(() => {});
  for (const url of ["ftp://x/", "ws://x/#frag", "not a url"]) {
    assert.throws(
      () => new WebSocket(url, [], { connector }),
      (e: unknown) => (e as DOMException).name === "SyntaxError",
      url,
    );
  }
  assert.throws(
    () => new WebSocket("ws://x/", ["a", "a"], { connector }),
    (e: unknown) => (e as DOMException).name === "SyntaxError",
  );
  // http(s) URLs map to ws(s), as in browsers.
  const ws = new WebSocket("https://example.test/x", [], { connector });
  assert.equal(ws.url, "wss://example.test/x");
  ws.close();
});

Deno.test("WebSocket: a server-side socket (pending transport) fails with 1006 when the upgrade never happens", async () => {
  const ws = _serverSocket(WebSocket, new URL("ws://example.test/"), {}, {
    transport: Promise.reject(new Error("handler returned 403")),
  });
  assert.equal(ws.binaryType, "arraybuffer");
  let errored = false;
  ws.onerror = () => errored = true;
  const close = await once<CloseEvent>(ws, "close");
  assert.equal(close.code, 1006);
  assert.equal(errored, true);
});

Deno.test("WebSocket: a reply to a message read with the peer's close frame goes out before the close echo", async () => {
  // The server's message and close frame arrive in one chunk: the message
  // event is dispatched, and its reply sent, before the close is answered.
  const fromServer = new Uint8Array([
    0x81,
    0x02,
    0x68,
    0x69, // text "hi"
    0x88,
    0x02,
    0x03,
    0xe8, // close 1000
  ]);
  const toServer = new TransformStream<Uint8Array, Uint8Array>();
  const frames: Frame[] = [];
  const decoder = new FrameDecoder(new FrameCollector((frame) => frames.push(frame)), {
    role: "server",
  });
  const drained = toServer.readable.pipeTo(
    new WritableStream({ write: (chunk) => assert.equal(decoder.write(chunk), undefined) }),
  );
  const connector: Connector = () =>
    Promise.resolve({
      duplex: { readable: ReadableStream.from([fromServer]), writable: toServer.writable },
      leftover: new Uint8Array(0),
      protocol: "",
      extensions: "",
    });
  const ws = new WebSocket("ws://example.test/", [], { connector });
  const errors: unknown[] = [];
  ws.onmessage = () => {
    try {
      ws.send("reply");
    } catch (error) {
      errors.push(error);
    }
  };
  const close = await once<CloseEvent>(ws, "close");
  await drained;
  assert.deepEqual(errors, []);
  assert.equal(close.code, 1000);
  assert.equal(close.wasClean, true);
  assert.equal(ws.bufferedAmount, 0);
  assert.deepEqual(frames.map((frame) => frame.opcode), [Opcode.Text, Opcode.Close]);
  assert.equal(new TextDecoder().decode(frames[0]!.payload), "reply");
});

Deno.test("WebSocket: on<type> handlers keep their place among listeners, as HTML's event handlers do", async () => {
  const { connector } = pipeConnector((server, data) => server.send(data));
  const ws = new WebSocket("ws://example.test/", [], { connector });
  const log: string[] = [];
  const a = () => log.push("a");
  const b = () => log.push("b");
  const c = function (this: WebSocket) {
    log.push(this === ws ? "c" : "c with the wrong this");
  };
  const d = () => log.push("d");
  ws.onmessage = a;
  ws.addEventListener("message", b);
  // Another function takes the handler's place, before b.
  ws.onmessage = c;
  // The handler's listener is not the function: this removes nothing, and
  // adding the same function again runs it twice.
  ws.removeEventListener("message", c);
  ws.addEventListener("message", c);
  await once(ws, "open");
  const one = once(ws, "message");
  ws.send("1");
  await one;
  assert.deepEqual(log.splice(0), ["c", "b", "c"]);
  // Back to null and set again: HTML removes the handler's listener on null
  // and adds a new one, last (as browsers do; Deno's own WebSocket keeps the
  // old place).
  ws.onmessage = null;
  ws.onmessage = d;
  const two = once(ws, "message");
  ws.send("2");
  await two;
  assert.deepEqual(log.splice(0), ["b", "c", "d"]);
  const closed = once(ws, "close");
  ws.close();
  await closed;
});

Deno.test("WebSocket: messages that come in with the handshake response wait for a task after open", async () => {
  // The server's first frames arrive in the same read as its 101 response.
  const leftover = new Uint8Array([
    ...encodeFrame({ opcode: Opcode.Text, payload: new TextEncoder().encode("one") }),
    ...encodeFrame({ opcode: Opcode.Text, payload: new TextEncoder().encode("two") }),
  ]);
  const down = new TransformStream<Uint8Array, Uint8Array>();
  const up = new TransformStream<Uint8Array, Uint8Array>();
  const connector: Connector = () =>
    Promise.resolve({
      duplex: { readable: down.readable, writable: up.writable },
      leftover,
      protocol: "",
      extensions: "",
    });
  const ws = new WebSocket("ws://example.test/", [], { connector });
  // Awaiting open, then listening: a microtask after the open event.
  await once(ws, "open");
  const received: string[] = [];
  const both = new Promise<void>((resolve) => {
    ws.onmessage = (event) => {
      received.push(event.data as string);
      if (received.length === 2) resolve();
    };
  });
  const timer = setTimeout(() => down.writable.close(), 5000);
  await both;
  clearTimeout(timer);
  assert.deepEqual(received, ["one", "two"]);
  ws.close();
  await down.writable.close();
  await up.readable.cancel();
});

Deno.test("WebSocket: what is sent behind a Blob goes out before a close(), as sent, and is counted while it waits", async () => {
  const received: (string | number[])[] = [];
  const { connector, servers } = pipeConnector((_server, data) => {
    received.push(typeof data === "string" ? data : [...data]);
  });
  const ws = new WebSocket("ws://example.test/", [], { connector });
  await once(ws, "open");
  const view = new Uint8Array([1, 2, 3]);
  ws.send(new Blob([new Uint8Array([9, 9, 9, 9, 9])]));
  ws.send("s");
  ws.send(view);
  // The bytes were taken when send was called.
  view.fill(7);
  // A value that cannot be sent throws to the caller, and takes nothing
  // queued with it.
  assert.throws(() => ws.send(Symbol("nope") as unknown as string), TypeError);
  assert.ok(ws.bufferedAmount >= 5 + 1 + 3, `bufferedAmount ${ws.bufferedAmount}`);
  ws.close(1000, "bye");
  assert.equal(ws.readyState, WebSocket.CLOSING);
  const close = await once<CloseEvent>(ws, "close");
  assert.deepEqual(received, [[9, 9, 9, 9, 9], "s", [1, 2, 3]]);
  assert.equal(close.code, 1000);
  assert.equal(close.wasClean, true);
  assert.equal((await servers[0]!.closed).closeCode, 1000);
});

Deno.test("WebSocket: close() converts its code like WebIDL's [Clamp] unsigned short", async () => {
  const codes: number[] = [];
  for (const [given, sent] of [[3000.5, 3000], [3001.5, 3002], ["3003", 3003], [4999.4, 4999]]) {
    const { connector, servers } = pipeConnector(() => {});
    const ws = new WebSocket("ws://example.test/", [], { connector });
    await once(ws, "open");
    ws.close(given as number);
    const close = await once<CloseEvent>(ws, "close");
    assert.equal(close.code, sent, `close(${JSON.stringify(given)})`);
    codes.push((await servers[0]!.closed).closeCode);
  }
  assert.deepEqual(codes, [3000, 3002, 3003, 4999]);
  // NaN and null become 0, which is not a code a client may send.
  const ws = new WebSocket("ws://example.test/", [], {
    connector: pipeConnector(() => {}).connector,
  });
  await once(ws, "open");
  for (const bad of [NaN, null, 65536.4]) {
    assert.throws(
      () => ws.close(bad as number),
      (e: unknown) => (e as DOMException).name === "InvalidAccessError",
    );
  }
  ws.close();
  await once(ws, "close");
});

Deno.test("WebSocket: subprotocols are checked and converted when the socket is made, as WebIDL and the WHATWG constructor do", async () => {
  const offered: string[][] = [];
  const connector: Connector = (_url, request) => {
    offered.push(request.protocols);
    return Promise.reject(new Error("not connecting"));
  };
  for (const bad of ["", [""], ["a b"], ["a,b"], ["é"], ["a\0"], ["(x)"], ["a", "A"], {}]) {
    assert.throws(
      () => new WebSocket("ws://example.test/", bad as string[], { connector }),
      (e: unknown) => e instanceof DOMException && e.name === "SyntaxError",
      JSON.stringify(bad),
    );
  }
  assert.equal(offered.length, 0, "no connection attempt for an invalid list");
  const sockets = [
    new WebSocket("ws://example.test/", [1, 2] as unknown as string[], { connector }),
    new WebSocket("ws://example.test/", 5 as unknown as string, { connector }),
    new WebSocket("ws://example.test/", new Set(["s1", "s2"]) as unknown as string[], {
      connector,
    }),
  ];
  await Promise.all(sockets.map((ws) => once(ws, "close")));
  assert.deepEqual(offered, [["1", "2"], ["5"], ["s1", "s2"]]);
  assert.throws(() => new (WebSocket as unknown as new () => WebSocket)(), TypeError);
  // undefined is a URL, as WebIDL turns it into a string: "undefined" is not a valid one.
  assert.throws(
    () => new WebSocket(undefined as unknown as string),
    (e: unknown) => e instanceof DOMException && e.name === "SyntaxError",
  );
});

Deno.test("WebSocket: the readyState constants are read-only on the class and its prototype", () => {
  for (const target of [WebSocket, WebSocket.prototype]) {
    for (const [name, value] of [["CONNECTING", 0], ["OPEN", 1], ["CLOSING", 2], ["CLOSED", 3]]) {
      assert.deepEqual(Object.getOwnPropertyDescriptor(target, name as string), {
        value,
        writable: false,
        enumerable: true,
        configurable: false,
      });
    }
  }
  // Module code is strict: assigning throws, and the socket's own checks
  // (which read WebSocket.CLOSING) cannot be changed from outside.
  assert.throws(() => {
    (WebSocket as unknown as { OPEN: number }).OPEN = 42;
  }, TypeError);
  assert.equal(WebSocket.OPEN, 1);
  assert.equal(Object.prototype.toString.call(WebSocket.prototype), "[object WebSocket]");
});

Deno.test("WebSocket and WebSocketStream: a relative URL resolves against the location, and bad subprotocols throw at once", () => {
  const connector: Connector = () => Promise.reject(new Error("not connecting"));
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, "location");
  Object.defineProperty(globalThis, "location", {
    value: { href: "http://127.0.0.1:1/base/" },
    configurable: true,
  });
  try {
    const ws = new WebSocket("sub/path?q", [], { connector });
    assert.equal(ws.url, "ws://127.0.0.1:1/base/sub/path?q");
    ws.onerror = () => {};
  } finally {
    if (descriptor === undefined) delete (globalThis as { location?: unknown }).location;
    else Object.defineProperty(globalThis, "location", descriptor);
  }
  assert.throws(
    () => new WebSocketStream("ws://example.test/", { protocols: ["a b"], connector }),
    (e: unknown) => e instanceof DOMException && e.name === "SyntaxError",
  );
});

Deno.test("WebSocket: send() converts its argument as WebIDL does, and binaryType takes strings", async () => {
  const received: (string | number[])[] = [];
  const { connector } = pipeConnector((server, data) => {
    received.push(typeof data === "string" ? data : [...data]);
    server.send(data);
  });
  const ws = new WebSocket("ws://example.test/", [], { connector });
  assert.throws(() => (ws.send as () => void)(), TypeError, "no argument, even while connecting");
  await once(ws, "open");
  const detached = new ArrayBuffer(4);
  const detachedView = new DataView(detached);
  structuredClone(detached, { transfer: [detached] });
  for (
    const value of [
      42,
      { toString: () => "object" },
      null,
      [1, 2],
      detached,
      detachedView,
    ]
  ) {
    ws.send(value as unknown as string);
  }
  assert.throws(() => ws.send(Symbol("s") as unknown as string), TypeError);
  ws.binaryType = new String("arraybuffer") as unknown as BinaryType;
  assert.equal(ws.binaryType, "arraybuffer");
  let count = 0;
  const echoed = new Promise<void>((resolve) => {
    ws.onmessage = () => {
      if (++count === 6) resolve();
    };
  });
  await echoed;
  assert.deepEqual(received, ["42", "object", "null", "1,2", [], []]);
  ws.close();
  await once(ws, "close");
});

Deno.test("WebSocket: a connection that ends before it starts reading leaves no listener on its signal", async () => {
  let listeners = 0;
  const signal = new AbortController().signal;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = (...args: Parameters<typeof add>) => {
    if (args[0] === "abort") listeners++;
    add(...args);
  };
  signal.removeEventListener = (...args: Parameters<typeof remove>) => {
    if (args[0] === "abort") listeners--;
    remove(...args);
  };
  for (let i = 0; i < 3; i++) {
    const down = new TransformStream<Uint8Array, Uint8Array>();
    const up = new TransformStream<Uint8Array, Uint8Array>();
    // The peer is gone: the first write fails, before reading has started.
    await up.readable.cancel("reset");
    const connector: Connector = () =>
      Promise.resolve({
        duplex: { readable: down.readable, writable: up.writable },
        leftover: new Uint8Array(0),
        protocol: "",
        extensions: "",
      });
    const ws = new WebSocket("ws://example.test/", [], { connector, signal });
    ws.onopen = () => ws.send("hello");
    ws.onerror = () => {};
    await once(ws, "close");
    // Past the timer that starts reading.
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(listeners, 0);
});

Deno.test("WebSocketStream: close() converts its code like WebIDL's [Clamp] unsigned short", async () => {
  const { connector, servers } = pipeConnector(() => {});
  const wss = new WebSocketStream("ws://example.test/", { connector });
  await wss.opened;
  wss.close({ closeCode: 3000.5, reason: "half" });
  assert.equal((await wss.closed).closeCode, 3000);
  const received = await servers[0]!.closed;
  assert.deepEqual([received.closeCode, received.reason], [3000, "half"]);
});
