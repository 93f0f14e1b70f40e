/**
 * Clients behind an HTTP proxy: which proxy applies to a URL (an explicit
 * one, or `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` from the environment), and
 * a connector that opens every connection through a `CONNECT` tunnel.
 *
 * @module
 */

import { type Connector, defaultConnector } from "../connection/upgraded.ts";
import { _connectWith, _driverOf } from "./_socket_connector.ts";
import { _noProxyMatches } from "./_no_proxy.ts";

/**
 * Which HTTP proxy a client uses: a URL such as
 * `"http://user:password@proxy.example:3128"` (credentials are sent as
 * `Proxy-Authorization: Basic`), or `"env"` to read `HTTPS_PROXY` (for
 * `wss:`) or `HTTP_PROXY` (for `ws:`), in upper or lower case, skipping the
 * hosts listed in `NO_PROXY`.
 */
export type ProxyOption = string | URL;

/**
 * The proxy to use for `url`, or `undefined` for a direct connection.
 *
 * With `"env"`, the variable is `HTTPS_PROXY` for `wss:` and `HTTP_PROXY`
 * for `ws:` (the lower-case names are read too, upper case first); a value
 * without a scheme means `http://`. `NO_PROXY` is a comma-separated list of
 * `*`, host names (matching the host and its subdomains; a leading dot is
 * allowed), IP addresses, each optionally with `:port`. Reading the
 * environment needs `--allow-env` on Deno.
 *
 * Only `http:` proxies are supported (the tunnel itself carries TLS for
 * `wss:`); a missing port means 80.
 *
 * @param url The `ws:` or `wss:` URL to reach.
 * @param proxy A proxy URL, or `"env"`.
 * @returns The proxy's URL, or `undefined` when none applies.
 * @throws {TypeError} For a proxy URL that does not parse or is not `http:`.
 *
 * @example
 * ```ts
 * import { resolveProxy } from "@edgews/websocket/transports";
 * import assert from "node:assert/strict";
 *
 * const proxy = resolveProxy(new URL("wss://example.com/"), "http://user:pw@127.0.0.1:3128");
 * assert.equal(proxy?.host, "127.0.0.1:3128");
 * assert.equal(proxy?.username, "user");
 * ```
 */
export function resolveProxy(url: URL, proxy: ProxyOption): URL | undefined {
  let value: string | URL = proxy;
  if (proxy === "env") {
    const secure = url.protocol === "wss:" || url.protocol === "https:";
    const found = secure ? _env("HTTPS_PROXY") : _env("HTTP_PROXY");
    if (found === undefined) return undefined;
    if (_noProxyMatches(url, _env("NO_PROXY") ?? "")) return undefined;
    value = /^[a-z][a-z0-9+.-]*:\/\//i.test(found) ? found : `http://${found}`;
  }
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new TypeError(
      `Invalid proxy URL ${
        JSON.stringify(String(value))
      }: expected http://[user:password@]host:port`,
    );
  }
  if (parsed.protocol !== "http:") {
    throw new TypeError(
      `Unsupported proxy URL scheme ${parsed.protocol} in ${parsed.protocol}//${parsed.host}: only http:// proxies are supported (the tunnel carries TLS for wss: end to end)`,
    );
  }
  return parsed;
}

/**
 * A connector that reaches every server through the HTTP proxy `proxy`
 * with a `CONNECT` tunnel (TLS for `wss:` runs inside the tunnel, end to
 * end), on the sockets of `connector`'s runtime. URLs that `"env"` exempts
 * (no variable set, or listed in `NO_PROXY`) go to `connector` directly.
 *
 * Pass it as the `connector` option of `WebSocket` and `WebSocketStream`;
 * `connect()` does this itself for its `proxy` option. A refusal rejects
 * with a {@linkcode ProxyError} (407 when the proxy wants credentials).
 *
 * @param proxy A proxy URL, or `"env"`.
 * @param connector The runtime's connector: `denoConnector`,
 * `nodeConnector`, a `cloudflareConnector(...)`. @default {the default connector}
 * @returns The connector.
 * @throws {TypeError} When used with a connector that cannot open raw sockets.
 *
 * @example
 * ```ts
 * import { ProxyError, proxyConnector, WebSocketStream } from "@edgews/websocket";
 * import assert from "node:assert/strict";
 *
 * // A proxy that wants credentials: it answers every CONNECT with 407.
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * (async () => {
 *   for await (const conn of listener) {
 *     await conn.read(new Uint8Array(1024));
 *     await conn.write(new TextEncoder().encode("HTTP/1.1 407 Proxy Authentication Required\r\n\r\n"));
 *     conn.close();
 *   }
 * })();
 * const wss = new WebSocketStream("wss://echo.example/", {
 *   connector: proxyConnector(`http://127.0.0.1:${listener.addr.port}`),
 * });
 * const error = await wss.opened.catch((error) => error);
 * assert.ok(error instanceof ProxyError && error.status === 407);
 * listener.close();
 * ```
 */
export function proxyConnector(proxy: ProxyOption, connector?: Connector): Connector {
  if (proxy !== "env") resolveProxy(new URL("ws://check.invalid/"), proxy); // Fail early on a bad URL.
  return (url, request) => {
    const base = connector ?? defaultConnector();
    if (base === undefined) {
      return Promise.reject(
        new TypeError("Cannot connect through a proxy: no connector (pass the connector argument)"),
      );
    }
    let through: URL | undefined;
    try {
      through = resolveProxy(url, proxy);
    } catch (error) {
      return Promise.reject(error);
    }
    if (through === undefined) return base(url, request);
    const driver = _driverOf(base);
    if (driver === undefined) {
      return Promise.reject(
        new TypeError(
          "Cannot connect through a proxy: this connector cannot open a tunnel (use denoConnector, nodeConnector or cloudflareConnector)",
        ),
      );
    }
    return _connectWith(driver, url, request, through);
  };
}

/** An environment variable, upper case first, then lower case; empty counts as unset. */
function _env(name: string): string | undefined {
  const read = (key: string): string | undefined => {
    const deno = (globalThis as { Deno?: { env: { get(key: string): string | undefined } } })
      .Deno;
    if (deno !== undefined) return deno.env.get(key);
    return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
      ?.env?.[key];
  };
  const value = read(name) ?? read(name.toLowerCase());
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}
