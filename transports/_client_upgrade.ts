/**
 * The client's opening handshake over any byte duplex that is already
 * connected (and encrypted, for `wss:`): shared by the connectors that are
 * built on {@linkcode _socketConnector} (Deno, Node, Cloudflare, proxy tunnels).
 * Not exported from `mod.ts`.
 *
 * @module
 */

import type { ByteDuplex } from "../connection/duplex.ts";
import type { ConnectRequest, UpgradedTransport } from "../connection/upgraded.ts";
import { _readBodyPrefix } from "../handshake/_body_prefix.ts";
import { createClientHandshake, verifyServerHandshake } from "../handshake/client_handshake.ts";
import { formatExtensionHeader } from "../handshake/extension_header.ts";
import { readResponseHead, writeRequestHead } from "../http/http_head.ts";

/**
 * Send the upgrade request for `url` and verify the answer (RFC 6455 §4.1).
 *
 * @param duplex The connected transport: read and written with its `read`/`write` when it
 *   has them, else through its streams (not locked afterwards).
 * @param url The `ws:`/`wss:` URL being opened.
 * @param request Subprotocols, extension offers and headers to send.
 * @param signal Aborts reading the response head (a 408 `HttpHeadError`).
 * @returns The upgraded transport, positioned after the 101 head.
 */
export async function _upgradeClient(
  duplex: ByteDuplex,
  url: URL,
  request: ConnectRequest,
  signal: AbortSignal,
): Promise<UpgradedTransport> {
  const { request: upgrade, key } = createClientHandshake(url, {
    protocols: request.protocols,
    extensions: request.extensions,
    headers: request.headers,
  });
  const bytes = writeRequestHead(upgrade);
  const { read, write } = duplex;
  let head;
  if (read !== undefined && write !== undefined) {
    // The duplex's own methods: no streams are built for the handshake.
    for (let offset = 0; offset < bytes.length;) {
      offset += await write.call(duplex, offset === 0 ? bytes : bytes.subarray(offset));
    }
    head = await readResponseHead({ read: (buffer) => read.call(duplex, buffer) }, { signal });
  } else {
    const writer = duplex.writable.getWriter();
    try {
      await writer.write(bytes);
    } finally {
      writer.releaseLock();
    }
    head = await readResponseHead(duplex.readable, { signal });
  }
  // A refusal's body says why; the stream is built only then (over the same bytes).
  const bodyPrefix = head.status === 101
    ? undefined
    : await _readBodyPrefix(duplex.readable, head, signal);
  const agreed = await verifyServerHandshake(
    { status: head.status, headers: head.headers, bodyPrefix },
    { key, protocols: request.protocols, extensions: request.extensions },
  );
  return {
    duplex,
    leftover: head.leftover,
    protocol: agreed.protocol,
    extensions: formatExtensionHeader(agreed.extensions),
    headers: head.headers,
  };
}
