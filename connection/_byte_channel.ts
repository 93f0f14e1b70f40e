/**
 * The I/O under a `WebSocketConnection`: reads chunks, queues writes, closes.
 * Two implementations: one over `read`/`write` methods (a `Deno.Conn`: reads
 * into one recycled buffer, or takes the transport's own chunks with
 * `readChunk`, and batches queued frames into one write while a write is in
 * flight), one over the web streams of any `ByteDuplex`.
 * Not exported from `mod.ts`.
 *
 * @module
 */

import type { ByteDuplex } from "./duplex.ts";
import { _lingeringClose } from "./_linger.ts";

/** Reading, writing and closing, whatever the transport. */
export interface _ByteChannel {
  /**
   * Start the next read (one at a time). What it resolves with goes to
   * {@linkcode _ByteChannel.chunkOf}. Split in two so that the caller can
   * chain it with its own `then` callbacks, made once per connection: an
   * idle connection then waits in one pending read, with no suspended async
   * function (each holds a generator, its registers, a promise and its
   * resolvers: about 0.5 KB) and no per-read closure.
   */
  read(into?: Uint8Array): Promise<unknown>;
  /** Whether `read` reads into buffers, so that one given to it is used. */
  readonly readsInto: boolean;
  /**
   * The chunk a completed read produced (valid until the next read), or
   * `null` at end of stream. A channel that reads into buffers may have
   * read into the one `read` was given (a view of it), or into its own.
   */
  chunkOf(result: unknown): Uint8Array | null;
  /** Queue bytes; the caller must not modify them afterwards. */
  write(chunk: Uint8Array): void;
  /** Bytes queued and not yet accepted by the transport. */
  readonly bufferedAmount: number;
  /** Resolves when the queue is below the high-water mark (or the channel failed). */
  ready(): Promise<void>;
  /**
   * Flush queued bytes (for at most `timeout` ms), then close both
   * directions; with `linger` (the default) through a lingering close where
   * the transport can half-close (see `_lingeringClose`).
   */
  close(timeout: number, linger?: boolean): Promise<void>;
}

/**
 * Read buffer sizes. An idle connection always has a read pending, and the
 * runtime holds its buffer for as long as it waits: so the buffer starts
 * small (thousands of idle connections cost little) and grows fourfold
 * whenever a read fills it (bulk traffic gets big reads within a few reads).
 * Then it stays: it shrinks fourfold only after a run of reads that each used
 * under a sixteenth of it, so traffic whose reads vary in size (a peer that
 * writes 16 KiB messages in pieces) does not shrink and regrow it, each time
 * a fresh zero-filled buffer of up to 256 KiB. 128 bytes hold a small frame
 * (a chat message, a ping) in one read; 512 cost 1 KiB more RSS per idle
 * connection (5,000 idle: 20.1 against 19.2 KiB, Deno native 19.1).
 */
const _READ_MIN = 128;
const _READ_MAX = 256 * 1024;
/** Reads under a sixteenth of the buffer, in a row, before it shrinks. */
const _SHRINK_AFTER = 32;

/**
 * Pick the fastest channel the duplex allows; `ready()` waits while
 * `highWaterMark` bytes or more are queued. A failed write calls
 * `onWriteError(owner)`: one function for every connection, rather than a
 * closure (and its context) kept by each idle connection.
 */
export function _openChannel<Owner>(
  duplex: ByteDuplex,
  onWriteError: (owner: Owner) => void,
  owner: Owner,
  highWaterMark: number,
): _ByteChannel {
  const failed = onWriteError as (owner: unknown) => void;
  return (duplex.read !== undefined || duplex.readChunk !== undefined) &&
      duplex.write !== undefined
    ? new _DirectChannel(duplex, failed, owner, highWaterMark)
    : new _StreamChannel(duplex, failed, owner, highWaterMark);
}

/** Over `read(buffer)`/`write(bytes)`, as `Deno.Conn` has them, or `readChunk()`/`write(bytes)`. */
class _DirectChannel implements _ByteChannel {
  #duplex: ByteDuplex;
  #onWriteError: (owner: unknown) => void;
  #owner: unknown;
  #highWaterMark: number;
  /** The recycled read buffer; none when the duplex hands out its own chunks. */
  #buffer: Uint8Array | undefined;
  #smallReads = 0;
  /** A read into a buffer is in flight (a lingering close must not read beside it). */
  #reading = false;
  /** The buffer the pending read was given instead of `#buffer`. */
  #into: Uint8Array | undefined;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #writing: Promise<void> | undefined;
  #waiters: (() => void)[] | undefined;
  #failed = false;

  constructor(
    duplex: ByteDuplex,
    onWriteError: (owner: unknown) => void,
    owner: unknown,
    highWaterMark: number,
  ) {
    this.#duplex = duplex;
    this.#onWriteError = onWriteError;
    this.#owner = owner;
    this.#highWaterMark = highWaterMark;
    if (duplex.readChunk === undefined) this.#buffer = new Uint8Array(_READ_MIN);
  }

  get bufferedAmount(): number {
    return this.#queued;
  }

  get readsInto(): boolean {
    return this.#buffer !== undefined;
  }

  read(into?: Uint8Array): Promise<Uint8Array | number | null> {
    // A duplex whose read throws (or returns a plain value) still yields a
    // promise: the connection then ends with 1006 like on any read failure.
    try {
      const buffer = this.#buffer;
      if (buffer === undefined) return Promise.resolve(this.#duplex.readChunk!());
      this.#into = into;
      this.#reading = true;
      return Promise.resolve(this.#duplex.read!(into ?? buffer));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  chunkOf(result: unknown): Uint8Array | null {
    const buffer = this.#buffer;
    if (buffer === undefined) return result as Uint8Array | null;
    this.#reading = false;
    const n = result as number | null;
    if (n === null) return null;
    const into = this.#into;
    if (into !== undefined) {
      this.#into = undefined;
      return into.subarray(0, n);
    }
    const size = buffer.length;
    if (n === size) {
      // The peer had more: read in bigger bites. The chunk handed out stays
      // valid, since the old buffer is simply no longer reused.
      this.#smallReads = 0;
      if (size < _READ_MAX) this.#buffer = new Uint8Array(Math.min(size * 4, _READ_MAX));
    } else if (size > _READ_MIN && n < size >>> 4) {
      if (++this.#smallReads >= _SHRINK_AFTER) {
        this.#smallReads = 0;
        this.#buffer = new Uint8Array(Math.max(size >>> 2, _READ_MIN));
      }
    } else this.#smallReads = 0;
    return buffer.subarray(0, n);
  }

  write(chunk: Uint8Array): void {
    if (this.#failed) return;
    this.#queue.push(chunk);
    this.#queued += chunk.length;
    // The first write waits for the end of the current task, so that every
    // frame produced by it (a batch of echoes, a header and its payload)
    // leaves in one write.
    this.#writing ??= Promise.resolve().then(() => this.#drain());
  }

  ready(): Promise<void> {
    if (this.#queued < this.#highWaterMark || this.#failed) return Promise.resolve();
    return new Promise((resolve) => (this.#waiters ??= []).push(resolve));
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const queue = this.#queue;
        this.#queue = [];
        // What was queued since the last write goes out in as few writes as
        // copying allows: small chunks (a batch of echoes, a frame header)
        // are joined in a pooled buffer, topped up with the head of a large
        // chunk that follows; the rest of a large chunk (a big message's
        // payload) is written from where it lies, never copied.
        let i = 0;
        let skip = 0;
        while (i < queue.length) {
          const first = queue[i]!;
          if (first.length - skip >= _JOIN_MAX || i + 1 === queue.length) {
            await this.#writeAll(skip === 0 ? first : first.subarray(skip));
            i++;
            skip = 0;
            continue;
          }
          let total = 0;
          let j = i;
          while (j < queue.length && total + queue[j]!.length - (j === i ? skip : 0) <= _JOIN_MAX) {
            total += queue[j]!.length - (j === i ? skip : 0);
            j++;
          }
          // The head of the next chunk fills the batch up to _JOIN_MAX.
          const head = j < queue.length ? _JOIN_MAX - total : 0;
          const pooled = _takeBatchBuffer(total + head);
          let offset = 0;
          for (let k = i; k < j; k++) {
            const chunk = k === i && skip !== 0 ? queue[k]!.subarray(skip) : queue[k]!;
            pooled.set(chunk, offset);
            offset += chunk.length;
          }
          skip = 0;
          if (head > 0) {
            pooled.set(queue[j]!.subarray(0, head), offset);
            skip = head;
          }
          i = j;
          await this.#writeAll(pooled.subarray(0, total + head));
          _giveBatchBuffer(pooled);
        }
      }
    } catch {
      this.#failed = true;
      this.#queue = [];
      this.#queued = 0;
      this.#wake();
      this.#onWriteError(this.#owner);
    } finally {
      this.#writing = undefined;
    }
  }

  /** Write all of `bytes`, then count them out of the queue. */
  async #writeAll(bytes: Uint8Array): Promise<void> {
    const duplex = this.#duplex;
    let offset = 0;
    while (offset < bytes.length) {
      offset += await duplex.write!(offset === 0 ? bytes : bytes.subarray(offset));
    }
    this.#queued -= bytes.length;
    if (this.#queued < this.#highWaterMark) this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    if (waiters === undefined) return;
    this.#waiters = undefined;
    for (const wake of waiters) wake();
  }

  async close(timeout: number, linger = true): Promise<void> {
    if (this.#writing !== undefined) await _settledWithin(this.#writing, timeout);
    const flushed = linger && this.#writing === undefined && !this.#failed;
    this.#failed = true;
    this.#wake();
    const duplex = this.#duplex;
    if (
      flushed && !this.#reading && this.#buffer !== undefined && duplex.closeWrite !== undefined
    ) {
      const closeWrite = duplex.closeWrite;
      void _lingeringClose({
        closeWrite: () => closeWrite.call(duplex),
        read: (buffer) => duplex.read!(buffer),
        close: () => duplex.close?.(),
      }, this.#buffer);
      return;
    }
    try {
      duplex.close?.();
    } catch {
      // Already closed.
    }
  }
}

/** Over the web streams of any duplex. */
class _StreamChannel implements _ByteChannel {
  #duplex: ByteDuplex;
  #onWriteError: (owner: unknown) => void;
  #owner: unknown;
  #highWaterMark: number;
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #waiters: (() => void)[] | undefined;
  #failed = false;

  constructor(
    duplex: ByteDuplex,
    onWriteError: (owner: unknown) => void,
    owner: unknown,
    highWaterMark: number,
  ) {
    this.#duplex = duplex;
    this.#onWriteError = onWriteError;
    this.#owner = owner;
    this.#highWaterMark = highWaterMark;
    this.#reader = duplex.readable.getReader();
    this.#writer = duplex.writable.getWriter();
  }

  get bufferedAmount(): number {
    return this.#queued;
  }

  readonly readsInto = false;

  read(): Promise<ReadableStreamReadResult<Uint8Array>> {
    return this.#reader.read();
  }

  chunkOf(result: unknown): Uint8Array | null {
    const { value, done } = result as ReadableStreamReadResult<Uint8Array>;
    return done ? null : value;
  }

  write(chunk: Uint8Array): void {
    this.#queue.push(chunk);
    this.#queued += chunk.length;
    if (this.#queue.length === 1) queueMicrotask(() => this.#flush());
  }

  /** One stream write per task: the chunks written during it, joined. */
  #flush(): void {
    const queue = this.#queue;
    if (queue.length === 0) return;
    this.#queue = [];
    const batch = queue.length === 1 ? queue[0]! : _concat(queue);
    const size = batch.length;
    this.#writer.write(batch).then(
      () => this.#written(size),
      () => {
        this.#failed = true;
        this.#written(size);
        this.#onWriteError(this.#owner);
      },
    );
  }

  #written(size: number): void {
    this.#queued -= size;
    const waiters = this.#waiters;
    if (waiters === undefined || (this.#queued >= this.#highWaterMark && !this.#failed)) return;
    this.#waiters = undefined;
    for (const wake of waiters) wake();
  }

  ready(): Promise<void> {
    if (this.#queued < this.#highWaterMark || this.#failed) return Promise.resolve();
    return new Promise((resolve) => (this.#waiters ??= []).push(resolve));
  }

  async close(timeout: number): Promise<void> {
    // Let queued frames (the close frame above all) reach the transport, but
    // not forever: a peer that stopped reading must not hold us.
    this.#flush();
    await _settledWithin(this.#writer.close(), timeout);
    this.#failed = true;
    this.#written(0);
    this.#reader.cancel().catch(() => {});
    try {
      this.#duplex.close?.();
    } catch {
      // Already closed.
    }
    // A writer stuck on a dead peer is released here.
    this.#writer.abort().catch(() => {});
  }
}

/** How often the closes that wait for their last write check their deadlines. */
const _CLOSE_SWEEP_MS = 50;
/** Those closes: when each gives up, and how it is told. */
const _closing = new Set<{ deadline: number; done: () => void }>();
let _closeSweep: ReturnType<typeof setTimeout> | undefined;

/**
 * Resolves once `promise` settles, or after about `timeout` ms (up to
 * {@linkcode _CLOSE_SWEEP_MS} later). One timer serves every close waiting
 * at once, re-armed while any is: a timer armed and cleared per close cost
 * more than the rest of the closing handshake's JavaScript.
 */
function _settledWithin(promise: Promise<unknown>, timeout: number): Promise<void> {
  return new Promise((resolve) => {
    const entry = {
      deadline: Date.now() + timeout,
      done: () => {
        _closing.delete(entry);
        resolve();
      },
    };
    promise.then(entry.done, entry.done);
    _closing.add(entry);
    _closeSweep ??= setTimeout(_sweepClosing, _CLOSE_SWEEP_MS);
  });
}

function _sweepClosing(): void {
  const now = Date.now();
  for (const waiting of _closing) if (waiting.deadline <= now) waiting.done();
  _closeSweep = _closing.size === 0 ? undefined : setTimeout(_sweepClosing, _CLOSE_SWEEP_MS);
}

function _concat(chunks: Uint8Array[]): Uint8Array {
  const total = _totalLength(chunks);
  return _joinInto(chunks, new Uint8Array(total), total);
}

function _totalLength(chunks: Uint8Array[]): number {
  let total = 0;
  for (let i = 0; i < chunks.length; i++) total += chunks[i]!.length;
  return total;
}

/** Copy `chunks` to the start of `out`; the joined bytes are returned as a view. */
function _joinInto(chunks: Uint8Array[], out: Uint8Array, total: number): Uint8Array {
  let offset = 0;
  for (let i = 0; i < chunks.length; i++) {
    out.set(chunks[i]!, offset);
    offset += chunks[i]!.length;
  }
  return out.length === total ? out : out.subarray(0, total);
}

/**
 * Buffers for joined write batches, shared by every connection of the
 * process. A batch buffer is only busy while its write is in flight, so the
 * pool needs about one per connection writing at the same moment (measured:
 * with 4 buffers, 64 busy connections found one in under a third of their
 * batches), and a busy server stops paying a fresh allocation for every
 * batch: 1–5 µs on Deno for a small one, and for a large one a fresh mapping
 * whose pages fault in while the batch is copied (measured: a server echoing
 * 16 KiB messages spent 16% of its time there). At most 64 buffers and 4 MiB
 * in all are kept. When the pool is full, a returned buffer displaces smaller
 * ones, so the pool follows the traffic: after a burst of small messages has
 * filled it with 4 KiB buffers, bulk batches still find room.
 */
const _BATCH_POOL_SIZE = 64;
const _BATCH_POOL_BYTES = 4 * 1024 * 1024;
/**
 * Queued bytes are joined into batches of at most this size; a chunk this
 * big or bigger is written where it lies (after its head has topped up the
 * batch before it). A write this size already amortises its system call.
 */
const _JOIN_MAX = 256 * 1024;
const _batchPool: Uint8Array[] = [];
let _batchPoolBytes = 0;

/** A buffer of at least `size` bytes: from the pool when one fits. */
function _takeBatchBuffer(size: number): Uint8Array {
  for (let i = _batchPool.length - 1; i >= 0; i--) {
    const buffer = _batchPool[i]!;
    if (buffer.length >= size) {
      _batchPool[i] = _batchPool[_batchPool.length - 1]!;
      _batchPool.pop();
      _batchPoolBytes -= buffer.length;
      return buffer;
    }
  }
  if (size > _JOIN_MAX) return new Uint8Array(size);
  // Power-of-two sizes from 4 KiB, so a buffer fits the next batches too.
  let capacity = 4 * 1024;
  while (capacity < size) capacity *= 2;
  return new Uint8Array(capacity);
}

/** Hand a batch buffer back once its write is done. */
function _giveBatchBuffer(buffer: Uint8Array): void {
  const size = buffer.length;
  if (size > _JOIN_MAX) return;
  // Full: drop the smallest buffers while they are smaller than this one.
  while (_batchPool.length >= _BATCH_POOL_SIZE || _batchPoolBytes + size > _BATCH_POOL_BYTES) {
    let smallest = -1;
    for (let i = 0; i < _batchPool.length; i++) {
      if (smallest === -1 || _batchPool[i]!.length < _batchPool[smallest]!.length) smallest = i;
    }
    if (smallest === -1 || _batchPool[smallest]!.length >= size) return;
    _batchPoolBytes -= _batchPool[smallest]!.length;
    _batchPool[smallest] = _batchPool[_batchPool.length - 1]!;
    _batchPool.pop();
  }
  _batchPool.push(buffer);
  _batchPoolBytes += size;
}
