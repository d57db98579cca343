/**
 * Late commits in timestamp mode, decided without I/O: where a run may save its
 * cursor so that a transaction still in flight at the source cannot later commit
 * a row behind it. The source's clock is read by watermark-read.ts.
 *
 * The rule: a row is safe once its tracking value is strictly below the start of
 * the oldest unfinished work at the source (a transaction, or a statement that has
 * not yet opened one), read before the page queries. Tracking values stamped by
 * the database's clock at or after that start (`now()`, `CURRENT_TIMESTAMP`, a
 * trigger) cannot be lower, and anything that starts later stamps a later value.
 */
import type { Dialect, SqliteValue } from "../../../src/sources/types";
import { type Cursor, compareTracking, shiftTimestamp } from "./cursor";

/** How a tracking column's values relate to the source's clock, as the source layer prints them. */
export interface TrackingClock {
  /** `utc`: an instant printed in UTC with `Z`; `local`: the wall time of the writers' time zone. */
  zone: "utc" | "local";
  /** A date column: only the `YYYY-MM-DD` part. */
  date: boolean;
  /** Fractional digits the column keeps (values are rounded to them by the source). */
  precision: number;
}

/**
 * The clock of a tracking column from its source type, or undefined when the type
 * is not one whose values the watermark can be compared with.
 * PostgreSQL keeps 6 fractional digits unless told otherwise; MySQL keeps none.
 */
export function trackingClock(dialect: Dialect, sourceType: string): TrackingClock | undefined {
  const type = sourceType.toLowerCase().trim();
  const digits = /\((\d)\)/.exec(type)?.[1];
  if (dialect === "postgresql") {
    const precision = digits === undefined ? 6 : Number(digits);
    if (/^timestamp(\(\d\))? with time zone$/.test(type) || /^timestamptz(\(\d\))?$/.test(type)) {
      return { zone: "utc", date: false, precision };
    }
    if (/^timestamp(\(\d\))?( without time zone)?$/.test(type)) return { zone: "local", date: false, precision };
    if (type === "date") return { zone: "local", date: true, precision: 0 };
    return undefined;
  }
  const precision = digits === undefined ? 0 : Number(digits);
  if (/^timestamp(\(\d\))?$/.test(type)) return { zone: "utc", date: false, precision };
  if (/^datetime(\(\d\))?$/.test(type)) return { zone: "local", date: false, precision };
  if (type === "date") return { zone: "local", date: true, precision: 0 };
  return undefined;
}

/**
 * The source's clock as read before a run's pages: the start of its oldest
 * unfinished work (null when there is none) and its current time, both as local
 * timestamps (`YYYY-MM-DDTHH:MM:SS.ffffff`) in UTC and in the writers' time zone
 * (null when the source cannot convert to it).
 */
export interface SourceClock {
  oldestUtc: string | null;
  nowUtc: string;
  oldestLocal: string | null;
  nowLocal: string | null;
}

/** What protects a run from late commits. */
export type LateCommitGuard =
  /** Save the cursor only below `watermark` (in the tracking column's representation); start at the cursor. */
  | { kind: "watermark"; watermark: string; warning: string | null }
  /** Re-read `lookback_seconds` behind the cursor once caught up: the clock could not be read (warning), or the job asks for it. */
  | { kind: "lookback"; warning: string | null }
  /** No protection asked for (`lookback_seconds: 0`) or possible (id mode): the cursor follows the rows. */
  | { kind: "none" };

/**
 * The watermark for one tracking column: the oldest work's start, or now when
 * there is none, in the column's representation and
 * cut down to the digits it keeps (a value rounded down to them must still be at
 * or above the watermark). It never lies more than `lookbackSeconds` behind now:
 * a transaction left open for longer (an idle session holding one) must not make
 * every run re-read everything since it began, which past the run's bounds would
 * stop the job from advancing at all. Such a transaction is then covered as well
 * as the lookback window covered it before, and the warning says so.
 */
export function decideWatermark(
  clock: SourceClock,
  column: TrackingClock,
  lookbackSeconds: number,
): { watermark: string; warning: string | null } | { unavailable: string } {
  const local = column.zone === "local";
  const now = local ? clock.nowLocal : clock.nowUtc;
  if (now === null) {
    return { unavailable: "the source cannot convert its clock to the time zone its writers stamp local times in" };
  }
  const oldest = local ? clock.oldestLocal : clock.oldestUtc;
  const start = oldest === null || oldest > now ? now : oldest;
  const floor = shiftTimestamp(now, lookbackSeconds) ?? now;
  const held = start < floor;
  const chosen = held ? floor : start;
  const value = column.date ? chosen.slice(0, 10) : truncateFraction(chosen, column.precision);
  const watermark = column.zone === "utc" ? `${value}Z` : value;
  const warning = held
    ? `late commits: a transaction open at the source since ${oldest}${column.zone === "utc" ? " UTC" : ""} is older than lookback_seconds (${lookbackSeconds}); runs re-read only that far, so rows it stamps earlier than ${value} would be missed`
    : null;
  return { watermark, warning };
}

/** `2024-01-01T00:00:00.123456` with `digits` fractional digits kept and the rest zeroed. */
export function truncateFraction(timestamp: string, digits: number): string {
  const dot = timestamp.indexOf(".", 19);
  if (dot !== 19) return timestamp;
  const fraction = timestamp.slice(20, 26);
  return `${timestamp.slice(0, 20)}${fraction.slice(0, digits).padEnd(fraction.length, "0")}${timestamp.slice(26)}`;
}

/**
 * The cursor to save after a page read under a watermark: the position of the
 * page's last row strictly below it, or `saved` when no row of the page is.
 * Rows come in tracking order, so the search runs from the end and usually stops
 * at once. Rows at or above the watermark are written all the same, and read
 * again by the next run, which starts at the saved cursor.
 */
export function cursorBelowWatermark(
  saved: Cursor | null,
  rows: readonly SqliteValue[][],
  trackingIndex: number,
  keyIndexes: readonly number[],
  watermark: string,
): Cursor | null {
  for (let i = rows.length - 1; i >= 0; i--) {
    const row = rows[i]!;
    const tracking = row[trackingIndex] ?? null;
    if (compareTracking(tracking, watermark, "timestamp") < 0) {
      return { tracking, key: keyIndexes.map((k) => row[k] ?? null) };
    }
  }
  return saved;
}
