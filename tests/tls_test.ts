/** wss: our TLS server and client, with a CA made in the test. */
import assert from "node:assert/strict";
import { serve, upgradeWebSocket, WebSocket as OurWebSocket, WebSocketStream } from "../mod.ts";
import { nextEvent } from "./_servers.ts";
import { makeTestCertificates } from "./_tls.ts";

Deno.test("wss: our client <-> our TLS server, trusting a test CA", async () => {
  const { ca, cert, key } = await makeTestCertificates();
  const server = serve({ hostname: "127.0.0.1", port: 0, cert, key }, (request) => {
    const { response, socket } = upgradeWebSocket(request);
    socket.onmessage = (event) => socket.send(event.data);
    return response;
  });
  try {
    const url = `wss://127.0.0.1:${server.addr.port}/secure`;
    const wss = new WebSocketStream(url, { caCerts: [ca] });
    const { readable, writable } = await wss.opened;
    await writable.getWriter().write("over TLS");
    assert.equal((await readable.getReader().read()).value, "over TLS");
    wss.close({ closeCode: 1000 });
    assert.equal((await wss.closed).closeCode, 1000);

    // Without the CA the certificate is not trusted: the handshake fails.
    const untrusted = new OurWebSocket(url);
    const close = await nextEvent<CloseEvent>(untrusted, "close");
    assert.equal(close.code, 1006);
    assert.equal(close.wasClean, false);
  } finally {
    await server.shutdown();
  }
});
