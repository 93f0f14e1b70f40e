/**
 * A client that goes through an HTTP proxy, for the proxy tests on Deno,
 * Node and Bun: `proxy_client.ts URL PROXY` where PROXY is a URL or `env`.
 * Sends "through the proxy", expects the echo, closes, and prints
 * `ok MESSAGE` or `error NAME STATUS MESSAGE`. `EDGEWS_CA` (PEM) is trusted
 * for `wss:`.
 */
import type * as Mod from "../../mod.ts";

const api: typeof Mod = "Deno" in globalThis
  ? await import("../../mod.ts")
  : await import("../../node.ts");
const args: string[] = "Deno" in globalThis
  ? Deno.args
  : (await import("node:process")).default.argv.slice(2).filter((arg) => arg !== "-");
const [url, proxy] = args as [string, string];
const ca = "Deno" in globalThis
  ? Deno.env.get("EDGEWS_CA")
  : (await import("node:process")).default.env.EDGEWS_CA;

try {
  const ws = await api.connect(url, { proxy, ...(ca ? { caCerts: [ca] } : {}) });
  await ws.writable.getWriter().write("through the proxy");
  const { value } = await ws.readable.getReader().read();
  ws.close();
  await ws.closed;
  console.log(`ok ${value}`);
} catch (error) {
  const { name, message } = error as Error;
  console.log(`error ${name} ${(error as { status?: number }).status ?? "-"} ${message}`);
}
