import assert from "node:assert/strict";
import { _DenoConnDuplex } from "./_deno_conn_duplex.ts";

async function pair(): Promise<{ ours: Deno.Conn; peer: Deno.Conn }> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const [ours, peer] = await Promise.all([
    Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
    listener.accept(),
  ]);
  listener.close();
  return { ours, peer };
}

Deno.test("_DenoConnDuplex: read and write go straight to the connection", async () => {
  const { ours, peer } = await pair();
  const duplex = new _DenoConnDuplex(ours);
  try {
    assert.equal(await duplex.write(new TextEncoder().encode("ping")), 4);
    const buffer = new Uint8Array(16);
    const n = await peer.read(buffer);
    assert.equal(new TextDecoder().decode(buffer.subarray(0, n!)), "ping");
    await peer.write(new TextEncoder().encode("pong"));
    const m = await duplex.read!(buffer);
    assert.equal(new TextDecoder().decode(buffer.subarray(0, m!)), "pong");
    peer.close();
    assert.equal(await duplex.read!(buffer), null, "end of stream");
  } finally {
    duplex.close();
  }
});

Deno.test("_DenoConnDuplex: its streams are the connection's", async () => {
  const { ours, peer } = await pair();
  const duplex = new _DenoConnDuplex(ours);
  assert.equal(duplex.readable, ours.readable);
  assert.equal(duplex.writable, ours.writable);
  const writer = duplex.writable.getWriter();
  await writer.write(new TextEncoder().encode("via stream"));
  await writer.close();
  const text = await new Response(peer.readable).text();
  assert.equal(text, "via stream");
});

Deno.test("_DenoConnDuplex: close() twice does not throw; the peer sees the end", async () => {
  const { ours, peer } = await pair();
  const duplex = new _DenoConnDuplex(ours);
  duplex.close();
  duplex.close();
  assert.equal(await peer.read(new Uint8Array(1)), null);
  peer.close();
});
