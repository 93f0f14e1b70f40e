/** The 1 KiB JSON messages of the compression benchmarks. */

const WORDS = (
  "the of and to in is you that it he was for on are as with his they at be this have from " +
  "or one had by word but not what all were we when your can said there use an each which she " +
  "do how their if will up other about out many then them these so some her would make like him " +
  "into time has look two more write go see number no way could people my than first water been"
).split(" ");

/**
 * 1 KiB JSON messages (exactly 1024 bytes), all different: the same keys,
 * varying ids, numbers and English-like text from a seeded generator, as a
 * chat or a feed sends them.
 */
export function jsonMessages(count: number, seed = 1): string[] {
  let x = seed;
  const random = (n: number) => {
    x = (x * 1103515245 + 12345) >>> 0;
    return (x >>> 8) % n;
  };
  return Array.from({ length: count }, (_, id) => {
    const fields = {
      id: `${(0x10000000 + random(0xfffffff)).toString(16)}-${id}`,
      type: ["message", "edit", "reaction"][random(3)],
      room: `room-${random(20)}`,
      user: { id: random(5000), name: `user${random(5000)}`, online: random(2) === 1 },
      sentAt: 1_700_000_000_000 + random(1_000_000_000),
      score: random(100_000) / 100,
      text: "",
    };
    const room = 1024 - JSON.stringify(fields).length;
    let text = "";
    while (text.length < room) text += WORDS[random(WORDS.length)] + " ";
    fields.text = text.slice(0, room);
    return JSON.stringify(fields);
  });
}
