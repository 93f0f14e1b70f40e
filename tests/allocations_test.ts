/**
 * Typed-array allocations that the engine promises not to make, counted the
 * way `bench/allocations.ts` counts them: the constructors are wrapped before
 * the modules are imported (this file runs in its own isolate). On Deno each
 * allocation costs 1–3 µs and, on an idle connection, memory for as long as
 * it stays open.
 */
import assert from "node:assert/strict";

let arrays = 0;
const _Uint8Array = Uint8Array;
globalThis.Uint8Array = new Proxy(_Uint8Array, {
  construct(target, args, newTarget) {
    arrays++;
    return Reflect.construct(target, args, newTarget);
  },
});

const { WebSocketConnection } = await import("../connection/websocket_connection.ts");
const { FrameEncoder } = await import("../frames/frame_encoder.ts");
const { Opcode } = await import("../frames/opcode.ts");

Deno.test("an idle server connection holds one typed array: its 128-byte read buffer", async () => {
  const buffers: number[] = [];
  let release: ((n: number | null) => void) | undefined;
  const duplex = {
    readable: new ReadableStream<Uint8Array>(),
    writable: new WritableStream<Uint8Array>(),
    read(buffer: Uint8Array): Promise<number | null> {
      buffers.push(buffer.length);
      return new Promise((resolve) => release = resolve);
    },
    write: (bytes: Uint8Array) => Promise.resolve(bytes.length),
  };
  arrays = 0;
  const connection = new WebSocketConnection(duplex, {
    onMessage() {},
    onClose() {},
  }, { role: "server" });
  connection.start();
  await new Promise((resolve) => setTimeout(resolve, 10));
  // Decoder scratch and key, the control frame buffer and the encoder's key
  // are made on first use (or shared), not per connection.
  assert.equal(arrays, 1);
  assert.deepEqual(buffers, [128]);
  connection.terminate();
  release?.(null);
  await connection.closed;
});

Deno.test("masked 16 KiB client frames are cut from a shared slab, not allocated one by one", () => {
  const encoder = new FrameEncoder({ role: "client" });
  const payload = new _Uint8Array(16 * 1024);
  // The first frame sets up what is made once per process (the key pool,
  // the SIMD engine).
  encoder.encode({ opcode: Opcode.Binary, payload });
  arrays = 0;
  // 15 frames fit in one 256 KiB slab; a slab already in use adds one more.
  for (let i = 0; i < 15; i++) encoder.encode({ opcode: Opcode.Binary, payload });
  assert.ok(arrays <= 2, `${arrays} typed arrays for 15 frames`);
});
