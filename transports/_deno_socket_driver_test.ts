/** The Deno socket driver on loopback: plain TCP, TLS, STARTTLS, and its read and write loops. */
import assert from "node:assert/strict";
import { makeTestCertificates } from "../tests/_tls.ts";
import { _denoDriver } from "./_deno_socket_driver.ts";

const never = new AbortController().signal;

Deno.test("_denoDriver: writes all of a large buffer; reads chunks of at most 16 KiB, then null", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const conn = await _denoDriver.open("127.0.0.1", listener.addr.port, undefined, false, never);
  const peer = await accepted;
  listener.close();
  try {
    const big = new Uint8Array(16 << 20).map((_, i) => i & 0xff);
    // The peer reads while we write: conn.write takes part of the buffer at a time.
    const received = new Response(peer.readable).arrayBuffer();
    await _denoDriver.write(conn, big);
    _denoDriver.close(conn);
    const got = new Uint8Array(await received);
    assert.equal(got.length, big.length, "every byte written");
    assert.ok(got.every((byte, i) => byte === big[i]), "in order");
  } finally {
    _denoDriver.close(conn);
  }

  const listener2 = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted2 = listener2.accept();
  const reader = await _denoDriver.open("127.0.0.1", listener2.addr.port, undefined, false, never);
  const writer = await accepted2;
  listener2.close();
  const sent = new Uint8Array(100_000).fill(7);
  for (let offset = 0; offset < sent.length;) offset += await writer.write(sent.subarray(offset));
  writer.close();
  let total = 0;
  for (
    let chunk = await _denoDriver.read(reader);
    chunk !== null;
    chunk = await _denoDriver.read(reader)
  ) {
    assert.ok(chunk.length > 0 && chunk.length <= 16 * 1024, `a chunk of ${chunk.length}`);
    total += chunk.length;
  }
  assert.equal(total, sent.length);
  _denoDriver.close(reader);
  _denoDriver.close(reader); // quietly, twice
});

Deno.test("_denoDriver: TLS with a test CA; without it the certificate is refused", async () => {
  const certificates = await makeTestCertificates();
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: certificates.cert,
    key: certificates.key,
  });
  const served = (async () => {
    for (let i = 0; i < 2; i++) {
      const conn = await listener.accept();
      try {
        await conn.handshake();
        await conn.write(new TextEncoder().encode("secure"));
      } catch {
        // The refused client.
      } finally {
        conn.close();
      }
    }
  })();
  try {
    const tls = { serverName: "127.0.0.1", caCerts: [certificates.ca] };
    const conn = await _denoDriver.open("127.0.0.1", listener.addr.port, tls, false, never);
    const chunk = await _denoDriver.read(conn);
    assert.equal(new TextDecoder().decode(chunk!), "secure");
    _denoDriver.close(conn);
    await assert.rejects(async () => {
      const refused = await _denoDriver.open(
        "127.0.0.1",
        listener.addr.port,
        { serverName: "127.0.0.1", caCerts: undefined },
        false,
        never,
      );
      try {
        await _denoDriver.read(refused);
      } finally {
        _denoDriver.close(refused);
      }
    }, /certificate|UnknownIssuer/i);
    await served;
  } finally {
    listener.close();
  }
});

Deno.test("_denoDriver: startTls upgrades a plain connection (as through a proxy's tunnel)", async () => {
  const certificates = await makeTestCertificates();
  // A TLS server; the client opens plain TCP and starts TLS itself, as inside a tunnel.
  const tlsListener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: certificates.cert,
    key: certificates.key,
  });
  const tlsServed = (async () => {
    const conn = await tlsListener.accept();
    await conn.handshake();
    await conn.write(new TextEncoder().encode("inside"));
    conn.close();
  })();
  try {
    const plain = await _denoDriver.open(
      "127.0.0.1",
      tlsListener.addr.port,
      undefined,
      true,
      never,
    );
    const secure = await _denoDriver.startTls(
      plain,
      { serverName: "127.0.0.1", caCerts: [certificates.ca] },
      never,
    );
    assert.equal(new TextDecoder().decode((await _denoDriver.read(secure))!), "inside");
    _denoDriver.close(secure);
    await tlsServed;
  } finally {
    tlsListener.close();
  }
});

Deno.test("_denoDriver: an aborted signal stops opening; the duplex is the connection's", async () => {
  const controller = new AbortController();
  controller.abort(new Error("gave up"));
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    await assert.rejects(
      _denoDriver.open("127.0.0.1", listener.addr.port, undefined, false, controller.signal),
    );
    const accepted = listener.accept();
    const conn = await _denoDriver.open("127.0.0.1", listener.addr.port, undefined, false, never);
    const peer = await accepted;
    const duplex = _denoDriver.duplex(conn);
    await duplex.write!(new TextEncoder().encode("x"));
    const buffer = new Uint8Array(1);
    assert.equal(await peer.read(buffer), 1);
    duplex.close!();
    assert.equal(await peer.read(buffer), null);
    peer.close();
  } finally {
    listener.close();
  }
});
