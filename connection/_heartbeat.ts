/**
 * The heartbeat timer of a connection: numbered pings every interval,
 * round-trip times from their pongs, and a count of pings left unanswered.
 * Not exported from `mod.ts`.
 *
 * @module
 */

import type { HeartbeatOptions } from "./heartbeat.ts";

/** Marks the ping payloads this timer sends ("hb" + 1), followed by a 32-bit number. */
const _MAGIC0 = 0x68;
const _MAGIC1 = 0x62;
const _MAGIC2 = 0x01;

/**
 * Refuse heartbeat settings that cannot work, before anything connects.
 *
 * @throws {RangeError} For an interval that is not a positive finite number
 * of milliseconds, or a `maxMissedPongs` that is not an integer of at least 1.
 */
export function _checkHeartbeat(options: HeartbeatOptions | undefined): void {
  if (options === undefined) return;
  if (!(options.interval > 0) || !Number.isFinite(options.interval)) {
    throw new RangeError(
      `Invalid heartbeat.interval: ${options.interval} (expected milliseconds above 0)`,
    );
  }
  const max = options.maxMissedPongs ?? 2;
  if (!Number.isInteger(max) || max < 1) {
    throw new RangeError(`Invalid heartbeat.maxMissedPongs: ${max} (expected an integer >= 1)`);
  }
}

/** Pings every interval and checks their pongs; see {@linkcode HeartbeatOptions}. */
export class _Heartbeat {
  #interval: number;
  #maxMissed: number;
  #ping: (payload: Uint8Array) => void;
  #fail: (reason: string) => void;
  #paused: () => boolean;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #next = 0;
  /** Sent and unanswered pings: number → time sent. At most `maxMissed + 1` entries. */
  #outstanding = new Map<number, number>();
  #missed = 0;
  #stopped = false;
  /** Milliseconds between the last answered ping and its pong. */
  lastRoundTripTime: number | undefined;

  constructor(
    options: HeartbeatOptions,
    ping: (payload: Uint8Array) => void,
    fail: (reason: string) => void,
    paused: () => boolean,
  ) {
    _checkHeartbeat(options);
    this.#interval = options.interval;
    this.#maxMissed = options.maxMissedPongs ?? 2;
    this.#ping = ping;
    this.#fail = fail;
    this.#paused = paused;
  }

  /** Send the first ping after one interval. */
  start(): void {
    if (this.#stopped || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => this.#tick(), this.#interval);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#outstanding.clear();
  }

  /** A pong arrived: when it answers one of our pings, the peer is alive. */
  onPong(data: Uint8Array): void {
    if (
      data.length !== 7 || data[0] !== _MAGIC0 || data[1] !== _MAGIC1 || data[2] !== _MAGIC2
    ) return;
    const number = new DataView(data.buffer, data.byteOffset + 3, 4).getUint32(0);
    const sent = this.#outstanding.get(number);
    if (sent === undefined) return;
    this.lastRoundTripTime = performance.now() - sent;
    this.#missed = 0;
    // Earlier pings are answered by this one too (a peer may answer only the latest, §5.5.3).
    for (const key of this.#outstanding.keys()) {
      this.#outstanding.delete(key);
      if (key === number) break;
    }
  }

  #tick(): void {
    this.#timer = undefined;
    if (this.#stopped) return;
    const outstanding = this.#outstanding;
    if (outstanding.size > 0 && !this.#paused()) {
      this.#missed++;
      if (this.#missed >= this.#maxMissed) {
        this.stop();
        this.#fail(
          `Heartbeat failed: ${this.#missed} ping(s) in a row unanswered for ${this.#interval} ms each`,
        );
        return;
      }
    }
    const number = this.#next;
    this.#next = (number + 1) >>> 0;
    const payload = new Uint8Array(7);
    payload[0] = _MAGIC0;
    payload[1] = _MAGIC1;
    payload[2] = _MAGIC2;
    new DataView(payload.buffer).setUint32(3, number);
    outstanding.set(number, performance.now());
    // Keep the map bounded: the oldest entry cannot matter once newer pings are out.
    if (outstanding.size > this.#maxMissed + 1) {
      outstanding.delete(outstanding.keys().next().value!);
    }
    this.#ping(payload);
    this.#timer = setTimeout(() => this.#tick(), this.#interval);
  }
}
