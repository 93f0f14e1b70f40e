/**
 * The root API is the application surface, pinned name by name (as
 * websockets pins its `__all__`): adding a name here is an API decision.
 * The protocol core stays public on the subpaths of `deno.json`.
 */
import assert from "node:assert/strict";

const root = new URL("../", import.meta.url);

/** Every name `file` exports, values and types alike, sorted. */
async function exportedNames(file: string): Promise<string[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", file],
    cwd: root.pathname,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.equal(output.code, 0);
  const doc = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    nodes: Record<string, { symbols?: { name: string }[] }>;
  };
  const names = new Set<string>();
  for (const module of Object.values(doc.nodes)) {
    for (const symbol of module.symbols ?? []) names.add(symbol.name);
  }
  return [...names].sort();
}

const ROOT = [
  "Broadcaster",
  "BroadcasterOptions",
  "CloseCode",
  "ConnectOptions",
  "ConnectedWebSocket",
  "HandshakeStatusError",
  "ProxyError",
  "ProxyOption",
  "PubSub",
  "PubSubOptions",
  "ServeHandler",
  "ServeHandlerInfo",
  "ServeOptions",
  "UpgradeWebSocketOptions",
  "UpgradeWebSocketStreamOptions",
  "WebSocket",
  "WebSocketCloseInfo",
  "WebSocketCloseOptions",
  "WebSocketError",
  "WebSocketOpenInfo",
  "WebSocketOptions",
  "WebSocketServer",
  "WebSocketStream",
  "WebSocketStreamOptions",
  "WebSocketStreamUpgrade",
  "WebSocketUpgrade",
  "connect",
  "proxyConnector",
  "serve",
  "upgradeWebSocket",
  "upgradeWebSocketStream",
];

Deno.test("mod.ts exports exactly the application API", async () => {
  assert.deepEqual(await exportedNames("mod.ts"), ROOT);
});

Deno.test("node.ts exports the root's names plus the Node server and connector", async () => {
  const node = [...ROOT, "NodeWebSocketServer", "nodeConnector", "nodeUpgradeListener"].sort();
  assert.deepEqual(await exportedNames("node.ts"), node);
});

Deno.test("the root's values are the subpaths' own (one class, one function per job)", async () => {
  const api = await import("../mod.ts");
  const connection = await import("../connection/mod.ts");
  const transports = await import("../transports/mod.ts");
  const errors = await import("../errors/mod.ts");
  assert.equal(api.WebSocket, connection.WebSocket);
  assert.equal(api.WebSocketStream, connection.WebSocketStream);
  assert.equal(api.serve, transports.serve);
  assert.equal(api.upgradeWebSocket, transports.upgradeWebSocket);
  assert.equal(api.connect, transports.connect);
  assert.equal(api.proxyConnector, transports.proxyConnector);
  assert.equal(api.CloseCode, errors.CloseCode);
  assert.equal(api.WebSocketError, errors.WebSocketError);
});
