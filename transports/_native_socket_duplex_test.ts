/**
 * `_nativeSocketDuplex` over a real runtime socket: the server end of
 * `Deno.upgradeWebSocket`, with Deno's own WebSocket client as the peer
 * on loopback. The duplex turns the runtime's messages into frames for the
 * engine, and the engine's frames back into the runtime's messages.
 */
import assert from "node:assert/strict";
import { FrameCollector } from "../frames/frame_collector.ts";
import { FrameDecoder } from "../frames/frame_decoder.ts";
import type { Frame } from "../frames/frame.ts";
import { encodeFrame } from "../frames/frame_encoder.ts";
import { Opcode } from "../frames/opcode.ts";
import { parseClosePayload } from "../messages/close_payload.ts";
import { nextEvent } from "../tests/_servers.ts";
import { within } from "../tests/_pubsub.ts";
import { _nativeSocketDuplex, _whenOpen } from "./_native_socket_duplex.ts";

/** A native server socket wrapped as a duplex, and Deno's client connected to it. */
async function nativePair() {
  let accepted!: (socket: WebSocket) => void;
  const serverSocket = new Promise<WebSocket>((resolve) => accepted = resolve);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const { response, socket } = Deno.upgradeWebSocket(request);
    accepted(socket);
    return response;
  });
  const client = new WebSocket(`ws://127.0.0.1:${server.addr.port}/`);
  client.binaryType = "arraybuffer";
  const socket = await serverSocket;
  await within(_whenOpen(socket), 10_000, "open");
  await nextEvent(client, "open");
  const duplex = _nativeSocketDuplex(socket);
  const frames: Frame[] = [];
  let wake: (() => void) | undefined;
  const decoder = new FrameDecoder(
    new FrameCollector((frame) => {
      frames.push(frame);
      wake?.();
    }),
    { role: "server" },
  );
  const pump = (async () => {
    for await (const chunk of duplex.readable) {
      const error = decoder.write(chunk);
      if (error !== undefined) throw error;
    }
  })();
  const frame = async (index: number) => {
    while (frames.length <= index) {
      await within(new Promise<void>((resolve) => wake = resolve), 10_000, `frame ${index}`);
    }
    return frames[index]!;
  };
  const writer = duplex.writable.getWriter();
  return {
    socket,
    client,
    duplex,
    writer,
    frame,
    pump,
    stop: () => server.shutdown(),
  };
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test("_nativeSocketDuplex: the peer's messages come out as masked frames, in order", async () => {
  const pair = await nativePair();
  try {
    assert.equal(pair.socket.binaryType, "arraybuffer", "set by the duplex");
    pair.client.send("κόσμε");
    pair.client.send(new Uint8Array([1, 2, 3]));
    const first = await pair.frame(0);
    assert.equal(first.opcode, Opcode.Text);
    assert.equal(text(first.payload), "κόσμε");
    assert.notEqual(first.mask, undefined, "as a client's frames are");
    const second = await pair.frame(1);
    assert.equal(second.opcode, Opcode.Binary);
    assert.deepEqual(second.payload, new Uint8Array([1, 2, 3]));
    // The peer closes: a close frame with its code and reason, then the end.
    pair.client.close(4001, "done");
    const close = await pair.frame(2);
    assert.equal(close.opcode, Opcode.Close);
    assert.deepEqual(parseClosePayload(close.payload), { code: 4001, reason: "done" });
    await within(pair.pump, 10_000, "the readable ends");
  } finally {
    await pair.stop();
  }
});

Deno.test("_nativeSocketDuplex: the engine's frames reach the peer as messages; its close frame closes", async () => {
  const pair = await nativePair();
  try {
    const messages: unknown[] = [];
    pair.client.onmessage = (event) => messages.push(event.data);
    const hello = new TextEncoder().encode("hello");
    // A fragmented message is delivered whole, as the runtime's API has no fragments.
    await pair.writer.write(encodeFrame({ fin: false, opcode: Opcode.Text, payload: hello }));
    await pair.writer.write(
      encodeFrame({
        fin: true,
        opcode: Opcode.Continuation,
        payload: new TextEncoder().encode("!"),
      }),
    );
    await pair.writer.write(
      encodeFrame({ fin: true, opcode: Opcode.Binary, payload: new Uint8Array([9, 8]) }),
    );
    // Pings have no WHATWG API: dropped, not an error.
    await pair.writer.write(encodeFrame({ fin: true, opcode: Opcode.Ping, payload: hello }));
    const closed = nextEvent<CloseEvent>(pair.client, "close");
    await pair.writer.write(
      encodeFrame({
        fin: true,
        opcode: Opcode.Close,
        payload: new Uint8Array([0x0f, 0xa2, ...new TextEncoder().encode("bye")]), // 4002
      }),
    );
    const event = await closed;
    assert.equal(event.code, 4002);
    assert.equal(event.reason, "bye");
    assert.equal(messages.length, 2);
    assert.equal(messages[0], "hello!");
    assert.deepEqual(new Uint8Array(messages[1] as ArrayBuffer), new Uint8Array([9, 8]));
  } finally {
    await pair.stop();
  }
});

Deno.test("_nativeSocketDuplex: a frame the engine should never send fails the write", async () => {
  const pair = await nativePair();
  try {
    // A masked frame from the server side is a protocol error for the decoder.
    await assert.rejects(
      pair.writer.write(
        encodeFrame({
          fin: true,
          opcode: Opcode.Text,
          payload: new Uint8Array(1),
          mask: new Uint8Array(4),
        }),
      ),
    );
    pair.duplex.close!();
    const event = await nextEvent<CloseEvent>(pair.client, "close");
    assert.equal(event.code, 1005, "close() closes the runtime's socket");
  } finally {
    await pair.stop();
  }
});

Deno.test("_whenOpen: resolves for an open socket, rejects for one that closed first", async () => {
  const open = new EventTarget() as EventTarget & { readyState: number };
  Object.assign(open, { readyState: 1 });
  await _whenOpen(open as never);
  const closedAlready = Object.assign(new EventTarget(), { readyState: 3 });
  await assert.rejects(_whenOpen(closedAlready as never), /closed before it opened/);
  const closing = Object.assign(new EventTarget(), { readyState: 0 });
  const waiting = _whenOpen(closing as never);
  closing.dispatchEvent(new Event("close"));
  await assert.rejects(waiting, /closed before it opened/);
});
