import assert from "node:assert/strict";
import { isHexDump, parseHexDump } from "./hex_dump.ts";

// A masked "Hello", the bytes "cafe", and a masked close 1000: 23 bytes.
const BYTES = [
  0x81,
  0x85,
  0x37,
  0xfa,
  0x21,
  0x3d,
  0x7f,
  0x9f,
  0x4d,
  0x51,
  0x58,
  0x63,
  0x61,
  0x66,
  0x65,
  0x88,
  0x82,
  0x00,
  0x00,
  0x00,
  0x00,
  0x03,
  0xe8,
];

// Dumps of those bytes as the tools print them (xxd, hexdump -C, od and
// Wireshark's "Copy as Hex Dump"); the ASCII columns hold "cafe", which is
// also valid hex.
const DUMPS: Record<string, string> = {
  "xxd": "00000000: 8185 37fa 213d 7f9f 4d51 5863 6166 6588  ..7.!=..MQXcafe.\n" +
    "00000010: 8200 0000 0003 e8                        .......\n",
  "hexdump -C": "00000000  81 85 37 fa 21 3d 7f 9f  4d 51 58 63 61 66 65 88  |..7.!=..MQXcafe.|\n" +
    "00000010  82 00 00 00 00 03 e8                              |.......|\n" +
    "00000017\n",
  "od -A x -t x1": "000000 81 85 37 fa 21 3d 7f 9f 4d 51 58 63 61 66 65 88\n" +
    "000010 82 00 00 00 00 03 e8\n000017\n",
  "Wireshark": "0000   81 85 37 fa 21 3d 7f 9f 4d 51 58 63 61 66 65 88   ..7.!=..MQXcafe.\r\n" +
    "0010   82 00 00 00 00 03 e8                              .......\r\n",
  "xxd -p": "818537fa213d7f9f4d51586361666588\n820000000003e8\n",
  "plain": "81 85 37 fa 21 3d 7f 9f 4d 51 58 63 61 66 65 88 82 00 00 00 00 03 e8",
  "grouped": "8185 37fa 213d 7f9f 4d51 5863 6166 6588\n8200 0000 0003 e8\n",
  "C array": "0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58, 0x63,\n" +
    "0x61, 0x66, 0x65, 0x88, 0x82, 0x00, 0x00, 0x00, 0x00, 0x03, 0xe8\n",
  "escapes": "\\x81\\x85\\x37\\xfa\\x21\\x3d\\x7f\\x9f\\x4d\\x51\\x58\\x63\\x61\\x66\\x65\\x88" +
    "\\x82\\x00\\x00\\x00\\x00\\x03\\xe8",
  "colons, comments":
    "# client to server\n81:85:37:fa:21:3d:7f:9f:4d:51:58\n\n# cafe\n63:61:66:65\n" +
    "88:82:00:00:00:00:03:e8\n",
};

for (const [format, text] of Object.entries(DUMPS)) {
  Deno.test(`parseHexDump: ${format}`, () => {
    assert.deepEqual([...parseHexDump(text)], BYTES);
    assert.equal(isHexDump(new TextEncoder().encode(text)), true);
  });
}

Deno.test("parseHexDump: an xxd line whose ASCII column looks like hex", () => {
  const text = "00000000: 8185 37fa 213d 7f9f 4d51 5863 6166 6588  ..7.!=..MQXcafe.\n" +
    "00000010: 6361 6665                                cafe\n";
  assert.deepEqual([...parseHexDump(text).subarray(16)], [0x63, 0x61, 0x66, 0x65]);
});

Deno.test("parseHexDump: says which line is not hex", () => {
  assert.throws(() => parseHexDump("81 02\n68 zz\n"), {
    name: "SyntaxError",
    message: 'Invalid hex dump: line 2 has "z"',
  });
  assert.throws(() => parseHexDump("81 0"), {
    name: "SyntaxError",
    message: "Invalid hex dump: line 1 has an odd number of hex digits",
  });
});

Deno.test("isHexDump: raw frames and HTTP heads followed by frames are not hex", () => {
  assert.equal(isHexDump(new Uint8Array(BYTES)), false);
  const head = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  assert.equal(isHexDump(new Uint8Array([...head, ...BYTES])), false);
  assert.equal(isHexDump(head), false); // text, but not hex
  assert.equal(isHexDump(new Uint8Array()), false);
});
