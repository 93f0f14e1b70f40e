import assert from "node:assert/strict";
import { _allocOutput, _SLAB_MAX, _trimOutput } from "./_output_slab.ts";

/** A view at the start of a new slab (the slab is process-wide: earlier use moves it). */
function freshSlab(size: number): Uint8Array {
  const first = _allocOutput(_SLAB_MAX);
  for (let i = 0; i < 8; i++) {
    const view = _allocOutput(_SLAB_MAX);
    if (view.buffer !== first.buffer) {
      _trimOutput(view, size);
      return view.subarray(0, size);
    }
  }
  assert.fail("no new slab after 8 allocations of the largest size");
}

Deno.test("_allocOutput: zeroed views, 8-byte aligned, back to back in one slab, never shared", () => {
  const first = freshSlab(3);
  assert.equal(first.byteOffset, 0);
  const views = [first];
  for (const size of [1, 8, 9, 0, 16, 1000]) views.push(_allocOutput(size));
  let end = 3;
  for (const view of views.slice(1)) {
    assert.equal(view.buffer, first.buffer);
    assert.equal(view.byteOffset % 8, 0);
    assert.equal(view.byteOffset, (end + 7) & ~7, "next 8-byte boundary after the last view");
    end = view.byteOffset + view.length;
  }
  assert.deepEqual(
    views.map((view) => view.length),
    [3, 1, 8, 9, 0, 16, 1000],
  );
  // Each view is its own memory: filling one leaves the others zero.
  for (const [index, view] of views.entries()) {
    assert.ok(view.every((byte) => byte === 0), `view ${index} is zeroed`);
    view.fill(index + 1);
  }
  for (const [index, view] of views.entries()) {
    assert.ok(view.every((byte) => byte === index + 1), `view ${index} kept its bytes`);
  }
});

Deno.test("_allocOutput: up to 64 KiB from the 256 KiB slab, larger on its own", () => {
  const atLimit = freshSlab(_SLAB_MAX);
  assert.equal(atLimit.buffer.byteLength, 256 * 1024);
  const over = _allocOutput(_SLAB_MAX + 1);
  assert.equal(over.byteOffset, 0);
  assert.equal(over.buffer.byteLength, _SLAB_MAX + 1);
  // The large allocation did not move the slab.
  assert.equal(_allocOutput(8).byteOffset, _SLAB_MAX);
});

Deno.test("_allocOutput: a request that does not fit the slab's rest starts a new slab", () => {
  const start = freshSlab(0);
  _allocOutput(3 * _SLAB_MAX); // own buffer
  const filler = [
    _allocOutput(_SLAB_MAX),
    _allocOutput(_SLAB_MAX),
    _allocOutput(_SLAB_MAX),
    _allocOutput(_SLAB_MAX - 8),
  ];
  for (const view of filler) assert.equal(view.buffer, start.buffer);
  filler[3]!.fill(0xff);
  const tail = _allocOutput(8);
  assert.equal(tail.buffer, start.buffer, "8 bytes still fit");
  const next = _allocOutput(1);
  assert.notEqual(next.buffer, start.buffer);
  assert.equal(next.byteOffset, 0);
  assert.ok(filler[3]!.every((byte) => byte === 0xff), "views of the old slab stay valid");
});

Deno.test("_trimOutput: gives back the tail of the latest view only", () => {
  const reserved = freshSlab(100);
  _trimOutput(reserved, 10);
  const after = _allocOutput(4);
  assert.equal(after.byteOffset, 16, "the next view starts at the 8-byte boundary after 10");
  // Not the latest view any more: trimming it changes nothing.
  _trimOutput(reserved, 0);
  assert.equal(_allocOutput(1).byteOffset, 24);
  // A view that is not from the slab is ignored too.
  _trimOutput(new Uint8Array(100), 0);
  _trimOutput(_allocOutput(_SLAB_MAX + 1), 0);
  assert.equal(_allocOutput(1).byteOffset, 32);
  // Trimming to the whole length keeps the position.
  const whole = _allocOutput(5);
  _trimOutput(whole, 5);
  assert.equal(_allocOutput(1).byteOffset, whole.byteOffset + 8);
});
