import { mask } from "../masking/mask.ts";

const KEY = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);

for (const size of [16, 32, 1024, 65536, 1 << 20]) {
  // The payload sits 6 bytes into a frame buffer, as behind a masked header.
  const frame = new Uint8Array(size + 6);
  const payload = frame.subarray(6);
  const source = new Uint8Array(size);
  const group = `${size} B`;
  Deno.bench({
    name: `copy (Uint8Array.set) ${size} B`,
    group,
    baseline: true,
    fn() {
      payload.set(source);
    },
  });
  Deno.bench({
    name: `mask ${size} B at offset 6`,
    group,
    fn() {
      mask(payload, KEY);
    },
  });
}
