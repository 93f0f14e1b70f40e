import assert from "node:assert/strict";
import { WebSocket } from "../connection/websocket.ts";
import "../transports/mod.ts"; // the Deno connector
import { serve } from "./serve.ts";
import { upgradeWebSocket } from "../transports/upgrade_websocket.ts";

Deno.test("serve() and the Deno connector turn Nagle's algorithm off on their TCP connections", async () => {
  // Record setNoDelay calls on every TCP connection of this process.
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const sample = await Deno.connect({ hostname: "127.0.0.1", port: probe.addr.port });
  const prototype = Object.getPrototypeOf(sample) as Deno.TcpConn;
  sample.close();
  probe.close();
  const original = prototype.setNoDelay;
  const calls: { port: number; noDelay: boolean | undefined }[] = [];
  prototype.setNoDelay = function (this: Deno.TcpConn, noDelay?: boolean) {
    calls.push({ port: (this.localAddr as Deno.NetAddr).port, noDelay });
    return original.call(this, noDelay);
  };
  const server = serve({ hostname: "127.0.0.1", port: 0 }, (request) => {
    const { response, socket } = upgradeWebSocket(request);
    socket.onmessage = (event) => socket.send(event.data);
    return response;
  });
  try {
    const client = new WebSocket(`ws://127.0.0.1:${server.addr.port}/`);
    await new Promise((resolve) => client.onopen = resolve);
    client.send("hi");
    await new Promise((resolve) => client.onmessage = resolve);
    client.close();
    await new Promise((resolve) => client.onclose = resolve);
    // The server's accepted connection has the listening port as its local port.
    assert.ok(
      calls.some((call) => call.port === server.addr.port && call.noDelay === true),
      `server side not set: ${JSON.stringify(calls)}`,
    );
    assert.ok(
      calls.some((call) => call.port !== server.addr.port && call.noDelay === true),
      `client side not set: ${JSON.stringify(calls)}`,
    );
  } finally {
    prototype.setNoDelay = original;
    await server.shutdown();
  }
});
