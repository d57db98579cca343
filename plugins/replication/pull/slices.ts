/**
 * A page is written in slices, each in its own transaction, with a pause between them:
 * a Durable Object runs one task at a time, so a reader's `/query` waits for whatever
 * task holds the object. Slices bound that wait (and the memory a write plans at once)
 * whatever `batch_size` says, at the cost of one commit per slice.
 */
import type { SqliteValue } from "../../../src/sources/types";
import { rowBytes } from "../replica/writes";

export interface SliceBounds {
  rows: number;
  bytes: number;
}

/** About 5 ms of writing on a Durable Object for rows of a few hundred bytes. */
export const DEFAULT_SLICE: SliceBounds = { rows: 2_000, bytes: 512 * 1024 };

/**
 * Slices while someone reads. Each pause commits the slice before it (a Durable Object makes
 * writes durable when its task ends), which costs about a millisecond locally, so small slices
 * are kept for when a reader waits: in bench/profile-backfill.mjs (MODE=latency), a point SELECT
 * every 10 ms during a 1,000,000-row backfill waited p99 139 ms with 2,000-row slices and 53 ms
 * with these in the same conditions (53 to 127 ms across runs: README, Performance), and the copy
 * took 11.4 s and 13.7 s; with no reader it takes 7.4 s either way.
 */
export const SLICE_WHILE_READING: SliceBounds = { rows: 500, bytes: 128 * 1024 };

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
 * Cuts `rows` into consecutive slices of at most `bounds.rows` rows and about `bounds.bytes`
 * bytes (at least one row each); `bytes` is the whole page's (replica/writes.ts rowBytes).
 */
export function sliceRows(
  rows: readonly SqliteValue[][],
  bounds: SliceBounds,
): { slices: SqliteValue[][][]; bytes: number } {
  const slices: SqliteValue[][][] = [];
  let start = 0;
  let sliceBytes = 0;
  let bytes = 0;
  for (let i = 0; i < rows.length; i++) {
    const size = rowBytes(rows[i]!);
    sliceBytes += size;
    bytes += size;
    if (i - start + 1 >= bounds.rows || sliceBytes >= bounds.bytes) {
      slices.push(rows.slice(start, i + 1));
      start = i + 1;
      sliceBytes = 0;
    }
  }
  if (start < rows.length) slices.push(rows.slice(start));
  return { slices, bytes };
}

/** Lets the object serve what has queued (a reader's query) before the next slice. */
export function yieldToOtherWork(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
