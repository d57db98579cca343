/**
 * The re-copy: after a column change, every row the replica already holds is
 * read again from the source in primary key order and upserted whole (a job's
 * first copy reads the same way: pull/first-copy.ts), through
 * the same page query and upsert as the cursor pull (so each row's stored hash
 * is rewritten with it). It is bounded like a run's pull and resumes from its
 * saved key on the next run; pages are written in slices, as the pull writes
 * them, and each slice's rows and the re-copy's position after it commit in one
 * transaction. The replica stays readable throughout, and changes arriving
 * meanwhile are the pull's: a re-copy never moves the job's cursor, and a first
 * copy moves it once, in the transaction of its last slice.
 *
 * A row is never made older than the replica had it: the re-copy reads after
 * the run's pull, and every read sees what the source has committed by then.
 */
import type { SourceConnection, SqlDialect, SqliteValue } from "../../../src/sources/types";
import type { ReplicationHost } from "../engine/host";
import type { Job } from "../engine/model";
import type { JobStore } from "../engine/store";
import { type Cursor, advanceCursor } from "../pull/cursor";
import { cursorAfterFirstCopy, largestPosition } from "../pull/first-copy";
import { buildPageQuery } from "../pull/keyset";
import { PageReader, withReader } from "../pull/page-reader";
import { pageSizing } from "../pull/row-sizes";
import { pageShape } from "../pull/page-shape";
import { hasRowHashColumn } from "../replica/hash-column";
import { SlicePacer, sliceBoundsNow } from "../pull/slices";
import type { RunBounds } from "../pull/sync";
import { writeToReplica } from "../replica/table";
import { jsonRowsFunction } from "../replica/writes";
import type { SchemaHost } from "./apply";
import type { Recopy } from "./state";
import { saveRecopy } from "./store";

export interface RecopyContext {
  host: SchemaHost & Pick<ReplicationHost, "lastReadAt">;
  store: Pick<JobStore, "updateRun" | "countRowsSynced" | "saveCursor">;
  source: SourceConnection;
  dialect: SqlDialect;
  /** The job as applyColumnChanges left it: its columns are the ones to copy. */
  job: Job;
  runId: number;
  bounds: RunBounds;
  /** When the run started: the re-copy uses what is left of the run's bounds. */
  startedAt: number;
  tally: { rows: number; pages: number };
  /** The cursor the run's pull left: a first copy, once done, may move it back (pull/first-copy.ts). */
  pullCursor: Cursor | null;
}

/**
 * Continues the job's re-copy: at least one page, then more until it is done or
 * the run's bounds are reached; `done` when none is left.
 */
export async function continueRecopy(ctx: RecopyContext): Promise<{ done: boolean; cursor?: Cursor | null }> {
  const { job, bounds } = ctx;
  const { settings, columns } = job;
  const saved = job.schema?.recopy ?? null;
  if (!saved) return { done: true };
  let recopy: Recopy = saved;

  const names = columns.map((c) => c.name);
  const keyIndexes = settings.primary_key.map((k) => names.indexOf(k));
  const key = keyIndexes.map((i) => columns[i]!);
  // Rows the pull leaves out (a NULL tracking value) are left out here too; mode cdc has no tracking column.
  const tracking = settings.tracking_col === null ? undefined : columns[names.indexOf(settings.tracking_col)];
  // Rows are written as the pull writes them: with their hash, soft-deleted ones deleted.
  const shape = pageShape(
    ctx.dialect,
    settings,
    columns,
    keyIndexes,
    hasRowHashColumn(ctx.host.sql, settings.target_table) ? job.rowHash : null,
    jsonRowsFunction(ctx.host.sql),
  );
  // A first copy reads the rows below its watermark (the rest are the pull's), and keeps in its state
  // the last row with the largest tracking value, where the cursor goes when it is done (pull/first-copy.ts).
  const first =
    saved.first && tracking && settings.tracking_type
      ? { index: names.indexOf(tracking.name), type: settings.tracking_type }
      : null;
  let finalCursor: Cursor | null | undefined;

  let bytes = 0;
  const within = (rows: number) =>
    ctx.tally.rows + rows < bounds.maxRows && bytes < bounds.maxBytes && Date.now() - ctx.startedAt < bounds.maxMs;
  const reader = new PageReader({
    source: ctx.source,
    // Keyset order on the primary key alone: its first column stands where the pull has its tracking column.
    statement: (after, limit) =>
      buildPageQuery({
        dialect: ctx.dialect,
        schema: "schema" in settings.source ? settings.source.schema : undefined,
        table: settings.table_name,
        columns,
        tracking: key[0]!,
        key: key.slice(1),
        after,
        limit,
        notNull: tracking ? [tracking] : [],
        ...(saved.first && tracking ? { trackingBelow: { column: tracking, value: saved.first.below } } : {}),
        extra: shape.extra,
      }),
    advance: (after, rows) => advanceCursor(after, rows, keyIndexes[0]!, keyIndexes.slice(1)),
    after: recopy.after,
    // A page is read whatever the pull used of the bounds, so a busy table (a lookback window of
    // many rows, a backlog) cannot starve the re-copy; one page stays within a page's limits.
    maxRows: Math.max(bounds.maxRows - ctx.tally.rows, settings.batch_size),
    ...pageSizing(ctx.host.sql, settings.name, settings.batch_size, bounds),
    table: settings.table_name,
  });

  const pacer = new SlicePacer({ readStartedAt: () => ctx.host.lastReadAt?.() ?? null });
  return withReader(reader, async () => {
    for (;;) {
      const page = await reader.next();
      const rows = page.rows;
      const sliceBounds = sliceBoundsNow(bounds, ctx.host.lastReadAt?.() ?? null, Date.now());
      bytes += page.bytes;
      const end = recopyAfterPage(recopy, rows, keyIndexes, !page.ended);
      const more = !page.ended && within(rows.length);
      // Written in slices as the pull writes its pages (pull/slices.ts), each with the position after it.
      for await (const { rows: slice, last } of pacer.slices(rows, page.sizes, sliceBounds)) {
        const writes = shape.plan(slice);
        const largest =
          first && recopy.first
            ? largestPosition(recopy.first.largest, slice, first.index, keyIndexes, first.type)
            : null;
        const next = last ? end : recopyAfterPage(recopy, slice, keyIndexes, true);
        const after: Recopy | null = next?.first && largest ? { ...next, first: { ...next.first, largest } } : next;
        // The slice that ends a first copy also sets the cursor the pull goes on from.
        const cursor = first && !after ? cursorAfterFirstCopy(ctx.pullCursor, largest, first.type) : undefined;
        ctx.host.transaction(() => {
          writeToReplica(settings.target_table, () => writes.write(ctx.host.sql));
          saveRecopy(ctx.host.sql, settings.name, after);
          if (first) ctx.store.countRowsSynced(settings.name, slice.length);
          if (cursor !== undefined) ctx.store.saveCursor(settings.name, cursor, 0);
          ctx.store.updateRun(ctx.runId, {
            rows: ctx.tally.rows + slice.length,
            pages: ctx.tally.pages + (last ? 1 : 0),
          });
        });
        ctx.tally.rows += slice.length;
        if (last) ctx.tally.pages += 1;
        if (after) recopy = after;
        if (cursor !== undefined) finalCursor = cursor;
      }
      if (!end) return { done: true, ...(finalCursor !== undefined ? { cursor: finalCursor } : {}) };
      if (!more) return { done: false };
    }
  });
}

/** The re-copy after a page: advanced past its last row, or finished (null) when the page was not full. */
export function recopyAfterPage(
  recopy: Recopy,
  rows: readonly SqliteValue[][],
  keyIndexes: readonly number[],
  full: boolean,
): Recopy | null {
  if (!full) return null;
  const after = advanceCursor(recopy.after, rows, keyIndexes[0]!, keyIndexes.slice(1));
  return { ...recopy, after, rows: recopy.rows + rows.length };
}
