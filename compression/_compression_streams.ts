/**
 * permessage-deflate on `CompressionStream`/`DecompressionStream`
 * (`"deflate-raw"`), for runtimes without `node:zlib`. Asynchronous and
 * without context takeover: every message is a DEFLATE stream of its own.
 * Not exported from `mod.ts`.
 *
 * @module
 */

import { CloseCode } from "../errors/close_code.ts";
import { WebSocketError } from "../errors/websocket_error.ts";
import { _acquireTurn, _INLINE, _SLICE as _OUTPUT_SLICE, _yieldToEventLoop } from "./_turns.ts";

/** The sync-flush tail a receiver appends (RFC 7692 §7.2.2). */
const _TAIL = new Uint8Array([0x00, 0x00, 0xff, 0xff]);
/** An empty final block (fixed Huffman, BFINAL set): ends the stream for strict decoders. */
const _FINAL = new Uint8Array([0x03, 0x00]);
/** Input is fed in slices this big, so one step inflates to at most ~1 MiB. */
const _SLICE = 1024;

/** Whether `CompressionStream("deflate-raw")` exists here. */
export function _hasCompressionStreams(): boolean {
  try {
    new CompressionStream("deflate-raw");
    new DecompressionStream("deflate-raw");
    return true;
  } catch {
    return false;
  }
}

function _endsWith(bytes: Uint8Array, end: number, suffix: readonly number[]): boolean {
  if (end < suffix.length) return false;
  for (let i = 0; i < suffix.length; i++) {
    if (bytes[end - suffix.length + i] !== suffix[i]) return false;
  }
  return true;
}

/**
 * Compress one message as a DEFLATE stream of its own, shaped as RFC 7692
 * §7.2.1 asks: a stream that ends with a sync flush and an empty final block
 * (Deno's) loses both; one that ends with a final block holding data
 * (§7.2.3.4) gets the first octet of an empty stored block, whose other
 * four octets are the tail that is removed.
 */
export async function _deflateAsync(data: Uint8Array): Promise<Uint8Array> {
  const stream = new CompressionStream("deflate-raw");
  const writer = stream.writable.getWriter();
  void writer.write(data as Uint8Array<ArrayBuffer>).catch(() => {});
  void writer.close().catch(() => {});
  const bytes = new Uint8Array(await new Response(stream.readable).arrayBuffer());
  let end = bytes.length;
  if (_endsWith(bytes, end, [0x00, 0x00, 0xff, 0xff, 0x03, 0x00])) end -= 6;
  else if (_endsWith(bytes, end, [0x00, 0x00, 0xff, 0xff])) end -= 4;
  else {
    const out = new Uint8Array(end + 1);
    out.set(bytes);
    return out;
  }
  return bytes.subarray(0, end);
}

/**
 * Inflate one message (RFC 7692 §7.2.2), stopping with 1009 as soon as the
 * output passes `maxSize` and failing with 1007 on data that is not DEFLATE.
 */
export async function _inflateAsync(payload: Uint8Array, maxSize: number): Promise<Uint8Array> {
  if (payload.length === 0) return new Uint8Array(0); // An empty message.
  try {
    return await _inflateOnce(payload, maxSize, true);
  } catch (error) {
    // A payload whose last block is final (BFINAL, §7.2.3.4) already ends
    // the stream: DecompressionStream refuses the tail appended behind it.
    // Such a payload inflates alone; anything else keeps its first error.
    if (!(error instanceof WebSocketError) || error.closeCode !== CloseCode.InvalidPayload) {
      throw error;
    }
    return await _inflateOnce(payload, maxSize, false).catch(() => {
      throw error;
    });
  }
}

/** Inflate `payload`, with the §7.2.2 tail (and a final block) behind it, or alone. */
async function _inflateOnce(
  payload: Uint8Array,
  maxSize: number,
  tail: boolean,
): Promise<Uint8Array> {
  const stream = new DecompressionStream("deflate-raw");
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let sinceYield = 0;
  let failure: unknown;
  /** Set once the message is long: it then inflates in a turn of its own. */
  let release: (() => void) | undefined;
  const reading = (async () => {
    // Bounded by the input: each read returns output of a slice written.
    while (true) {
      const { value, done } = await reader.read();
      if (done) return;
      total += value.length;
      if (total > maxSize) {
        throw new WebSocketError(
          CloseCode.MessageTooBig,
          `Message too big: it inflates to more than ${maxSize} bytes, the limit is ${maxSize}`,
        );
      }
      chunks.push(value);
      if (release === undefined && total > _INLINE) release = await _acquireTurn();
      // The stream's work runs in promise jobs: let timers and I/O in now and then.
      sinceYield += value.length;
      if (sinceYield >= _OUTPUT_SLICE) {
        sinceYield = 0;
        await _yieldToEventLoop();
      }
    }
  })().catch((error) => {
    failure ??= error;
    void writer.abort(error).catch(() => {});
    void reader.cancel(error).catch(() => {});
  });
  try {
    for (let start = 0; start < payload.length && failure === undefined; start += _SLICE) {
      await writer.write(payload.subarray(start, start + _SLICE) as Uint8Array<ArrayBuffer>);
    }
    if (tail && failure === undefined) await writer.write(_TAIL);
    if (tail && failure === undefined) await writer.write(_FINAL);
    if (failure === undefined) await writer.close();
  } catch (error) {
    failure ??= error;
  }
  await reading;
  release?.();
  if (failure !== undefined) {
    if (failure instanceof WebSocketError) throw failure;
    throw new WebSocketError(
      CloseCode.InvalidPayload,
      `Invalid compressed message: ${failure instanceof Error ? failure.message : failure}`,
    );
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
