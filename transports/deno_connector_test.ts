import assert from "node:assert/strict";
import { _denoDriver } from "./_deno_socket_driver.ts";
import { _driverOf } from "./_socket_connector.ts";
import { denoConnector } from "./deno_connector.ts";
import { nodeConnector } from "./node_connector.ts";

Deno.test("denoConnector is the shared socket connector on the Deno driver, as nodeConnector on Node's", () => {
  // proxyConnector tunnels through whatever connector has a driver: no special case for Deno.
  assert.equal(_driverOf(denoConnector), _denoDriver);
  assert.notEqual(_driverOf(nodeConnector), undefined);
});
