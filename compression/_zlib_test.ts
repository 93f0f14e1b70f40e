import assert from "node:assert/strict";
import { SeededRandom } from "../tests/_random.ts";
import { _zlib, type _ZlibContext } from "./_zlib.ts";

const HELLO = new TextEncoder().encode("Hello");
/** RFC 7692 §7.2.3.1 and §7.2.3.2 with their sync-flush tails: "Hello", then "Hello" again. */
const FIRST = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00, 0x00, 0xff, 0xff];
const SECOND = [0xf2, 0x00, 0x11, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff];

/** One sync-flushed call with room for `room` bytes: what it wrote. */
function run(context: _ZlibContext, input: Uint8Array, room = 256): number[] {
  const output = new Uint8Array(room);
  context.handle.writeSync(_zlib()!.syncFlush, input, 0, input.length, output, 0, room);
  return [...output.subarray(0, room - context.state[0]!)];
}

Deno.test("_zlib: Deno's node:zlib handle passes the probe, once", () => {
  const zlib = _zlib();
  assert.ok(zlib !== undefined);
  assert.equal(_zlib(), zlib);
  assert.equal(typeof zlib.syncFlush, "number");
});

Deno.test("_zlib: a deflate context is kept between calls, and reset forgets it (RFC 7692 §7.2.3.2)", () => {
  const deflate = _zlib()!.deflate(15, 6, 8);
  try {
    assert.deepEqual(run(deflate, HELLO), FIRST);
    assert.equal(deflate.state[1], 0, "all input taken");
    assert.deepEqual(run(deflate, HELLO), SECOND);
    deflate.handle.reset();
    assert.deepEqual(run(deflate, HELLO), FIRST);
  } finally {
    deflate.handle.close();
  }
});

Deno.test("_zlib: an inflate context reads both messages; output is bounded per call", () => {
  const inflate = _zlib()!.inflate(15);
  try {
    assert.deepEqual(run(inflate, new Uint8Array(FIRST)), [...HELLO]);
    // Two bytes at a time: the rest stays in zlib until asked for.
    const out: number[] = [];
    out.push(...run(inflate, new Uint8Array(SECOND), 2));
    assert.equal(inflate.state[0], 0, "the output room was filled");
    for (let i = 0; i < 10 && out.length < HELLO.length; i++) {
      out.push(...run(inflate, new Uint8Array(), 2));
    }
    assert.deepEqual(out, [...HELLO]);
  } finally {
    inflate.handle.close();
  }
});

Deno.test("_zlib: a zlib error is recorded on the context, not thrown or emitted", () => {
  const inflate = _zlib()!.inflate(15);
  try {
    assert.equal(inflate.error, undefined);
    run(inflate, new Uint8Array([0xff, 0xff, 0xff]));
    assert.equal(typeof inflate.error, "string");
    assert.match(inflate.error!, /invalid/);
  } finally {
    inflate.handle.close();
  }
});

Deno.test("_zlib: the window size is the one asked for (9 bits: no reference 1000 bytes back)", () => {
  const block = new SeededRandom(5).bytes(1000); // incompressible on its own
  const twice = new Uint8Array([...block, ...block]);
  const sizes = [9, 15].map((bits) => {
    const deflate = _zlib()!.deflate(bits, 6, 8);
    try {
      return run(deflate, twice, 4096).length;
    } finally {
      deflate.handle.close();
    }
  });
  assert.ok(sizes[0]! > 1990, `9 bits: ${sizes[0]} bytes, the repeat was found`);
  assert.ok(sizes[1]! < 1100, `15 bits: ${sizes[1]} bytes, the repeat was not found`);
});
