/**
 * A page is written in slices, each in its own transaction, with a pause between them:
 * a Durable Object runs one task at a time, so a reader's `/query` waits for whatever
 * task holds the object. Slices bound that wait (and the memory a write plans at once)
 * whatever `batch_size` says, at the cost of one commit per slice. Change capture paces
 * the changes it applies the same way (cdc/replay.ts, WorkPacer).
 */
import type { SqliteValue } from "../../../src/sources/types";

export interface SliceBounds {
  /** Rows of a page, or changes for change capture. */
  rows: number;
  bytes: number;
  /**
   * About how long one slice may hold the object, its commit included: measured from one slice's
   * start to the next one's (a Durable Object's clock does not move while code runs, only across a
   * pause), and the next slice's rows scaled to it (pacedSliceRows).
   */
  ms: number;
}

/** About 5 ms of writing on a Durable Object for rows of a few hundred bytes, in key order. */
export const DEFAULT_SLICE: SliceBounds = { rows: 2_000, bytes: 512 * 1024, ms: 50 };

/**
 * Slices while someone reads. Each pause commits the slice before it (a Durable Object makes
 * writes durable when its task ends), which costs about a millisecond locally, so small slices
 * are kept for when a reader waits: in bench/profile-backfill.mjs (MODE=latency), a point SELECT
 * every 10 ms during a 1,000,000-row backfill waited p99 139 ms with 2,000-row slices and 53 ms
 * with 500-row ones in the same conditions, and the copy took 11.4 s and 13.7 s; with no reader
 * it takes 7.4 s either way. Rows whose keys are scattered over the replica (the tracking order
 * is not the key order) dirty a page each: 500 of them took 40-50 ms with their commit, hence the
 * time bound.
 */
export const SLICE_WHILE_READING: SliceBounds = { rows: 500, bytes: 128 * 1024, ms: 6 };

/** How recent a read must be for the copy to take it that someone is reading. */
export const READING_WINDOW_MS = 1_000;

/** The slices for the next page: `whileReading` when the database answered a read within the window. */
export function sliceBoundsNow(
  bounds: { slice: SliceBounds; sliceWhileReading: SliceBounds },
  lastReadAt: number | null,
  now: number,
): SliceBounds {
  return lastReadAt !== null && now - lastReadAt <= READING_WINDOW_MS ? bounds.sliceWhileReading : bounds.slice;
}

/**
 * Rows for the next slice after one of `rows` rows that took `ms` (start to next start): scaled
 * toward `bounds.ms`, at most twice as many as the last (one slow moment, a garbage collection say,
 * should not shrink slices for long, nor one fast one grow them at once), within 1 and `bounds.rows`.
 */
export function pacedSliceRows(rows: number, ms: number, bounds: SliceBounds): number {
  const scaled = ms > 0 ? Math.floor((rows * bounds.ms) / ms) : bounds.rows;
  return Math.max(1, Math.min(bounds.rows, rows * 2, scaled));
}

/**
 * Where the slice that starts at `start` ends (exclusive): after at most `rows` rows, or once its
 * rows reach `maxBytes`; always at least one row while rows are left.
 */
export function sliceEnd(sizes: readonly number[], start: number, rows: number, maxBytes: number): number {
  const last = Math.min(sizes.length, start + Math.max(1, rows));
  let bytes = 0;
  for (let i = start; i < last; i++) {
    bytes += sizes[i]!;
    if (bytes >= maxBytes) return i + 1;
  }
  return last;
}

/**
 * Cuts pages into slices for writing, one page after another: before every slice but the first it
 * pauses (yieldToOtherWork), and it paces each slice's rows by the time the one before took
 * (pacedSliceRows), keeping that pace from one page to the next. A page without rows gives one
 * empty slice, so that a caller still commits its progress once.
 */
export class SlicePacer {
  readonly #pace: WorkPacer;
  #started = false;

  constructor(timing: PacerTiming = {}) {
    this.#pace = new WorkPacer(timing);
  }

  async *slices(
    rows: readonly SqliteValue[][],
    sizes: readonly number[],
    bounds: SliceBounds,
  ): AsyncGenerator<{ rows: SqliteValue[][]; last: boolean }> {
    // A page read came before this page's first slice: that wait is no slice's time.
    this.#pace.restart();
    let start = 0;
    do {
      if (this.#started) await this.#pace.pause(bounds);
      this.#started = true;
      const stop = sliceEnd(sizes, start, this.#pace.limit(bounds), bounds.bytes);
      yield { rows: rows.slice(start, stop), last: stop >= rows.length };
      // Timed to the next slice's start, after this one's commit and what queued meanwhile.
      this.#pace.add(stop - start);
      start = stop;
    } while (start < rows.length);
  }
}

/**
 * Paces work that is not cut from a page in advance, such as change capture applying a stream of
 * changes: the caller counts the units it has done (`add`), and when `full` says the slice is
 * done, writes what it has and calls `pause`, which yields and paces the next slice by the time
 * this one took (pacedSliceRows). `restart` after waiting on I/O: the wait is not the slice's.
 */
export class WorkPacer {
  #limit = Number.POSITIVE_INFINITY;
  #done = 0;
  #startedAt: number;
  readonly #clock: () => number;
  readonly #readStartedAt: () => number | null;

  constructor(timing: PacerTiming = {}) {
    this.#clock = timing.clock ?? Date.now;
    this.#readStartedAt = timing.readStartedAt ?? (() => null);
    this.#startedAt = this.#clock();
  }

  add(units: number): void {
    this.#done += units;
  }

  /** Units in the current slice under `bounds`, as paced. */
  limit(bounds: SliceBounds): number {
    return Math.min(this.#limit, bounds.rows);
  }

  full(bounds: SliceBounds): boolean {
    return this.#done >= this.limit(bounds);
  }

  async pause(bounds: SliceBounds): Promise<void> {
    const readBefore = this.#readStartedAt();
    const reading = readBefore !== null && this.#clock() - readBefore <= READING_WINDOW_MS;
    await (reading ? yieldToReaders() : yieldToOtherWork());
    const readAfter = this.#readStartedAt();
    const ms = sliceMs(this.#startedAt, this.#clock(), readAfter);
    if (this.#done > 0) this.#limit = pacedSliceRows(this.#done, ms, bounds);
    // While someone reads, or once a query came in during the pause, others may be queued behind it.
    if (reading || readAfter !== readBefore) await this.drainReads(readAfter);
    this.#done = 0;
    this.#startedAt = this.#clock();
  }

  /**
   * While readers' queries keep coming in, lets them through before the next slice, for a bounded
   * number of turns: with one query per pause, a queue built by one long moment (a collection, a
   * fresh isolate's first run) drained no faster than queries arrived, and its readers waited on.
   */
  private async drainReads(seenAt: number | null): Promise<void> {
    let seen = seenAt;
    for (let turn = 0; turn < MAX_DRAIN_TURNS; turn++) {
      await yieldToReaders();
      const now = this.#readStartedAt();
      if (now === seen) return;
      seen = now;
    }
  }

  restart(): void {
    this.#done = 0;
    this.#startedAt = this.#clock();
  }
}

/** Pauses a pacer may add after a slice while queries keep arriving in them (WorkPacer.drainReads). */
const MAX_DRAIN_TURNS = 8;

/** Where a pacer reads the time. A Durable Object's clock moves only across I/O, such as a pause between slices. */
export interface PacerTiming {
  /** Milliseconds. */
  clock?: () => number;
  /** When the latest reader's query started (host.lastReadAt), null before any. */
  readStartedAt?: () => number | null;
}

/**
 * A slice's own time, from its start to the end of the pause after it. The clock stands still while
 * the slice runs, so that span also holds whatever ran in the pause; a reader's query queued behind
 * the slice runs there, and counting it would shrink the slices for the very reader they serve
 * (down to one row on a slower machine). When a query started in the pause, the slice ended before it.
 */
export function sliceMs(startedAt: number, pauseEnd: number, readStartedAt: number | null): number {
  const readInPause = readStartedAt !== null && readStartedAt > startedAt && readStartedAt < pauseEnd;
  return (readInPause ? readStartedAt : pauseEnd) - startedAt;
}

/**
 * Lets the object serve what has queued before the next slice. A timer it must be: a message
 * channel's turn (0.03 ms, against a timer's 1.2 ms locally) let no request in.
 */
function yieldToOtherWork(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * yieldToOtherWork twice, while someone reads: where the worker and the object share an isolate
 * (always locally), a request takes two turns, the worker's handler and then the object's; with one
 * turn per pause it waited out two slices (bench/profile-backfill.mjs MODE=latency: p50 36-38 ms
 * with one turn, 17-19 ms with two, on the same machine).
 */
function yieldToReaders(): Promise<void> {
  return yieldToOtherWork().then(yieldToOtherWork);
}
