/**
 * permessage-deflate inside the sans-I/O protocol: round trips, fragmented
 * compressed messages, and every violation with its close code.
 */
import assert from "node:assert/strict";
import { MessageDeflater, MessageInflater } from "../compression/deflate_codec.ts";
import { PerMessageDeflate } from "../compression/per_message_deflate.ts";
import { FrameCollector } from "../frames/frame_collector.ts";
import { FrameDecoder } from "../frames/frame_decoder.ts";
import type { Frame, FrameInit } from "../frames/frame.ts";
import { encodeFrame } from "../frames/frame_encoder.ts";
import { Opcode } from "../frames/opcode.ts";
import type { Message } from "../messages/message.ts";
import { WebSocketProtocol } from "./websocket_protocol.ts";

const KEY = new Uint8Array([9, 8, 7, 6]);
const utf8 = (text: string) => new TextEncoder().encode(text);

/** A server protocol with permessage-deflate as the handshake `agreed`. */
function server(agreed = "permessage-deflate", maxMessageSize?: number): WebSocketProtocol {
  return new WebSocketProtocol({
    role: "server",
    maxMessageSize,
    compression: PerMessageDeflate.fromHandshake(agreed, "server", { threshold: 0 }),
  });
}

/** A masked client frame. */
function fromClient(frame: FrameInit): Uint8Array {
  return encodeFrame({ ...frame, mask: KEY });
}

/** Compress like a client would, with its own context. */
const clientDeflater = () => new MessageDeflater();

/** What a protocol sent, as its peer decodes it (RSV bits kept). */
function sentFrames(protocol: WebSocketProtocol): Frame[] {
  const frames: Frame[] = [];
  const decoder = new FrameDecoder(new FrameCollector((frame) => frames.push(frame)), {
    role: protocol.role === "client" ? "server" : "client",
    allowedReservedBits: 0x4,
  });
  for (const chunk of protocol.dataToSend()) {
    const error = decoder.write(chunk.slice());
    assert.equal(error, undefined, error?.message);
  }
  return frames;
}

/** Feed `bytes` and return the close code the server failed with (or undefined). */
function failure(protocol: WebSocketProtocol, ...chunks: Uint8Array[]): number | undefined {
  for (const chunk of chunks) protocol.receiveData(chunk);
  return protocol.error?.closeCode;
}

for (
  const agreed of [
    "permessage-deflate",
    "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
  ]
) {
  for (const fragmentSize of [Infinity, 7]) {
    Deno.test(`protocol round trip over "${agreed}", fragments of ${fragmentSize}`, () => {
      const options = { threshold: 0 };
      const client = new WebSocketProtocol({
        role: "client",
        fragmentSize,
        compression: PerMessageDeflate.fromHandshake(agreed, "client", options),
      });
      const srv = new WebSocketProtocol({
        role: "server",
        fragmentSize,
        compression: PerMessageDeflate.fromHandshake(agreed, "server", options),
      });
      const messages: Message[] = [
        { type: "text", data: "Hello" },
        { type: "text", data: "Hello" },
        { type: "binary", data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) },
        { type: "text", data: "κόσμε ".repeat(300) },
        { type: "binary", data: new Uint8Array(0) },
        { type: "text", data: "" },
      ];
      for (const [from, to] of [[client, srv], [srv, client]] as const) {
        for (const message of messages) {
          if (message.type === "text") from.sendText(message.data);
          else if (message.type === "binary") from.sendBinary(message.data);
        }
        for (const chunk of from.dataToSend()) to.receiveData(chunk);
        assert.equal(to.error, undefined, to.error?.message);
        assert.deepEqual(to.eventsReceived(), messages);
      }
    });
  }
}

Deno.test("RSV1 goes on the first frame of a compressed message only, and fragments follow compression", () => {
  const srv = new WebSocketProtocol({
    role: "server",
    fragmentSize: 4,
    compression: PerMessageDeflate.fromHandshake("permessage-deflate", "server", { threshold: 0 }),
  });
  srv.sendText("Hello");
  const frames = sentFrames(srv);
  // "Hello" compresses to 7 bytes (RFC 7692 §7.2.3.1): two fragments of 4 and 3.
  assert.deepEqual(
    frames.map((f) => [f.opcode, f.fin, f.rsv1, f.payload.length]),
    [[Opcode.Text, false, true, 4], [Opcode.Continuation, true, false, 3]],
  );
  assert.deepEqual(
    [...frames[0]!.payload, ...frames[1]!.payload],
    [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00],
  );
});

Deno.test("below the threshold messages go out uncompressed, and uncompressed input is still accepted", () => {
  const srv = new WebSocketProtocol({
    role: "server",
    compression: PerMessageDeflate.fromHandshake("permessage-deflate", "server", { threshold: 10 }),
  });
  srv.sendText("short");
  srv.sendText("long enough to compress");
  assert.deepEqual(sentFrames(srv).map((f) => f.rsv1), [false, true]);
  srv.receiveData(fromClient({ opcode: Opcode.Text, payload: utf8("plain") }));
  assert.deepEqual(srv.eventsReceived(), [{ type: "text", data: "plain" }]);
});

Deno.test("a fragmented compressed message with a ping between its fragments", () => {
  const srv = server();
  const payload = clientDeflater().deflate(utf8("Hello, fragmented world"));
  const cut = Math.floor(payload.length / 2);
  srv.receiveData(
    fromClient({ opcode: Opcode.Text, rsv1: true, fin: false, payload: payload.subarray(0, cut) }),
  );
  srv.receiveData(fromClient({ opcode: Opcode.Ping, payload: utf8("p") }));
  srv.receiveData(fromClient({ opcode: Opcode.Continuation, payload: payload.subarray(cut) }));
  assert.equal(srv.error, undefined, srv.error?.message);
  assert.deepEqual(srv.eventsReceived(), [
    { type: "ping", data: utf8("p") },
    { type: "text", data: "Hello, fragmented world" },
  ]);
  assert.deepEqual(sentFrames(srv).map((f) => f.opcode), [Opcode.Pong]);
});

Deno.test("context takeover across messages on the receiving side (RFC 7692 §7.2.3.2)", () => {
  const srv = server();
  srv.receiveData(
    fromClient({
      opcode: Opcode.Text,
      rsv1: true,
      payload: new Uint8Array([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]),
    }),
  );
  srv.receiveData(
    fromClient({
      opcode: Opcode.Text,
      rsv1: true,
      payload: new Uint8Array([0xf2, 0x00, 0x11, 0x00, 0x00]),
    }),
  );
  assert.deepEqual(srv.eventsReceived(), [{ type: "text", data: "Hello" }, {
    type: "text",
    data: "Hello",
  }]);
});

Deno.test("RSV1 on a control frame fails with 1002", () => {
  for (const opcode of [Opcode.Ping, Opcode.Pong, Opcode.Close]) {
    assert.equal(
      failure(server(), fromClient({ opcode, rsv1: true, payload: new Uint8Array(0) })),
      1002,
    );
  }
});

Deno.test("RSV1 on a continuation frame fails with 1002", () => {
  for (const firstCompressed of [true, false]) {
    // A compressed message, or a plain one that suddenly claims compression.
    const payload = firstCompressed ? clientDeflater().deflate(utf8("Hello")) : utf8("Hello");
    const srv = server();
    assert.equal(
      failure(
        srv,
        fromClient({
          opcode: Opcode.Text,
          rsv1: firstCompressed,
          fin: false,
          payload: payload.subarray(0, 2),
        }),
        fromClient({ opcode: Opcode.Continuation, rsv1: true, payload: payload.subarray(2) }),
      ),
      1002,
    );
    assert.match(srv.error!.message, /continuation/);
  }
});

Deno.test("RSV1 without a negotiated extension, and RSV2/RSV3 with one, fail with 1002", () => {
  const plain = new WebSocketProtocol({ role: "server" });
  assert.equal(
    failure(plain, fromClient({ opcode: Opcode.Text, rsv1: true, payload: utf8("x") })),
    1002,
  );
  assert.equal(
    failure(server(), fromClient({ opcode: Opcode.Text, rsv2: true, payload: utf8("x") })),
    1002,
  );
  assert.equal(
    failure(server(), fromClient({ opcode: Opcode.Binary, rsv3: true, payload: utf8("x") })),
    1002,
  );
});

Deno.test("corrupt DEFLATE data fails with 1007, and the close frame says so", () => {
  const srv = server();
  assert.equal(
    failure(
      srv,
      fromClient({
        opcode: Opcode.Binary,
        rsv1: true,
        payload: new Uint8Array([0xff, 0xff, 0xff]),
      }),
    ),
    1007,
  );
  const [close] = sentFrames(srv);
  assert.equal(close?.opcode, Opcode.Close);
  assert.equal((close!.payload[0]! << 8) | close!.payload[1]!, 1007);
  assert.match(srv.closeReason, /Invalid compressed message/);
});

Deno.test("a compressed text message that inflates to invalid UTF-8 fails with 1007", () => {
  for (const bad of [[0x68, 0x69, 0xc0, 0x80], [0xed, 0xa0, 0x80], [0x68, 0xe2, 0x82]]) {
    const srv = server();
    const payload = clientDeflater().deflate(new Uint8Array(bad));
    assert.equal(failure(srv, fromClient({ opcode: Opcode.Text, rsv1: true, payload })), 1007);
    assert.match(srv.error!.message, /UTF-8/);
  }
  // The same bytes as a binary message are fine.
  const srv = server();
  const payload = clientDeflater().deflate(new Uint8Array([0xc0, 0x80]));
  srv.receiveData(fromClient({ opcode: Opcode.Binary, rsv1: true, payload }));
  assert.deepEqual(srv.eventsReceived(), [{ type: "binary", data: new Uint8Array([0xc0, 0x80]) }]);
});

Deno.test("the decompressed size counts against maxMessageSize (1009), the compressed one too", () => {
  const payload = clientDeflater().deflate(new Uint8Array(10_000));
  assert.ok(payload.length < 100);
  const srv = server("permessage-deflate", 9_999);
  assert.equal(failure(srv, fromClient({ opcode: Opcode.Binary, rsv1: true, payload })), 1009);
  assert.match(srv.error!.message, /inflates to more than 9999 bytes/);
  const exact = server("permessage-deflate", 10_000);
  exact.receiveData(fromClient({ opcode: Opcode.Binary, rsv1: true, payload }));
  assert.equal(exact.eventsReceived().length, 1);
  // A compressed payload over the limit is refused from its header, as any message.
  assert.equal(
    failure(
      server("permessage-deflate", 50),
      fromClient({ opcode: Opcode.Binary, rsv1: true, payload: new Uint8Array(51) }),
    ),
    1009,
  );
});

Deno.test("without decompress, compressed messages are handed out for an asynchronous codec", () => {
  const srv = new WebSocketProtocol({ role: "server", compression: {} });
  const payload = clientDeflater().deflate(utf8("later"));
  srv.receiveData(fromClient({ opcode: Opcode.Text, rsv1: true, payload }));
  assert.deepEqual(srv.eventsReceived(), [{
    type: "compressed",
    messageType: "text",
    data: payload,
  }]);
  srv.sendCompressed("binary", payload);
  assert.deepEqual(sentFrames(srv).map((f) => [f.opcode, f.rsv1]), [[Opcode.Binary, true]]);
  assert.throws(
    () => new WebSocketProtocol({ role: "server" }).sendCompressed("text", payload),
    TypeError,
  );
});

Deno.test("a decompress that returns undefined hands the message out to finish outside, in order", () => {
  const inflater = new MessageInflater();
  const srv = new WebSocketProtocol({
    role: "server",
    // Inflate short messages here; leave the rest to the caller.
    compression: { decompress: (payload, maxSize) => inflater.inflateSlice(payload, maxSize, 100) },
  });
  const deflater = clientDeflater();
  const short = deflater.deflate(utf8("short"));
  const long = deflater.deflate(utf8("long ".repeat(100)));
  srv.receiveData(fromClient({ opcode: Opcode.Text, rsv1: true, payload: short }));
  srv.receiveData(fromClient({ opcode: Opcode.Binary, rsv1: true, payload: long }));
  srv.receiveData(fromClient({ opcode: Opcode.Ping, payload: utf8("p") }));
  const events = srv.eventsReceived();
  assert.deepEqual(events, [
    { type: "text", data: "short" },
    { type: "compressed", messageType: "binary", data: long },
    { type: "ping", data: utf8("p") },
  ]);
  // The caller goes on with the payload the protocol handed out.
  const started = events[1]!.data as Uint8Array;
  assert.deepEqual(inflater.inflate(started, 1000), utf8("long ".repeat(100)));
  inflater.close();
});
