import type { SqliteValue } from "../../../src/sources/types";

export type TrackingType = "timestamp" | "id";

/**
 * A position in (tracking value, primary key) order, holding the source's exact
 * values as converted by the source layer. `key: null` means "every row whose
 * tracking value is at least `tracking`" (the start of a lookback window).
 */
export interface Cursor {
  tracking: SqliteValue;
  key: SqliteValue[] | null;
}

/** The position after the last row of a page, or `position` unchanged when the page is empty. */
export function advanceCursor(
  position: Cursor | null,
  rows: readonly SqliteValue[][],
  trackingIndex: number,
  keyIndexes: readonly number[],
): Cursor | null {
  const last = rows[rows.length - 1];
  if (!last) return position;
  return { tracking: last[trackingIndex] ?? null, key: keyIndexes.map((i) => last[i] ?? null) };
}

/**
 * Compares two tracking values of one column. Timestamps are fixed-width ISO
 * strings (text order is time order); ids are compared as exact integers.
 */
export function compareTracking(a: SqliteValue, b: SqliteValue, type: TrackingType): number {
  if (type === "id") {
    const x = BigInt(String(a));
    const y = BigInt(String(b));
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2})(?:([T ])(\d{2}:\d{2}:\d{2})(\.\d+)?)?(Z)?$/;

/**
 * The tracking value `seconds` earlier than `value`, in the same format, or
 * undefined when the value is not a timestamp this can shift exactly.
 * Fractional digits are kept as they are: the result is exact.
 */
export function shiftTimestamp(value: SqliteValue, seconds: number): string | undefined {
  if (typeof value !== "string") return undefined;
  const match = TIMESTAMP.exec(value);
  if (!match) return undefined;
  const [, date, sep, time, fraction = "", zone = ""] = match;
  const millis = Date.parse(`${date}T${time ?? "00:00:00"}Z`);
  if (Number.isNaN(millis)) return undefined;
  const shifted = new Date(millis - seconds * 1000).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  if (!time) return shifted.slice(0, 10);
  return `${shifted.slice(0, 10)}${sep}${shifted.slice(11, 19)}${fraction}${zone}`;
}

/**
 * Where a run starts. A job that had caught up re-reads `lookbackSeconds` before
 * its cursor (timestamp mode), so rows stamped earlier but committed later are
 * not lost; a job with a backlog resumes exactly at its cursor.
 */
export function runStart(
  saved: Cursor | null,
  options: { trackingType: TrackingType; caughtUp: boolean; lookbackSeconds: number },
): Cursor | null {
  if (!saved || options.trackingType !== "timestamp" || !options.caughtUp || options.lookbackSeconds <= 0) {
    return saved;
  }
  const shifted = shiftTimestamp(saved.tracking, options.lookbackSeconds);
  return shifted === undefined ? saved : { tracking: shifted, key: null };
}

/**
 * The cursor to save after a page. While a run re-reads its lookback window it
 * stays at the saved cursor, and moves only once the run has passed it, so the
 * saved cursor never moves backwards and never ahead of committed rows.
 */
export function cursorToSave(
  saved: Cursor | null,
  position: Cursor | null,
  trackingType: TrackingType,
  passedSaved: boolean,
): { cursor: Cursor | null; passedSaved: boolean } {
  if (passedSaved || !saved) return { cursor: position, passedSaved: true };
  if (position && compareTracking(position.tracking, saved.tracking, trackingType) > 0) {
    return { cursor: position, passedSaved: true };
  }
  return { cursor: saved, passedSaved: false };
}

/** JSON text of a cursor; blob values are tagged so they survive the round trip. */
export function encodeCursor(cursor: Cursor | null): string | null {
  if (!cursor) return null;
  return JSON.stringify({ tracking: tagValue(cursor.tracking), key: cursor.key?.map(tagValue) ?? null });
}

export function decodeCursor(text: string | null): Cursor | null {
  if (!text) return null;
  const raw = JSON.parse(text) as { tracking: unknown; key: unknown[] | null };
  return { tracking: untagValue(raw.tracking), key: raw.key?.map(untagValue) ?? null };
}

/** The cursor as a user reads it: blobs as hex strings. */
export function displayCursor(cursor: Cursor | null): { tracking: unknown; key: unknown[] | null } | null {
  if (!cursor) return null;
  const show = (v: SqliteValue) => (v instanceof ArrayBuffer ? tagValue(v) : v);
  return { tracking: show(cursor.tracking), key: cursor.key?.map(show) ?? null };
}

function tagValue(value: SqliteValue): unknown {
  if (!(value instanceof ArrayBuffer)) return value;
  return { hex: [...new Uint8Array(value)].map((b) => b.toString(16).padStart(2, "0")).join("") };
}

function untagValue(value: unknown): SqliteValue {
  if (value && typeof value === "object" && "hex" in value) {
    const hex = String((value as { hex: string }).hex);
    const bytes = new Uint8Array(hex.length / 2);
    for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
    return bytes.buffer;
  }
  return value as SqliteValue;
}
