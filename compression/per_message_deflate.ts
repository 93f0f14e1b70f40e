import { CloseCode } from "../errors/close_code.ts";
import { WebSocketError } from "../errors/websocket_error.ts";
import { type ExtensionOffer, parseExtensionHeader } from "../handshake/extension_header.ts";
import {
  acceptPerMessageDeflateResponse,
  PERMESSAGE_DEFLATE,
  perMessageDeflateOffer,
  type PerMessageDeflateOptions,
  type PerMessageDeflateParams,
  perMessageDeflateServer,
} from "../handshake/permessage_deflate.ts";
import type { ServerExtension } from "../handshake/server_handshake.ts";
import type { MessageCompression } from "../protocol/websocket_protocol.ts";
import { _deflateAsync, _hasCompressionStreams, _inflateAsync } from "./_compression_streams.ts";
import { _INLINE, _inTurn, _SLICE, _yieldToEventLoop } from "./_turns.ts";
import { _zlib } from "./_zlib.ts";
import { type DeflaterOptions, MessageDeflater, MessageInflater } from "./deflate_codec.ts";

/**
 * How this runtime compresses: `"zlib"` (the runtime's `node:zlib`,
 * synchronous, with context takeover), `"compression-streams"`
 * (`CompressionStream("deflate-raw")`, asynchronous, every message on its
 * own), or `"none"`.
 */
export type DeflateBackend = "zlib" | "compression-streams" | "none";

/**
 * The best way to compress in this runtime: the runtime's zlib when
 * `node:zlib` is there (Deno, Node ≥ 20.16, Bun, Cloudflare Workers with
 * `nodejs_compat`), else `CompressionStream`, else none.
 *
 * @returns The backend that {@linkcode PerMessageDeflate} uses by default.
 *
 * @example
 * ```ts
 * import { deflateBackend } from "@edgews/websocket/compression";
 * import assert from "node:assert/strict";
 *
 * assert.equal(deflateBackend(), "zlib"); // Deno has node:zlib
 * ```
 */
export function deflateBackend(): DeflateBackend {
  if (_zlib() !== undefined) return "zlib";
  return _hasCompressionStreams() ? "compression-streams" : "none";
}

/** The defaults of {@linkcode PerMessageDeflateConfig} beyond `DEFLATE_DEFAULTS`. */
export const PER_MESSAGE_DEFLATE_DEFAULTS: { readonly threshold: number } = Object.freeze({
  threshold: 1024,
});

/**
 * Settings for permessage-deflate: what to negotiate (the RFC 7692
 * parameters), and how to compress.
 */
export interface PerMessageDeflateConfig
  extends PerMessageDeflateOptions, Pick<DeflaterOptions, "level" | "memLevel"> {
  /**
   * Messages shorter than this many bytes (text as UTF-8) are sent
   * uncompressed: below about a kilobyte compression saves little and costs
   * time.
   * @default {1024}
   */
  threshold?: number | undefined;
  /**
   * Force a backend instead of the best one available (mostly for tests).
   * With `"compression-streams"` the peer is asked to reset its context
   * after every message, and messages go out uncompressed when the peer
   * limits this side's window below 15 bits.
   * @default {deflateBackend()}
   */
  backend?: "zlib" | "compression-streams" | undefined;
}

/** The backend `config` asks for, checked against the runtime. */
function _backend(config: PerMessageDeflateConfig): DeflateBackend {
  if (config.backend === undefined) return deflateBackend();
  if (config.backend === "zlib") return _zlib() === undefined ? "none" : "zlib";
  return _hasCompressionStreams() ? "compression-streams" : "none";
}

/**
 * What to negotiate with `config` on `backend`: without zlib, the peer must
 * not keep context (this side cannot inflate across messages).
 */
function _negotiable(
  config: PerMessageDeflateConfig,
  role: "client" | "server",
  backend: DeflateBackend,
): PerMessageDeflateOptions {
  const options: PerMessageDeflateOptions = {
    serverNoContextTakeover: config.serverNoContextTakeover,
    clientNoContextTakeover: config.clientNoContextTakeover,
    serverMaxWindowBits: config.serverMaxWindowBits,
    clientMaxWindowBits: config.clientMaxWindowBits,
  };
  if (backend === "compression-streams") {
    if (role === "server") options.clientNoContextTakeover = true;
    else options.serverNoContextTakeover = true;
  }
  return options;
}

function _checkConfig(config: PerMessageDeflateConfig): number {
  const threshold = config.threshold ?? PER_MESSAGE_DEFLATE_DEFAULTS.threshold;
  if (!(threshold >= 0)) {
    throw new RangeError(`Invalid permessage-deflate threshold: ${threshold} is not 0 or more`);
  }
  return threshold;
}

/**
 * permessage-deflate for one connection (RFC 7692 §7): compresses outgoing
 * messages of at least `threshold` bytes and decompresses incoming ones,
 * with the window kept from message to message unless the handshake said
 * `*_no_context_takeover`. Plus, as static methods, the negotiation this
 * runtime can honour.
 *
 * With the runtime's zlib it is a {@linkcode MessageCompression} that
 * `WebSocketProtocol` runs inline (synchronous). `decompress` holds the
 * thread until the message is whole (64 KB can inflate to 63 MiB, ~0.3 s),
 * so a server reading untrusted peers uses `tryDecompress` and
 * `decompressAsync`, which inflate long messages in slices. Without zlib,
 * `CompressionStream` serves `compressAsync` and `decompressAsync` only.
 * Memory per connection: see {@linkcode MessageDeflater}.

 *
 * @example Both ends of a connection, from the negotiated header
 * ```ts
 * import { PerMessageDeflate } from "@edgews/websocket/compression";
 * import assert from "node:assert/strict";
 *
 * const agreed = "permessage-deflate; client_max_window_bits=12";
 * const server = PerMessageDeflate.fromHandshake(agreed, "server", { threshold: 0 })!;
 * const client = PerMessageDeflate.fromHandshake(agreed, "client", { clientMaxWindowBits: 12 })!;
 * const json = new TextEncoder().encode(JSON.stringify({ hello: "world".repeat(50) }));
 * const wire = server.compress(json)!;
 * assert.ok(wire.length < json.length);
 * assert.deepEqual(client.decompress(wire, 1 << 20), json);
 * server.close();
 * client.close();
 * ```
 */
export class PerMessageDeflate implements MessageCompression {
  #params: PerMessageDeflateParams;
  #threshold: number;
  #synchronous: boolean;
  /** Whether this side may compress at all (always with zlib). */
  #canCompress: boolean;
  #deflater: MessageDeflater | undefined;
  #inflater: MessageInflater | undefined;

  /**
   * The server's negotiator for `config` in this runtime, for the
   * `extensions` option of `negotiateServerHandshake`. Without zlib it asks
   * the client not to keep context; where nothing can compress it declines
   * every offer.
   *
   * @param config What the server wants.
   * @returns The negotiator.
   * @throws {RangeError} For a window size or threshold out of range.
   *
   * @example
   * ```ts
   * import { PerMessageDeflate } from "@edgews/websocket/compression";
   * import { parseExtensionHeader } from "@edgews/websocket/handshake";
   * import assert from "node:assert/strict";
   *
   * const negotiator = PerMessageDeflate.serverExtension({ serverNoContextTakeover: true });
   * const answer = negotiator.negotiate(parseExtensionHeader("permessage-deflate; client_max_window_bits"));
   * assert.equal(answer?.params.has("server_no_context_takeover"), true);
   * ```
   */
  static serverExtension(config: PerMessageDeflateConfig = {}): ServerExtension {
    _checkConfig(config);
    const backend = _backend(config);
    const negotiator = perMessageDeflateServer(_negotiable(config, "server", backend));
    if (backend !== "none") return negotiator;
    return { name: PERMESSAGE_DEFLATE, negotiate: () => undefined };
  }

  /**
   * The client's offer for `config` in this runtime, or `undefined` where
   * nothing can compress.
   *
   * @param config What the client wants.
   * @returns One element for `Sec-WebSocket-Extensions`, or `undefined`.
   * @throws {RangeError} For a window size or threshold out of range.
   *
   * @example
   * ```ts
   * import { PerMessageDeflate } from "@edgews/websocket/compression";
   * import { formatExtensionHeader } from "@edgews/websocket/handshake";
   * import assert from "node:assert/strict";
   *
   * const offer = PerMessageDeflate.clientOffer()!;
   * assert.equal(formatExtensionHeader([offer]), "permessage-deflate; client_max_window_bits");
   * ```
   */
  static clientOffer(config: PerMessageDeflateConfig = {}): ExtensionOffer | undefined {
    _checkConfig(config);
    const backend = _backend(config);
    if (backend === "none") return undefined;
    return perMessageDeflateOffer(_negotiable(config, "client", backend));
  }

  /**
   * The codec for a connection whose handshake agreed on `extensions` (the
   * `Sec-WebSocket-Extensions` value of the 101), or `undefined` when it
   * has no permessage-deflate. A client checks the server's parameters
   * against what {@linkcode PerMessageDeflate.clientOffer} offered with the
   * same `config` (RFC 7692 §5.1, §7.1).
   *
   * @param extensions The agreed header value, `""` for none.
   * @param role This endpoint's role.
   * @param config The settings the offer or negotiator was made with.
   * @returns The codec, or `undefined`.
   * @throws {WebSocketError} With 1010 when a server's response is invalid:
   * the client must then fail the connection.
   *
   * @example
   * ```ts
   * import { PerMessageDeflate } from "@edgews/websocket/compression";
   * import assert from "node:assert/strict";
   *
   * assert.equal(PerMessageDeflate.fromHandshake("", "client"), undefined);
   * const codec = PerMessageDeflate.fromHandshake("permessage-deflate; server_no_context_takeover", "client")!;
   * assert.equal(codec.params.serverNoContextTakeover, true);
   * assert.throws(
   *   () => PerMessageDeflate.fromHandshake("permessage-deflate; server_max_window_bits=20", "client"),
   *   { name: "WebSocketError", closeCode: 1010 },
   * );
   * ```
   */
  static fromHandshake(
    extensions: string,
    role: "client" | "server",
    config: PerMessageDeflateConfig = {},
  ): PerMessageDeflate | undefined {
    if (extensions === "") return undefined;
    let elements: ExtensionOffer[];
    try {
      elements = parseExtensionHeader(extensions);
    } catch (error) {
      throw new WebSocketError(
        CloseCode.MandatoryExtension,
        `Invalid permessage-deflate response: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const element = elements.find((e) => e.name.toLowerCase() === PERMESSAGE_DEFLATE);
    if (element === undefined) return undefined;
    // The server checks its own answer too: it is what the client will use.
    const offered = role === "client" ? _negotiable(config, role, _backend(config)) : {};
    const params = acceptPerMessageDeflateResponse(element, offered);
    return new PerMessageDeflate(params, role, config);
  }

  /**
   * Create the codec for agreed parameters. No zlib memory is taken until
   * the first message in each direction.
   *
   * @param params What the handshake agreed.
   * @param role This endpoint's role: the server compresses with the
   * `server_*` parameters and decompresses with the `client_*` ones.
   * @param config Threshold, level, memory level, backend.
   * @throws {TypeError} Where the runtime cannot compress at all, or when
   * the `CompressionStream` backend would need to inflate with context
   * takeover.
   * @throws {RangeError} For a threshold or level out of range.
   */
  constructor(
    params: PerMessageDeflateParams,
    role: "client" | "server",
    config: PerMessageDeflateConfig = {},
  ) {
    this.#params = { ...params };
    this.#threshold = _checkConfig(config);
    const server = role === "server";
    const ownBits = server ? params.serverMaxWindowBits : params.clientMaxWindowBits;
    const ownNoContext = server ? params.serverNoContextTakeover : params.clientNoContextTakeover;
    const peerBits = server ? params.clientMaxWindowBits : params.serverMaxWindowBits;
    const peerNoContext = server ? params.clientNoContextTakeover : params.serverNoContextTakeover;
    const backend = _backend(config);
    if (backend === "none") {
      throw new TypeError(
        "Cannot use permessage-deflate: this runtime has neither node:zlib nor CompressionStream",
      );
    }
    this.#synchronous = backend === "zlib";
    if (this.#synchronous) {
      this.#canCompress = true;
      this.#deflater = new MessageDeflater({
        windowBits: ownBits,
        level: config.level,
        memLevel: config.memLevel,
        noContextTakeover: ownNoContext,
      });
      this.#inflater = new MessageInflater({
        windowBits: peerBits,
        noContextTakeover: peerNoContext,
      });
    } else {
      if (!peerNoContext) {
        throw new TypeError(
          "Cannot use permessage-deflate on CompressionStream: the peer keeps its context between messages",
        );
      }
      // CompressionStream always uses a 32 KiB window: send uncompressed
      // when the peer asked for less. A fresh stream per message fits
      // either context takeover setting.
      this.#canCompress = ownBits === 15;
    }
  }

  /** The parameters in force. */
  get params(): PerMessageDeflateParams {
    return { ...this.#params };
  }

  /**
   * Whether `compress` and `decompress` work (the zlib backend); otherwise
   * use `compressAsync` and `decompressAsync`.
   */
  get synchronous(): boolean {
    return this.#synchronous;
  }

  /**
   * Compress an outgoing message payload (RFC 7692 §7.2.1).
   *
   * @param payload The message (text as UTF-8).
   * @returns The payload to send with RSV1 set, or `undefined` to send the
   * message uncompressed (shorter than `threshold`).
   * @throws {TypeError} Without the zlib backend, or after `close`.
   */
  compress(payload: Uint8Array): Uint8Array | undefined {
    if (payload.length < this.#threshold) return undefined;
    if (this.#deflater === undefined) this.#notSynchronous();
    return this.#deflater.deflate(payload);
  }

  /**
   * Decompress an incoming message's payload (RFC 7692 §7.2.2).
   *
   * @param payload The payload of a message that had RSV1 set.
   * @param maxSize The largest decompressed size accepted.
   * @returns The message's bytes.
   * @throws {WebSocketError} 1009 as soon as the output passes `maxSize`,
   * 1007 for invalid DEFLATE data.
   * @throws {TypeError} Without the zlib backend, or after `close`.
   */
  decompress(payload: Uint8Array, maxSize: number): Uint8Array {
    if (this.#inflater === undefined) this.#notSynchronous();
    return this.#inflater.inflate(payload, maxSize);
  }

  /**
   * {@linkcode PerMessageDeflate.compress} on any backend.
   *
   * @param payload The message (text as UTF-8).
   * @returns The compressed payload, or `undefined` to send it uncompressed.
   */
  compressAsync(payload: Uint8Array): Promise<Uint8Array | undefined> {
    if (this.#synchronous) {
      try {
        return Promise.resolve(this.compress(payload));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    if (payload.length < this.#threshold || !this.#canCompress) return Promise.resolve(undefined);
    return _deflateAsync(payload);
  }

  /**
   * Decompress a message now if it inflates to at most 64 KiB, so that
   * small messages cost no promise; otherwise return
   * `undefined` with the message started, to be finished by
   * {@linkcode PerMessageDeflate.decompressAsync} with the same `payload`
   * (before any other message). While a message is unfinished, later ones
   * get `undefined` without being started: pass them to `decompressAsync`
   * in order too. Without zlib it always returns `undefined`.
   *
   * @param payload The payload of a message that had RSV1 set.
   * @param maxSize The largest decompressed size accepted.
   * @returns The message's bytes, or `undefined`.
   * @throws {WebSocketError} 1009 as soon as the output passes `maxSize`,
   * 1007 for invalid DEFLATE data.
   * @throws {TypeError} After `close`.
   */
  tryDecompress(payload: Uint8Array, maxSize: number): Uint8Array | undefined {
    const inflater = this.#inflater;
    // A message still unfinished holds the window: this one waits its turn.
    if (inflater === undefined || inflater.inflating) return undefined;
    return inflater.inflateSlice(payload, maxSize, _INLINE);
  }

  /**
   * {@linkcode PerMessageDeflate.decompress} on any backend, without
   * holding the event loop: a message that inflates to more than 64 KiB is
   * inflated in slices of 256 KiB with timers and I/O let run between
   * them, and such messages take turns, one at a time in the process (so
   * at most one message's output up to `maxSize` is being built at a time).
   *
   * @param payload The payload of a message that had RSV1 set.
   * @param maxSize The largest decompressed size accepted.
   * @returns The message's bytes.
   */
  decompressAsync(payload: Uint8Array, maxSize: number): Promise<Uint8Array> {
    const inflater = this.#inflater;
    if (inflater === undefined) return _inflateAsync(payload, maxSize);
    if (!inflater.inflating) {
      // Not started by tryDecompress: a message that fits one slice is done now.
      let bytes: Uint8Array | undefined;
      try {
        bytes = inflater.inflateSlice(payload, maxSize, _SLICE);
      } catch (error) {
        return Promise.reject(error);
      }
      if (bytes !== undefined) return Promise.resolve(bytes);
    }
    return _inTurn(async () => {
      // Bounded: every slice produces output up to maxSize, or ends or throws.
      while (true) {
        const bytes = inflater.inflateSlice(payload, maxSize, _SLICE);
        if (bytes !== undefined) return bytes;
        await _yieldToEventLoop();
      }
    });
  }

  /** Free the zlib state. The codec cannot be used afterwards. */
  close(): void {
    this.#deflater?.close();
    this.#inflater?.close();
  }

  #notSynchronous(): never {
    throw new TypeError(
      "Cannot compress synchronously on the CompressionStream backend: use compressAsync/decompressAsync",
    );
  }
}
