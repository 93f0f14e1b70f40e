/** Joining byte arrays, for the HTTP codec and the layers above it (not exported from `mod.ts`). */

/**
 * `parts` copied one after another into a new array: always a copy, so it
 * may be kept after the buffers the parts view are reused.
 *
 * @param parts The pieces, in order.
 * @param size Their total length, when the caller already knows it.
 * @returns A new array of the total length.
 */
export function concatBytes(parts: readonly Uint8Array[], size?: number): Uint8Array {
  if (size === undefined) {
    size = 0;
    for (const part of parts) size += part.length;
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
