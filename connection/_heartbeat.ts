/**
 * Heartbeats: numbered pings every interval, round-trip times from their
 * pongs, and a count of pings left unanswered. One timer serves every
 * connection with the same interval (not one timer per connection), and
 * spreads their pings over the interval. Not exported from `mod.ts`.
 *
 * @module
 */

import { HEARTBEAT_DEFAULTS, type HeartbeatOptions } from "./heartbeat.ts";

/** Marks the ping payloads heartbeats send ("hb" + 1), followed by a 32-bit number. */
const _MAGIC0 = 0x68;
const _MAGIC1 = 0x62;
const _MAGIC2 = 0x01;

/** The heartbeat of server sockets unless told otherwise: a silent peer goes within 45 s. */
export const _SERVER_HEARTBEAT: HeartbeatOptions = HEARTBEAT_DEFAULTS;

/**
 * Refuse heartbeat settings that cannot work, before anything connects.
 *
 * @throws {RangeError} For an interval that is not a positive finite number
 * of milliseconds, or a `maxMissedPongs` that is not an integer of at least 1.
 */
export function _checkHeartbeat(options: HeartbeatOptions | false | undefined): void {
  if (options === undefined || options === false) return;
  if (!(options.interval > 0) || !Number.isFinite(options.interval)) {
    throw new RangeError(
      `Invalid heartbeat.interval: ${options.interval} (expected milliseconds above 0)`,
    );
  }
  const max = options.maxMissedPongs ?? HEARTBEAT_DEFAULTS.maxMissedPongs;
  if (!Number.isInteger(max) || max < 1) {
    throw new RangeError(`Invalid heartbeat.maxMissedPongs: ${max} (expected an integer >= 1)`);
  }
}

/** What a heartbeat uses of its connection. */
export interface _HeartbeatHost {
  ping(payload: Uint8Array): void;
  terminate(reason: string): void;
}

/**
 * Pings every interval and checks their pongs; see {@linkcode HeartbeatOptions}.
 * It holds its connection and a function shared by all connections rather
 * than closures of its own: an idle connection stays small.
 */
export class _Heartbeat<Host extends _HeartbeatHost> {
  #host: Host;
  /** Whether pongs cannot be seen now (reading waits, or the connection is closing). */
  #pongsUnseen: (host: Host) => boolean;
  #interval: number;
  #maxMissed: number;
  #clock: _Clock | undefined;
  #slot = 0;
  #next = 0;
  /** Whether the last ping is unanswered, and when it was sent. */
  #outstanding = false;
  #sentAt = 0;
  #missed = 0;
  #stopped = false;
  /** Milliseconds between the last answered ping and its pong. */
  lastRoundTripTime: number | undefined;

  constructor(options: HeartbeatOptions, host: Host, pongsUnseen: (host: Host) => boolean) {
    _checkHeartbeat(options);
    this.#interval = options.interval;
    this.#maxMissed = options.maxMissedPongs ?? HEARTBEAT_DEFAULTS.maxMissedPongs;
    this.#host = host;
    this.#pongsUnseen = pongsUnseen;
  }

  /** Send the first ping about one interval from now. */
  start(): void {
    if (this.#stopped || this.#clock !== undefined) return;
    const clock = _clocks.get(this.#interval) ?? new _Clock(this.#interval);
    this.#clock = clock;
    this.#slot = clock.add(this);
  }

  stop(): void {
    this.#stopped = true;
    this.#clock?.delete(this, this.#slot);
    this.#clock = undefined;
    this.#outstanding = false;
  }

  /** A pong arrived: when it answers one of our recent pings, the peer is alive. */
  onPong(data: Uint8Array): void {
    if (
      data.length !== 7 || data[0] !== _MAGIC0 || data[1] !== _MAGIC1 || data[2] !== _MAGIC2
    ) return;
    const number = new DataView(data.buffer, data.byteOffset + 3, 4).getUint32(0);
    const last = (this.#next - 1) >>> 0;
    // A peer may answer only the latest of several pings (§5.5.3); an
    // answer to an earlier one still shows it is alive.
    if (((last - number) >>> 0) > this.#maxMissed) return;
    this.#missed = 0;
    if (number !== last || !this.#outstanding) return;
    this.#outstanding = false;
    this.lastRoundTripTime = performance.now() - this.#sentAt;
  }

  /** Called by the clock once per interval. */
  tick(): void {
    if (this.#outstanding && !this.#pongsUnseen(this.#host)) {
      this.#missed++;
      if (this.#missed >= this.#maxMissed) {
        this.stop();
        this.#host.terminate(
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
    this.#outstanding = true;
    this.#sentAt = performance.now();
    this.#host.ping(payload);
  }
}

/** What a clock calls once per interval. */
interface _Ticking {
  tick(): void;
}

/** Ticks per interval: each visits one slot, so a slot's heartbeats tick once per interval. */
const _SLOTS = 8;
/** The clock of each interval in use. */
const _clocks = new Map<number, _Clock>();

/**
 * One timer for all heartbeats of an interval. Heartbeats are spread over
 * `_SLOTS` slots and the timer visits one slot per tick, so that thousands
 * of connections opened together do not all ping in the same tick. It runs
 * only while it has heartbeats.
 */
class _Clock {
  #interval: number;
  #slots: Set<_Ticking>[] = [];
  #current = 0;
  #size = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(interval: number) {
    this.#interval = interval;
    for (let i = 0; i < _SLOTS; i++) this.#slots.push(new Set());
    _clocks.set(interval, this);
  }

  /** Add `heartbeat`; it ticks one interval from now (within a tick). Returns its slot. */
  add(heartbeat: _Ticking): number {
    // The slot just visited comes round again in a whole interval.
    const slot = (this.#current + _SLOTS - 1) % _SLOTS;
    this.#slots[slot]!.add(heartbeat);
    if (this.#size++ === 0) {
      this.#timer = setInterval(() => this.#tick(), this.#interval / _SLOTS);
    }
    return slot;
  }

  delete(heartbeat: _Ticking, slot: number): void {
    if (!this.#slots[slot]!.delete(heartbeat) || --this.#size > 0) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    _clocks.delete(this.#interval);
  }

  #tick(): void {
    const slot = this.#slots[this.#current]!;
    this.#current = (this.#current + 1) % _SLOTS;
    // A heartbeat that fails is deleted while the slot is visited: Sets allow it.
    for (const heartbeat of slot) heartbeat.tick();
  }
}
