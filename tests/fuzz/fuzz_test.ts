/**
 * The fuzzers, bounded for the normal suite: a fixed list of seeds and a few
 * thousand cases per target (a few seconds in all). A failure prints the
 * seed, the iteration and the command that replays the case. Long runs:
 * `deno task fuzz -- --seed N --iterations 1000000 --target all`.
 */
import assert from "node:assert/strict";
import { FrameDecoder } from "../../frames/frame_decoder.ts";
import { MessageAssembler } from "../../messages/message_assembler.ts";
import { WebSocketProtocol } from "../../protocol/websocket_protocol.ts";
import { caseSeed, lyingLength, SeededRandom } from "./_generators.ts";
import { formatFinding, runCase, runFuzz } from "./_runner.ts";
import { TARGETS } from "./_targets.ts";

const SEEDS = [1, 20260101, 0xdecafbad];
const ITERATIONS: Record<string, number> = {
  frames: 1500,
  protocol: 1500,
  http: 800,
  handshake: 1500,
  inspector: 800,
};

for (const [name, target] of Object.entries(TARGETS)) {
  Deno.test(`fuzz ${name}: ${SEEDS.length} seeds x ${ITERATIONS[name]} cases keep every invariant`, async () => {
    for (const seed of SEEDS) {
      const report = await runFuzz(target, { seed, iterations: ITERATIONS[name]!, maxFindings: 1 });
      const finding = report.findings[0];
      if (finding !== undefined) assert.fail(formatFinding(finding));
      assert.equal(report.iterations, ITERATIONS[name]);
      // The generator reaches every kind of case it has.
      const kinds = Object.keys(report.kinds).sort();
      assert.ok(kinds.length >= 2, `only ${kinds.join(", ")} cases for seed ${seed}`);
    }
  });
}

/**
 * Cases that found bugs, replayed by case seed (each seed still generates
 * the input that failed before the fix).
 */
const REGRESSIONS: Record<string, number[]> = {
  // A RangeError escaped FrameDecoder.write (maxFrameSize Infinity, a 2^63 length).
  frames: [3348685098],
  // Inspector: silent empty messages after a final block (474166638); an
  // empty compressed payload breaking the next message (1143164412,
  // 825968210); an inflate error that Deno reported after the flush, so a
  // 1007 became a 65536-byte message (1215319517); RSV1 misuse in a frame
  // the capture cuts short (970384654).
  inspector: [474166638, 1143164412, 825968210, 1215319517, 970384654],
};

for (const [name, cases] of Object.entries(REGRESSIONS)) {
  Deno.test(`fuzz ${name}: the cases that found bugs still pass`, async () => {
    for (const seed of cases) {
      try {
        await runCase(TARGETS[name]!, seed);
      } catch (error) {
        assert.fail(
          `case ${seed}: ${(error as Error).message}\n${(error as { detail?: string }).detail}`,
        );
      }
    }
  });
}

Deno.test("fuzz: lying lengths cost memory in proportion to the bytes received, not to the lie", () => {
  // 64 receivers each get a header announcing up to their limit (a random
  // one up to 64 MiB) and a few bytes, and are kept alive while measured.
  const rng = new SeededRandom(caseSeed(99, 0));
  const kept: unknown[] = [];
  let received = 0;
  const before = Deno.memoryUsage().external;
  for (let i = 0; i < 64; i++) {
    const limit = 1 + rng.int(64 << 20);
    const [high, low] = lyingLength(rng, limit);
    const header = new Uint8Array(10);
    header[0] = [0x82, 0x02, 0x81, 0x01][i & 3]!;
    header[1] = 127;
    new DataView(header.buffer).setUint32(2, high);
    new DataView(header.buffer).setUint32(6, low);
    const payload = rng.bytes(rng.int(200));
    const bytes = new Uint8Array([...header, ...payload]);
    received += bytes.length;
    if (i & 1) {
      const decoder = new FrameDecoder(new MessageAssembler(() => {}, { maxMessageSize: limit }), {
        role: "client",
        maxFrameSize: limit,
      });
      const error = decoder.write(bytes);
      assert.ok(error === undefined || [1002, 1007, 1009].includes(error.closeCode));
      kept.push(decoder);
    } else {
      const protocol = new WebSocketProtocol({ role: "client", maxMessageSize: limit });
      protocol.receiveData(bytes);
      assert.ok(
        protocol.error === undefined || [1002, 1007, 1009].includes(protocol.error.closeCode),
      );
      kept.push(protocol);
    }
  }
  const grown = Deno.memoryUsage().external - before;
  // At most a 16 KiB starting buffer each, plus what arrived.
  const bound = 64 * 16384 + 2 * received + (1 << 20);
  assert.ok(grown <= bound, `${grown} bytes held for ${received} bytes received (bound ${bound})`);
  assert.equal(kept.length, 64);
});
