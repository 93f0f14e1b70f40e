import assert from "node:assert/strict";
import { SeededRandom } from "../tests/_random.ts";
import { isValidUtf8, Utf8Validator } from "./utf8_validator.ts";

const fatal = new TextDecoder("utf-8", { fatal: true });
function reference(bytes: Uint8Array): boolean {
  try {
    fatal.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

Deno.test("Utf8Validator: boundary sequences agree with a fatal TextDecoder", () => {
  const cases: number[][] = [
    [],
    [0x00],
    [0x7f],
    [0x80], // lone continuation
    [0xc0, 0x80], // overlong NUL
    [0xc1, 0xbf], // overlong
    [0xc2, 0x80], // U+0080
    [0xdf, 0xbf], // U+07FF
    [0xe0, 0x9f, 0xbf], // overlong
    [0xe0, 0xa0, 0x80], // U+0800
    [0xed, 0x9f, 0xbf], // U+D7FF
    [0xed, 0xa0, 0x80], // U+D800 surrogate
    [0xed, 0xbf, 0xbf], // U+DFFF surrogate
    [0xee, 0x80, 0x80], // U+E000
    [0xef, 0xbf, 0xbf], // U+FFFF
    [0xf0, 0x8f, 0xbf, 0xbf], // overlong
    [0xf0, 0x90, 0x80, 0x80], // U+10000
    [0xf4, 0x8f, 0xbf, 0xbf], // U+10FFFF
    [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
    [0xf5, 0x80, 0x80, 0x80],
    [0xfe],
    [0xff],
    [0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5], // "κόσμε"
    [0xce, 0xba, 0xe1, 0xbd], // truncated
    [0xe1, 0x80],
    [0xf0, 0x90, 0x80],
  ];
  for (const bytes of cases) {
    const input = new Uint8Array(bytes);
    assert.equal(
      isValidUtf8(input),
      reference(input),
      `bytes ${bytes.map((b) => b.toString(16))}`,
    );
  }
});

Deno.test("Utf8Validator property: random and mutated text, fed in random splits", () => {
  const random = new SeededRandom(42);
  const samples = [
    "hello",
    "κόσμε",
    "𝄞 music",
    "日本語テキスト",
    "mixed ascii and ünïcödé 🎉",
  ];
  for (let round = 0; round < 3000; round++) {
    let bytes = new TextEncoder().encode(
      samples[random.int(samples.length)]!.repeat(1 + random.int(3)),
    );
    if (round % 2 === 0) {
      bytes = bytes.slice();
      const edits = 1 + random.int(3);
      for (let e = 0; e < edits; e++) {
        bytes[random.int(bytes.length)] = random.int(256);
      }
    }
    if (round % 5 === 0) {
      bytes = bytes.subarray(0, random.int(bytes.length + 1));
    }
    const expected = reference(bytes);
    const validator = new Utf8Validator();
    let failed = false;
    let position = 0;
    for (const chunk of random.split(bytes, 4)) {
      const bad = validator.write(chunk);
      if (bad !== -1) {
        failed = true;
        // Fail fast: the prefix before the reported byte is a valid prefix, and
        // adding the reported byte makes every continuation invalid.
        const prefix = bytes.subarray(0, position + bad + 1);
        assert.equal(reference(prefix), false);
        break;
      }
      position += chunk.length;
    }
    assert.equal(!failed && validator.complete, expected, `round ${round}`);
  }
});

Deno.test("Utf8Validator: reports the first invalid byte even mid-sequence", () => {
  const validator = new Utf8Validator();
  assert.equal(validator.write(new Uint8Array([0x61, 0xf4])), -1);
  assert.equal(validator.complete, false);
  // 0x90 after 0xF4 would be above U+10FFFF: invalid right there.
  assert.equal(validator.write(new Uint8Array([0x90, 0x80, 0x80])), 0);
});
