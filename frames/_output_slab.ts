/**
 * Memory for outgoing frames: views handed out from a process-wide slab
 * instead of one `new Uint8Array` per frame. On Deno every typed-array
 * allocation costs 1–3 µs (their memory lives off the V8 heap), more than
 * encoding a small frame. The slab is only ever bumped, never rewound: a view
 * stays valid and unshared for as long as its holder keeps it, and a slab is
 * freed by the garbage collector once no view of it is left (once the
 * transport wrote the frames). Frames up to 64 KiB come from 256 KiB slabs
 * (a 16 KiB client frame costs 1.5 µs instead of 4.5 µs with its own
 * allocation); the engine drops its frames once they are written, but a
 * caller that keeps one small frame keeps its whole slab alive. Not exported
 * from `mod.ts`.
 *
 * @module
 */

/** Size of one slab. */
const _SLAB_SIZE = 256 * 1024;
/** Larger requests get their own allocation (a 16 KiB frame is still cut from a slab). */
export const _SLAB_MAX = 64 * 1024;

let _slab = new Uint8Array(0);
let _position = 0;

/**
 * `size` bytes of fresh, zeroed memory, at an 8-byte-aligned offset (so
 * that masking can work a word at a time).
 *
 * @param size The number of bytes.
 * @returns A view that no other caller will be handed.
 */
export function _allocOutput(size: number): Uint8Array {
  if (size > _SLAB_MAX) return new Uint8Array(size);
  if (_position + size > _slab.length) {
    _slab = new Uint8Array(_SLAB_SIZE);
    _position = 0;
  }
  const view = _slab.subarray(_position, _position + size);
  _position = (_position + size + 7) & ~7;
  return view;
}

/**
 * Give back the unused tail of the most recent {@linkcode _allocOutput}
 * (for callers that reserve a worst case, such as UTF-8 encoding).
 *
 * @param view The view returned by the last allocation.
 * @param used How many of its leading bytes are kept.
 */
export function _trimOutput(view: Uint8Array, used: number): void {
  if (view.buffer !== _slab.buffer) return;
  const end = view.byteOffset + view.length;
  if (((end + 7) & ~7) !== _position) return;
  _position = (view.byteOffset + used + 7) & ~7;
}
