/**
 * The start of the body of a non-101 answer to the opening handshake, for
 * {@linkcode HandshakeStatusError}: what a 401 or 403 says in its body
 * ("invalid token") is often the only explanation a server gives. Best
 * effort, bounded in bytes and time; not exported from `mod.ts`.
 *
 * @module
 */

import { concatBytes } from "../http/_bytes.ts";

/** Most body bytes kept. */
export const _BODY_PREFIX_LIMIT = 1024;
/** Longest wait for them after the head, in milliseconds. */
export const _BODY_PREFIX_WAIT = 1000;

/**
 * Read up to {@linkcode _BODY_PREFIX_LIMIT} bytes of the body that follows a
 * response head, framed by `Content-Length`, chunked, or by the end of the
 * connection, giving up after {@linkcode _BODY_PREFIX_WAIT} ms or when
 * `signal` aborts. Never throws: a read error ends the prefix.
 *
 * @param readable The connection, positioned after the head (not locked).
 * @param head The head's status, headers and the bytes read after it.
 * @param signal Stops waiting, as the handshake's deadline does.
 * @returns The body's first bytes (chunked framing removed).
 */
export async function _readBodyPrefix(
  readable: ReadableStream<Uint8Array>,
  head: { status: number; headers: Headers; leftover: Uint8Array },
  signal?: AbortSignal,
): Promise<Uint8Array> {
  const { status, headers } = head;
  if (status < 200 || status === 204 || status === 304) return new Uint8Array(0);
  const chunked = /(^|,)\s*chunked\s*$/i.test(headers.get("transfer-encoding") ?? "");
  const length = /^\s*\d+\s*$/.test(headers.get("content-length") ?? "")
    ? Number(headers.get("content-length"))
    : Infinity;
  const body = (raw: Uint8Array) =>
    chunked ? _dechunk(raw) : { bytes: raw.subarray(0, length), done: raw.length >= length };
  let raw = head.leftover;
  let result = body(raw);
  // Chunk sizes and line ends take room too: raw is bounded by twice the limit plus slack.
  const rawLimit = chunked ? 2 * _BODY_PREFIX_LIMIT + 256 : _BODY_PREFIX_LIMIT;
  if (result.done || result.bytes.length >= _BODY_PREFIX_LIMIT || readable.locked) {
    return result.bytes.slice(0, _BODY_PREFIX_LIMIT);
  }
  const reader = readable.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stop = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), _BODY_PREFIX_WAIT);
    if (signal?.aborted) resolve(null);
    signal?.addEventListener("abort", () => resolve(null), { once: true });
  });
  try {
    while (!result.done && result.bytes.length < _BODY_PREFIX_LIMIT && raw.length < rawLimit) {
      const next = await Promise.race([reader.read().catch(() => null), stop]);
      if (next === null || next.done) break;
      const joined = new Uint8Array(raw.length + next.value.length);
      joined.set(raw);
      joined.set(next.value, raw.length);
      raw = joined;
      result = body(raw);
    }
  } finally {
    clearTimeout(timer);
    try {
      reader.releaseLock(); // rejects a read still pending (caught above)
    } catch {
      // Nothing to release.
    }
  }
  return result.bytes.slice(0, _BODY_PREFIX_LIMIT);
}

/** The data of the complete chunks at the start of `raw`; `done` after the last chunk. */
function _dechunk(raw: Uint8Array): { bytes: Uint8Array; done: boolean } {
  const parts: Uint8Array[] = [];
  let size = 0;
  let offset = 0;
  for (;;) {
    const lineEnd = raw.indexOf(0x0a, offset);
    if (lineEnd === -1) break;
    const line = new TextDecoder().decode(raw.subarray(offset, lineEnd));
    const chunkSize = parseInt(line.split(";")[0]!.trim(), 16);
    if (!Number.isFinite(chunkSize) || chunkSize < 0) break;
    if (chunkSize === 0) return { bytes: concatBytes(parts, size), done: true };
    const start = lineEnd + 1;
    const available = Math.min(chunkSize, raw.length - start);
    parts.push(raw.subarray(start, start + available));
    size += available;
    if (available < chunkSize) break;
    // Skip the CRLF after the chunk's data.
    offset = start + chunkSize + (raw[start + chunkSize] === 0x0d ? 2 : 1);
  }
  return { bytes: concatBytes(parts, size), done: false };
}
