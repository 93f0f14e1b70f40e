/**
 * The `NO_PROXY` list, as curl and most HTTP clients read it. Not exported
 * from `mod.ts`.
 *
 * @module
 */

/**
 * Whether the `NO_PROXY` list `noProxy` exempts `url`: entries are `*`,
 * host names (the host and its subdomains; a leading `.` or `*.` is
 * allowed), IP addresses (IPv6 with or without brackets), each optionally
 * with `:port`; case-insensitive, comma-separated, blanks ignored.
 */
export function _noProxyMatches(url: URL, noProxy: string): boolean {
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, "");
  const port = url.port === "" ? (url.protocol === "wss:" ? "443" : "80") : url.port;
  for (const raw of noProxy.split(",")) {
    let entry = raw.trim().toLowerCase();
    if (entry === "") continue;
    if (entry === "*") return true;
    let entryPort: string | undefined;
    const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    if (bracket !== null) {
      entry = bracket[1]!;
      entryPort = bracket[2];
    } else if (/^[^:]+:\d+$/.test(entry)) {
      [entry, entryPort] = entry.split(":") as [string, string];
    }
    if (entryPort !== undefined && entryPort !== port) continue;
    if (entry.startsWith("*.")) entry = entry.slice(1);
    if (entry.startsWith(".")) {
      if (host.endsWith(entry) || host === entry.slice(1)) return true;
    } else if (host === entry || host.endsWith(`.${entry}`)) {
      return true;
    }
  }
  return false;
}
