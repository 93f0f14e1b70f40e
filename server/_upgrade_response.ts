/**
 * The `Response` that `upgradeWebSocket` returns, on every runtime. Not
 * exported from `mod.ts`.
 *
 * @module
 */

import { latin1Encode } from "../http/_http_syntax.ts";
import { formatExtensionHeader } from "../handshake/extension_header.ts";
import {
  _acceptedHeaders,
  type _HandshakeAnswer,
  handshakeResponse,
  type ServerHandshakeRejected,
} from "../handshake/server_handshake.ts";

/** The init of the `Response` underneath: a 101 where the runtime allows one. */
let _init: ResponseInit | undefined;

/**
 * The 101 of an accepted handshake. Deno and Bun construct a 101
 * `Response`; Node's refuses any status below 200 (a `RangeError`), so
 * there the `Response` underneath is a 200 and `status` reads 101 all the
 * same. Either way only this module's servers send it, and they write the
 * head themselves, so it never reaches a runtime's own HTTP stack.
 *
 * Its headers are made only when `headers` is first read: a handler that
 * returns the response untouched (the usual case) gets its head written
 * from the handshake's answer, without a `Headers` (each field costs a few
 * µs on Deno) or a pass over one.
 */
export class _UpgradeResponse extends Response {
  /** The handshake's answer, until `headers` is first read. */
  #answer: _HandshakeAnswer | undefined;

  constructor(answer: _HandshakeAnswer) {
    if (_init === undefined) {
      try {
        new Response(null, { status: 101 });
        _init = { status: 101 };
      } catch {
        _init = { status: 200 };
      }
    }
    super(null, _init);
    this.#answer = answer;
  }

  override get status(): number {
    return 101;
  }

  override get statusText(): string {
    return "Switching Protocols";
  }

  override get ok(): boolean {
    return false;
  }

  override get headers(): Headers {
    const headers = super.headers;
    const answer = this.#answer;
    if (answer !== undefined) {
      this.#answer = undefined;
      const accepted = _acceptedHeaders(answer);
      // forEach, not for-of: Deno's Headers iterator is several times dearer.
      accepted.forEach((value, name) => headers.append(name, value));
    }
    return headers;
  }

  /**
   * The head bytes of `response` when its headers were never read nor
   * added to (no `options.headers` either), or `undefined`: then they are
   * to be written from `headers`.
   */
  static untouchedHead(response: _UpgradeResponse): Uint8Array | undefined {
    const answer = response.#answer;
    if (answer === undefined || answer.extra !== undefined) return undefined;
    // The fields in the order (by name) and spelling that writeResponseHead gives them.
    let head = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n" +
      `Sec-WebSocket-Accept: ${answer.accept}\r\n`;
    if (answer.extensions.length > 0) {
      head += `Sec-WebSocket-Extensions: ${formatExtensionHeader(answer.extensions)}\r\n`;
    }
    if (answer.protocol !== "") head += `Sec-WebSocket-Protocol: ${answer.protocol}\r\n`;
    return _headBytes(`${head}Upgrade: websocket\r\n\r\n`);
  }
}

/** Bytes for the 101 heads, handed out in order and never reused (see `_headBytes`). */
const _SLAB_SIZE = 8 * 1024;
let _slab = new Uint8Array(_SLAB_SIZE);
let _slabUsed = 0;

/**
 * The bytes of a 101 head, as a view into a shared slab: a typed array of
 * its own costs about 1 µs on Deno (its backing store is allocated and
 * zeroed apart), a view a tenth of that. The views only go to the socket,
 * which never writes into them, and a part of the slab is never handed out
 * twice; the slab is dropped when full and freed once its last head is.
 */
function _headBytes(head: string): Uint8Array {
  if (head.length > _SLAB_SIZE / 8) return latin1Encode(head);
  if (_slabUsed + head.length > _SLAB_SIZE) {
    _slab = new Uint8Array(_SLAB_SIZE);
    _slabUsed = 0;
  }
  const bytes = _slab.subarray(_slabUsed, _slabUsed + head.length);
  // By hand: encodeInto makes an object per call, and this is a few
  // hundred characters at most.
  for (let i = 0; i < head.length; i++) {
    const code = head.charCodeAt(i);
    if (code > 0xff) return latin1Encode(head); // which throws the usual error
    bytes[i] = code;
  }
  _slabUsed += head.length;
  return bytes;
}

/** The response for a handshake's outcome: the 101, or the refusal with its text. */
export function _upgradeResponse(result: _HandshakeAnswer | ServerHandshakeRejected): Response {
  return result.ok ? new _UpgradeResponse(result) : handshakeResponse(result);
}

/** Headers of the 101 that only the handshake may set. */
const _HANDSHAKE_HEADERS = new Set([
  "upgrade",
  "connection",
  "sec-websocket-accept",
  "sec-websocket-protocol",
  "sec-websocket-extensions",
  "sec-websocket-version",
]);

/**
 * The headers of the 101 head to write when the handler returned
 * `returned` for an upgrade whose response was `upgrade`: the handshake's
 * own headers always come from `upgrade`; any other header (such as
 * `Set-Cookie`) from `returned`, which is `upgrade` itself (perhaps with
 * headers added to it) or a new `101` `Response` the handler built.
 */
export function _upgradeHeadHeaders(upgrade: Response, returned: Response): Headers {
  if (returned === upgrade) return upgrade.headers;
  const headers = new Headers();
  // forEach, not for-of: see writeResponseHead.
  upgrade.headers.forEach((value, name) => {
    if (_HANDSHAKE_HEADERS.has(name)) headers.append(name, value);
  });
  returned.headers.forEach((value, name) => {
    if (!_HANDSHAKE_HEADERS.has(name)) headers.append(name, value);
  });
  return headers;
}
