/**
 * Throughput report for the protocol core, measured side by side in one run:
 * masking against a plain `Uint8Array.prototype.set` copy of the same bytes
 * (the memory-bandwidth limit here), and frame decoding, in GB/s.
 * Prints a table and merges `core` into `bench/results.json` (other keys kept).
 *
 * Run: `deno task bench` (after the micro-benchmarks).
 */
import { FrameDecoder } from "../frames/frame_decoder.ts";
import { encodeFrame } from "../frames/frame_encoder.ts";
import { Opcode } from "../frames/opcode.ts";
import { mask } from "../masking/mask.ts";
import { mergeResults } from "./_results.ts";

/** Median seconds per call of `fn`, over 7 samples of at least 20 ms each. */
function measure(fn: () => void): number {
  let calls = 1;
  for (;;) {
    const start = performance.now();
    for (let i = 0; i < calls; i++) fn();
    if (performance.now() - start >= 20) break;
    calls *= 2;
  }
  const samples: number[] = [];
  for (let s = 0; s < 7; s++) {
    const start = performance.now();
    for (let i = 0; i < calls; i++) fn();
    samples.push((performance.now() - start) / 1000 / calls);
  }
  samples.sort((a, b) => a - b);
  return samples[3]!;
}

interface Row {
  name: string;
  size: number;
  nsPerCall: number;
  gbPerSecond: number;
  vsCopy?: number;
}

const rows: Row[] = [];
const key = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);
for (const size of [16, 32, 1024, 65536, 1 << 20]) {
  const frame = new Uint8Array(size + 6);
  const payload = frame.subarray(6); // behind a 6-byte masked header
  const source = new Uint8Array(size);
  const copy = measure(() => payload.set(source));
  const masked = measure(() => mask(payload, key));
  rows.push({ name: "copy", size, nsPerCall: copy * 1e9, gbPerSecond: size / copy / 1e9 });
  rows.push({
    name: "mask",
    size,
    nsPerCall: masked * 1e9,
    gbPerSecond: size / masked / 1e9,
    vsCopy: copy / masked,
  });
}
for (const size of [16, 1024, 65536, 1 << 20]) {
  const count = size <= 1024 ? 64 : 1;
  const one = encodeFrame({ opcode: Opcode.Binary, payload: new Uint8Array(size), mask: key });
  const chunk = new Uint8Array(one.length * count);
  for (let i = 0; i < count; i++) chunk.set(one, i * one.length);
  const decoder = new FrameDecoder(
    { onFrameStart() {}, onFramePayload() {}, onFrameEnd() {} },
    { role: "server" },
  );
  const perChunk = measure(() => decoder.write(chunk));
  rows.push({
    name: "decode masked frame",
    size,
    nsPerCall: (perChunk / count) * 1e9,
    gbPerSecond: (size * count) / perChunk / 1e9,
  });
}

console.log("| operation | payload | ns/call | GB/s | vs copy |");
console.log("| --- | ---: | ---: | ---: | ---: |");
for (const r of rows) {
  console.log(
    `| ${r.name} | ${r.size} B | ${r.nsPerCall.toFixed(1)} | ${r.gbPerSecond.toFixed(2)} | ${
      r.vsCopy === undefined ? "" : `${r.vsCopy.toFixed(2)}×`
    } |`,
  );
}
// Merged into the file: bench/e2e.ts keeps its own keys (echo, client, memory) there.
await mergeResults({
  date: new Date().toISOString(),
  runtime: `Deno ${Deno.version.deno}, V8 ${Deno.version.v8}`,
  cpus: navigator.hardwareConcurrency,
  core: rows,
});
