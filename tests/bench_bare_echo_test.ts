/**
 * The floors of the echo tables (`bench/bare_echo_server.ts` on Deno,
 * `bench/bare_echo_server.mjs` on Node and Bun) must echo what
 * the load generators send, in each of its `--per-message` modes: masked
 * frames of 7- and 16-bit lengths, several per write and split across
 * writes, come back unmasked and unchanged. Else the floor measures a
 * server that is not doing the work.
 */
import assert from "node:assert/strict";
import { FrameEncoder } from "../frames/frame_encoder.ts";
import { Opcode } from "../frames/opcode.ts";
import { rawClient } from "./_raw_client.ts";
import { requireTool, startProcess } from "./_process.ts";

const RUNTIMES = {
  deno: () =>
    Promise.resolve([Deno.execPath(), "run", "--allow-net=127.0.0.1", "bench/bare_echo_server.ts"]),
  node: async () => [await requireTool("node", "install Node.js"), "bench/bare_echo_server.mjs"],
  bun: async () => [await requireTool("bun", "npm install -g bun"), "bench/bare_echo_server.mjs"],
};

for (const [runtime, command] of Object.entries(RUNTIMES)) {
  for (const mode of ["none", "buffer", "event"]) {
    Deno.test(`the bare echo floor on ${runtime}, --per-message ${mode}: frames split across writes come back`, async () => {
      const [program, ...args] = await command();
      const started = await startProcess(program!, [
        ...args,
        "--port",
        "0",
        "--per-message",
        mode,
      ], /listening on ws:\/\/\S+:(\d+)/);
      try {
        const client = await rawClient(Number(started.match[1]));
        const encoder = new FrameEncoder({ role: "client" });
        const sizes = [0, 1, 64, 125, 126, 1000, 16_384, 65_535];
        const payloads = sizes.map((size, i) =>
          new Uint8Array(size).map((_, j) => (i * 31 + j) & 0xff)
        );
        const wire = payloads.flatMap((payload) =>
          encoder.encode({ opcode: Opcode.Binary, payload }).flatMap((chunk) => [...chunk])
        );
        // Cut at odd places so that headers and payloads straddle reads.
        for (let at = 0; at < wire.length; at += 7_777) {
          await client.write(new Uint8Array(wire.slice(at, at + 7_777)));
        }
        await client.drain(sizes.length);
        assert.deepEqual(client.messages, payloads.map((data) => ({ type: "binary", data })));
        client.close();
      } finally {
        await started.stop();
      }
    });
  }
}
