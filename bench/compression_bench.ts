/**
 * permessage-deflate per message, without I/O: one 1 KiB JSON text message
 * from a client protocol to a server protocol (encode, mask, compress; parse,
 * unmask, decompress, UTF-8 check), against the same without compression.
 * `bench/compression.ts` measures the same over loopback sockets.
 *
 * @module
 */
import { PerMessageDeflate, type PerMessageDeflateConfig } from "../compression/mod.ts";
import { WebSocketProtocol } from "../protocol/websocket_protocol.ts";
import { jsonMessages } from "./_json_messages.ts";

const messages = jsonMessages(256);

function pair(config: PerMessageDeflateConfig | undefined) {
  const agreed = config === undefined ? "" : formatAgreed(config);
  const client = new WebSocketProtocol({
    role: "client",
    compression: PerMessageDeflate.fromHandshake(agreed, "client", config ?? {}),
  });
  const server = new WebSocketProtocol({
    role: "server",
    compression: PerMessageDeflate.fromHandshake(agreed, "server", config ?? {}),
  });
  let i = 0;
  return () => {
    client.sendText(messages[i++ & 255]!);
    for (const chunk of client.dataToSend()) server.receiveData(chunk);
    if (server.eventsReceived().length !== 1) throw new Error("lost a message");
  };
}

function formatAgreed(config: PerMessageDeflateConfig): string {
  return "permessage-deflate" +
    (config.serverNoContextTakeover ? "; server_no_context_takeover" : "") +
    (config.clientNoContextTakeover ? "; client_no_context_takeover" : "");
}

const group = "1 KiB JSON message, client to server";
Deno.bench({ name: "uncompressed", group, baseline: true, fn: pair(undefined) });
Deno.bench({ name: "deflate, context takeover, level 6", group, fn: pair({ threshold: 0 }) });
Deno.bench({
  name: "deflate, context takeover, level 1",
  group,
  fn: pair({ threshold: 0, level: 1 }),
});
Deno.bench({
  name: "deflate, no context takeover, level 6",
  group,
  fn: pair({ threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true }),
});
