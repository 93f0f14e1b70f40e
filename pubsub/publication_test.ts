import assert from "node:assert/strict";
import { PerMessageDeflate } from "../compression/per_message_deflate.ts";
import { _frameHook } from "../connection/_frame_hook.ts";
import type { WebSocket } from "../connection/websocket.ts";
import type { UpgradeWebSocketOptions } from "../transports/upgrade_websocket.ts";
import { type RawClient, rawClient } from "../tests/_raw_client.ts";
import { collector, members, startPubSubServer } from "../tests/_pubsub.ts";
import { PubSub, type PubSubOptions } from "./pubsub.ts";

/** Frames that went onto server sockets' queues through the hook, while `run` runs. */
async function recordingFrames<T>(run: (frames: Uint8Array[]) => Promise<T>): Promise<T> {
  const original = _frameHook.write;
  const frames: Uint8Array[] = [];
  _frameHook.write = (socket, frame) => {
    const written = original(socket, frame);
    if (written) frames.push(frame);
    return written;
  };
  try {
    return await run(frames);
  } finally {
    _frameHook.write = original;
  }
}

async function withServer(
  options: { pubsub?: PubSubOptions; upgrade?: UpgradeWebSocketOptions },
  run: (pubsub: PubSub, port: number, sockets: WebSocket[]) => Promise<void>,
  onOpen?: (socket: WebSocket, pubsub: PubSub) => void,
): Promise<void> {
  const pubsub = new PubSub(options.pubsub);
  const sockets: WebSocket[] = [];
  const server = startPubSubServer(
    pubsub,
    options.upgrade,
    sockets,
    onOpen && ((socket) => onOpen(socket, pubsub)),
  );
  try {
    await run(pubsub, server.addr.port, sockets);
  } finally {
    await pubsub.close();
    await server.shutdown();
  }
}

/** Text that compresses well and repeats itself 2,000 bytes back (beyond a 10-bit window). */
function compressible(seed: number): string {
  let block = "";
  let x = seed;
  for (let i = 0; i < 2000; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    block += String.fromCharCode(97 + (x >>> 24) % 26);
  }
  return block + block + block;
}

/** Decompress what `client` received with a client-side codec for its extensions. */
function decoded(client: RawClient): string[] {
  const codec = PerMessageDeflate.fromHandshake(client.extensions, "client", {
    serverMaxWindowBits: /server_max_window_bits=(\d+)/.exec(client.extensions)
      ? Number(/server_max_window_bits=(\d+)/.exec(client.extensions)![1])
      : undefined,
  });
  const out: string[] = [];
  for (const m of client.messages) {
    if (m.type === "text") out.push(m.data);
    else if (m.type === "compressed") {
      out.push(new TextDecoder().decode(codec!.decompress(m.data, 1 << 20)));
    }
  }
  codec?.close();
  return out;
}

Deno.test("publish frames a message once: every member's queue gets the same bytes", async () => {
  await withServer({}, async (pubsub, port) => {
    const clients = Array.from({ length: 20 }, () => collector(`ws://127.0.0.1:${port}/`));
    await members(pubsub, 20);
    await recordingFrames(async (frames) => {
      await pubsub.publish("room", "hello, all");
      await pubsub.publish("room", new Uint8Array([1, 2, 3]));
      assert.equal(frames.length, 40);
      assert.ok(
        frames.slice(0, 20).every((frame) => frame === frames[0]),
        "text framed more than once",
      );
      assert.ok(
        frames.slice(20).every((frame) => frame === frames[20]),
        "binary framed more than once",
      );
      assert.deepEqual([...frames[0]!.subarray(0, 2)], [0x81, 10]); // FIN + text, unmasked, 10 bytes
      assert.deepEqual([...frames[20]!], [0x82, 3, 1, 2, 3]);
    });
    for (const client of clients) {
      await client.reached(2);
      assert.equal(client.got[0], "hello, all");
      assert.deepEqual(new Uint8Array(client.got[1] as ArrayBuffer), new Uint8Array([1, 2, 3]));
      client.socket.close();
    }
  });
});

Deno.test("a published frame goes behind what the socket sent before, a Blob being read included", async () => {
  await withServer({}, async (pubsub, port) => {
    const client = collector(`ws://127.0.0.1:${port}/?topics=none`);
    await client.reached(3);
    assert.deepEqual(
      client.got.map((d) => typeof d === "string" ? d : new TextDecoder().decode(d)),
      ["welcome", "blob", "first"],
    );
    assert.equal(pubsub.size("room"), 1);
    client.socket.close();
  }, (socket, pubsub) => {
    socket.send("welcome");
    // Read asynchronously: "first" must not overtake it.
    socket.send(new Blob(["blob"]));
    void pubsub.subscribe(socket, "room");
    void pubsub.publish("room", "first"); // delivered synchronously by the memory engine
  });
});

Deno.test("permessage-deflate without server context takeover: one compressed frame per window size", async () => {
  const upgrade = { perMessageDeflate: { serverNoContextTakeover: true } };
  await withServer({ upgrade }, async (pubsub, port) => {
    const wide = await Promise.all(
      Array.from(
        { length: 5 },
        () => rawClient(port, "permessage-deflate; client_max_window_bits"),
      ),
    );
    const narrow = await Promise.all(
      Array.from(
        { length: 3 },
        () => rawClient(port, "permessage-deflate; server_max_window_bits=10"),
      ),
    );
    await members(pubsub, 8);
    for (const client of wide) assert.match(client.extensions, /server_no_context_takeover/);
    for (const client of narrow) assert.match(client.extensions, /server_max_window_bits=10/);
    const messages = [compressible(1), compressible(2), "short"];
    await recordingFrames(async (frames) => {
      for (const message of messages) await pubsub.publish("room", message);
      assert.equal(frames.length, 24);
      for (let m = 0; m < 2; m++) {
        const distinct = new Set(frames.slice(m * 8, m * 8 + 8));
        assert.equal(
          distinct.size,
          2,
          `message ${m}: ${distinct.size} different frames for 2 windows`,
        );
        for (const frame of distinct) assert.equal(frame[0], 0xc1); // FIN, RSV1, text
      }
      // Below the threshold: one uncompressed frame for all.
      assert.equal(new Set(frames.slice(16)).size, 1);
      assert.equal(frames[16]![0], 0x81);
    });
    for (const client of [...wide, ...narrow]) {
      await client.drain(3);
      assert.deepEqual(decoded(client), messages);
      client.close();
    }
  });
});

Deno.test("permessage-deflate with context takeover: each member compresses with its own context", async () => {
  const upgrade = { perMessageDeflate: { threshold: 0 } };
  await withServer({ upgrade }, async (pubsub, port) => {
    const keeping = await rawClient(port, "permessage-deflate; client_max_window_bits");
    const resetting = await rawClient(port, "permessage-deflate; server_no_context_takeover");
    const plain = await rawClient(port);
    await members(pubsub, 3);
    assert.doesNotMatch(keeping.extensions, /server_no_context_takeover/);
    const message = compressible(3);
    await recordingFrames(async (frames) => {
      for (let i = 0; i < 3; i++) await pubsub.publish("room", message);
      // Only the member without a context, and the one without compression, took shared frames.
      assert.equal(frames.length, 6);
    });
    await Promise.all([keeping.drain(3), resetting.drain(3), plain.drain(3)]);
    for (const client of [keeping, resetting, plain]) {
      assert.deepEqual(decoded(client), [message, message, message]);
    }
    // With its context kept, the second copy is a back-reference to the first.
    const sizes = keeping.messages.map((m) => m.type === "compressed" ? m.data.length : -1);
    assert.ok(sizes[1]! < sizes[0]! / 4, `context not kept: sizes ${sizes}`);
    for (const client of [keeping, resetting, plain]) client.close();
  });
});

Deno.test("a published frame waits behind a message the connection is still compressing", async () => {
  const upgrade = {
    perMessageDeflate: {
      backend: "compression-streams",
      serverNoContextTakeover: true,
      threshold: 0,
    },
  } as const;
  let sockets: WebSocket[] = [];
  await withServer({ upgrade }, async (pubsub, port, all) => {
    sockets = all;
    const client = await rawClient(port, "permessage-deflate; client_max_window_bits");
    await members(pubsub, 1);
    // Compressed asynchronously by the connection, then a publish right behind it.
    sockets[0]!.send(compressible(4));
    await pubsub.publish("room", "after");
    await client.drain(2);
    assert.deepEqual(decoded(client), [compressible(4), "after"]);
    client.close();
  });
});

Deno.test("with fragmentSize, members get the publication in fragments", async () => {
  await withServer({ upgrade: { fragmentSize: 256 } }, async (pubsub, port) => {
    const client = await rawClient(port);
    await members(pubsub, 1);
    await pubsub.publish("room", "x".repeat(1000));
    await client.drain(1);
    assert.equal(client.frames.length, 4);
    assert.deepEqual(decoded(client), ["x".repeat(1000)]);
    client.close();
  });
});
