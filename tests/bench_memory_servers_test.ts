/**
 * The servers of `bench/e2e.ts`'s memory table, driven by the same idle
 * client (`bench/echo_load.ts --mode idle`) as the benchmark: each must open
 * every connection, answer one 64-byte round trip on each, and let the client
 * close them all, or the table measures a server that is not doing the work.
 * The bare `Deno.Conn` floor (`bench/bare_conn_server.ts`) is the one most
 * likely to break unnoticed: it is no WebSocket library, just enough of one.
 */
import { assertServesIdleClient, startProcess } from "./_process.ts";

const SERVERS = [
  "examples/echo_server.ts",
  "bench/native_echo_server.ts",
  "bench/bare_conn_server.ts",
];
const COUNT = 30;

for (const server of SERVERS) {
  Deno.test(`${server} serves the benchmark's idle client: ${COUNT} connections, one echo each, closed`, async () => {
    const started = await startProcess(Deno.execPath(), [
      "run",
      "--allow-net=127.0.0.1",
      server,
      "--host",
      "127.0.0.1",
      "--port",
      "0",
    ], /listening on (ws:\/\/\S+)/);
    try {
      await assertServesIdleClient(`${started.match[1]}/`, COUNT);
    } finally {
      await started.stop();
    }
  });
}
