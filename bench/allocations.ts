/**
 * Counts the typed-array allocations per message on the server's echo hot
 * path: bytes read from the transport → frames → message → `onMessage` →
 * `send` → frames → bytes written. On Deno every `new Uint8Array`, `slice()`
 * and `TextEncoder.encode()` costs 1–3 µs (typed arrays live off the V8
 * heap), so this count is a cost in its own right.
 *
 * The constructors and methods that allocate a backing store are wrapped
 * with counters BEFORE the module is imported; a `WebSocketConnection` runs
 * over an in-memory duplex whose `read` hands out batches of 16 masked
 * client frames (as a busy socket does) and whose `write` accepts at once.
 * `subarray()` views are counted apart: they allocate a small object, not
 * memory for bytes.
 *
 * Prints a table and merges `allocations` into `bench/results.json`.
 *
 * Run: `deno run --allow-read=bench/results.json --allow-write=bench/results.json bench/allocations.ts`
 *
 * @module
 */
import { mergeResults } from "./_results.ts";

const counts = { arrays: 0, views: 0 };

const _Uint8Array = Uint8Array;
globalThis.Uint8Array = new Proxy(_Uint8Array, {
  construct(target, args, newTarget) {
    counts.arrays++;
    return Reflect.construct(target, args, newTarget);
  },
});
const _ArrayBuffer = ArrayBuffer;
globalThis.ArrayBuffer = new Proxy(_ArrayBuffer, {
  construct(target, args, newTarget) {
    counts.arrays++;
    return Reflect.construct(target, args, newTarget);
  },
});
function _countCalls<T extends object>(proto: T, name: keyof T, counter: "arrays" | "views"): void {
  const original = proto[name] as unknown as (...args: unknown[]) => unknown;
  Object.defineProperty(proto, name, {
    value: function (this: unknown, ...args: unknown[]) {
      counts[counter]++;
      return original.apply(this, args);
    },
    writable: true,
    configurable: true,
  });
}
_countCalls(_Uint8Array.prototype, "slice", "arrays");
_countCalls(_ArrayBuffer.prototype, "slice", "arrays");
_countCalls(TextEncoder.prototype, "encode", "arrays");
_countCalls(_Uint8Array.prototype, "subarray", "views");

const { WebSocketConnection } = await import("../connection/websocket_connection.ts");
const { encodeFrame } = await import("../frames/frame_encoder.ts");
const { Opcode } = await import("../frames/opcode.ts");

interface Row {
  message: string;
  arraysPerMessage: number;
  viewsPerMessage: number;
}

const BATCH = 16;
const ROUNDS = 200;

async function measure(kind: "text" | "binary", size: number): Promise<Row> {
  const payload = new _Uint8Array(size).fill(0x61); // "aaaa…": valid UTF-8
  const frame = encodeFrame({
    opcode: kind === "text" ? Opcode.Text : Opcode.Binary,
    payload,
    mask: new _Uint8Array([1, 2, 3, 4]),
  });
  // The client's byte stream: the same masked frame over and over. Reads
  // copy from it (the decoder unmasks in the read buffer, not here).
  const tape = new _Uint8Array(frame.length * BATCH);
  for (let i = 0; i < BATCH; i++) tape.set(frame, i * frame.length);
  let offset = 0;
  let echoed = 0;
  let wake: (() => void) | undefined;
  const duplex = {
    readable: new ReadableStream<Uint8Array>(),
    writable: new WritableStream<Uint8Array>(),
    read(buffer: Uint8Array): Promise<number | null> {
      const n = Math.min(tape.length - offset, buffer.length);
      buffer.set(tape.subarray(offset, offset + n));
      offset = (offset + n) % tape.length;
      return Promise.resolve(n);
    },
    write(bytes: Uint8Array): Promise<number> {
      return Promise.resolve(bytes.length);
    },
  };
  const connection = new WebSocketConnection(duplex, {
    onMessage(data) {
      connection.send(data);
      if (++echoed % BATCH === 0) wake?.();
    },
    onClose() {},
  }, { role: "server" });
  // Warm up (and let the read buffer grow to fit a batch), then count.
  connection.start();
  const waitFor = (total: number) =>
    new Promise<void>((resolve) => {
      wake = () => {
        if (echoed >= total) resolve();
      };
    });
  await waitFor(ROUNDS * BATCH);
  counts.arrays = 0;
  counts.views = 0;
  const start = echoed;
  await waitFor(ROUNDS * BATCH * 2);
  const messages = echoed - start;
  const row = {
    message: `${kind} ${size} B`,
    arraysPerMessage: counts.arrays / messages,
    viewsPerMessage: counts.views / messages,
  };
  connection.terminate();
  return row;
}

const rows: Row[] = [];
for (
  const [kind, size] of [["text", 64], ["binary", 64], ["text", 1024], ["binary", 16384]] as const
) {
  rows.push(await measure(kind, size));
}

console.log("\n## Allocations per echoed message (server, 16 frames per read)\n");
console.log("| message | typed arrays allocated | subarray views |");
console.log("| --- | ---: | ---: |");
for (const row of rows) {
  console.log(
    `| ${row.message} | ${row.arraysPerMessage.toFixed(2)} | ${row.viewsPerMessage.toFixed(2)} |`,
  );
}

await mergeResults({ allocations: rows });
