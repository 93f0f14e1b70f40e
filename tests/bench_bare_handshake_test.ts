/**
 * The floors of the handshake table (`bench/bare_handshake_server.ts`) must
 * do a real cycle in every variant: the 101 with the right accept key (RFC
 * 6455 §4.2.2, the RFC's own sample), the masked close frame echoed
 * unmasked, then the server's TCP close. Else the floor measures a server
 * that is not doing the work.
 */
import assert from "node:assert/strict";
import { startProcess } from "./_process.ts";
import { deadline } from "./_http_raw.ts";

const VARIANTS: [string, string[]][] = [
  ["crypto.subtle", []],
  ["JS SHA-1", ["--sha1", "js"]],
  ["node:crypto", ["--sha1", "node"]],
  ["web APIs", ["--sha1", "js", "--api", "web"]],
];

for (const [name, flags] of VARIANTS) {
  Deno.test(`the bare handshake floor (${name}): 101 with the accept key, close echoed, TCP closed`, async () => {
    const started = await startProcess(Deno.execPath(), [
      "run",
      "--allow-net=127.0.0.1",
      "bench/bare_handshake_server.ts",
      "--port",
      "0",
      ...flags,
    ], /listening on ws:\/\/\S+:(\d+)/);
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(started.match[1]) });
      try {
        await conn.write(new TextEncoder().encode(
          "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n" +
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
            "Sec-WebSocket-Version: 13\r\n\r\n",
        ));
        const received: number[] = [];
        const buffer = new Uint8Array(1024);
        const readToEnd = async () => {
          for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
            received.push(...buffer.subarray(0, n));
            const text = new TextDecoder("latin1").decode(new Uint8Array(received));
            // The close goes out once the 101 is here, as a client's would.
            if (text.endsWith("\r\n\r\n")) {
              await conn.write(new Uint8Array([0x88, 0x82, 1, 2, 3, 4, 0x03 ^ 1, 0xe8 ^ 2]));
            }
          }
        };
        await deadline(readToEnd(), 10_000, "the 101, the close echo and the TCP close");
        const text = new TextDecoder("latin1").decode(new Uint8Array(received));
        const end = text.indexOf("\r\n\r\n") + 4;
        assert.match(text, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
        assert.match(
          text.slice(0, end),
          /\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/,
        );
        assert.deepEqual(received.slice(end), [0x88, 0x02, 0x03, 0xe8]);
      } finally {
        try {
          conn.close();
        } catch {
          // Closed by the server.
        }
      }
    } finally {
      await started.stop();
    }
  });
}
