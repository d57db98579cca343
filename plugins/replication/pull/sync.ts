import type { SourceConnection, SqlDialect } from "../../../src/sources/types";
import type { ReplicationHost } from "../engine/host";
import type { Job } from "../engine/model";
import type { JobStore } from "../engine/store";
import { ensureReplicaWithRowHash } from "../replica/hash-column";
import { writeToReplica } from "../replica/table";
import { jsonRowsFunction } from "../replica/writes";
import { type Cursor, advanceCursor, cursorToSave, encodeCursor, runStart } from "./cursor";
import { buildPageQuery } from "./keyset";
import { PageReader, withReader } from "./page-reader";
import { pageSizing, PROBE_ROWS } from "./row-sizes";
import { pageShape } from "./page-shape";
import { DEFAULT_SLICE, SLICE_WHILE_READING, type SliceBounds, SlicePacer, sliceBoundsNow } from "./slices";
import { cursorBelowWatermark, type LateCommitGuard } from "./watermark";
import { lateCommitGuard } from "./watermark-read";

/** Limits that keep one run well inside a Durable Object's CPU, memory and time limits. */
export interface RunBounds {
  maxRows: number;
  maxBytes: number;
  maxMs: number;
  /** Pages shrink below `batch_size` so that one page stays near this many bytes. */
  pageBytes: number;
  /** Rows in the first page of a job's read while its row size is not known yet (pull/row-sizes.ts). */
  firstPageRows: number;
  /** Each page is written in transactions of at most this much, with a pause between them (slices.ts). */
  slice: SliceBounds;
  /** The slices while someone reads the database (host.lastReadAt), smaller so that a reader waits less. */
  sliceWhileReading: SliceBounds;
}

export const DEFAULT_BOUNDS: RunBounds = {
  maxRows: 250_000,
  maxBytes: 256 * 1024 * 1024,
  maxMs: 15_000,
  pageBytes: 512 * 1024,
  firstPageRows: PROBE_ROWS,
  slice: DEFAULT_SLICE,
  sliceWhileReading: SLICE_WHILE_READING,
};

export interface SyncContext {
  host: Pick<ReplicationHost, "sql" | "transaction" | "lastReadAt">;
  store: JobStore;
  source: SourceConnection;
  dialect: SqlDialect;
  job: Job;
  runId: number;
  bounds: RunBounds;
  /** Counters the caller reads even when the run fails part-way. */
  tally: { rows: number; pages: number };
  /** The run's late-commit guard when the caller has read it already (first-copy.ts); read here otherwise. */
  guard?: LateCommitGuard;
}

export interface SyncResult {
  cursor: Cursor | null;
  done: boolean;
  /** When `done` ends a pass that began in an earlier run: that run's start, as of which the replica is current. */
  currentSince?: number;
}

/**
 * Copies pages after the job's cursor until the source has nothing more or a
 * bound is reached. A page is written in slices: each slice's rows, the cursor
 * after its last row and the run's counters commit in one SQLite transaction,
 * and other work on the object runs between slices. The next page is read
 * while this one is written.
 */
export async function syncJob(ctx: SyncContext): Promise<SyncResult> {
  const { job, bounds } = ctx;
  const { settings, columns } = job;
  if (settings.tracking_col === null || settings.tracking_type === null) {
    throw new Error(`job ${settings.name} has no tracking column: it cannot be pulled`);
  }
  const trackingType = settings.tracking_type;
  const rowHash = ensureReplicaWithRowHash(ctx.host.sql, job);

  const names = columns.map((c) => c.name);
  const trackingIndex = names.indexOf(settings.tracking_col);
  const keyIndexes = settings.primary_key.map((k) => names.indexOf(k));
  const tracking = columns[trackingIndex]!;
  const key = keyIndexes.map((i) => columns[i]!);
  const shape = pageShape(
    ctx.dialect,
    settings,
    columns,
    keyIndexes,
    rowHash ? job.rowHash : null,
    jsonRowsFunction(ctx.host.sql),
  );

  const started = Date.now();
  // Read before the first page: rows below the watermark were all committed before that page is read.
  const guard = ctx.guard ?? (await lateCommitGuard(ctx.source, ctx.dialect, settings, tracking));
  const warning = guard.kind === "none" ? null : guard.warning;
  let saved = job.progress.cursor;
  // A run that was not on the watermark (a fallback to lookback_seconds, late_commits changed since)
  // moved its cursor past the rows of transactions open then, counting on the next run's re-read:
  // the first run back on the watermark re-reads too, caught up or not.
  const lastGuard = job.progress.last_guard;
  // (A job's first run has no run before it; a job from before last_guard was kept knows of a fallback by its warning.)
  const backOnWatermark =
    guard.kind === "watermark" &&
    (lastGuard === "lookback" || lastGuard === "none" || (lastGuard === null && !!job.pullWarning));
  const reread = guard.kind === "lookback" || backOnWatermark;
  // A pass over the rows above the watermark that the last run's bounds cut short goes on where it
  // stopped; the cursor stays put meanwhile (rows it skips may be a late commit's), and the run
  // after the pass starts from the cursor again.
  const resume = guard.kind === "watermark" && !reread ? job.progress.resume : null;
  let position =
    resume ??
    (reread
      ? runStart(saved, {
          trackingType,
          caughtUp: backOnWatermark || job.progress.caught_up,
          lookbackSeconds: settings.lookback_seconds,
        })
      : saved);
  let passedSaved = position === saved;
  let bytes = 0;
  const reader = new PageReader({
    source: ctx.source,
    statement: (after, limit) =>
      buildPageQuery({
        dialect: ctx.dialect,
        schema: schemaOf(job),
        table: settings.table_name,
        columns,
        tracking,
        key,
        after,
        limit,
        extra: shape.extra,
      }),
    advance: (after, rows) => advanceCursor(after, rows, trackingIndex, keyIndexes),
    after: position,
    maxRows: bounds.maxRows - ctx.tally.rows,
    ...pageSizing(ctx.host.sql, settings.name, settings.batch_size, bounds),
    table: settings.table_name,
  });

  let wrote = false;
  const pacer = new SlicePacer({ readStartedAt: () => ctx.host.lastReadAt?.() ?? null });
  return withReader(reader, async () => {
    for (;;) {
      const page = await reader.next();
      const rows = page.rows;
      const sliceBounds = sliceBoundsNow(bounds, ctx.host.lastReadAt?.() ?? null, Date.now());
      bytes += page.bytes;
      const more =
        !page.ended &&
        ctx.tally.rows + rows.length < bounds.maxRows &&
        bytes < bounds.maxBytes &&
        Date.now() - started < bounds.maxMs;

      // An empty page still commits once: it records the page in the run's counters.
      for await (const { rows: slice, last } of pacer.slices(rows, page.sizes, sliceBounds)) {
        const writes = shape.plan(slice);
        const sliceEnd = advanceCursor(position, slice, trackingIndex, keyIndexes);
        const save = resume
          ? { cursor: saved, passedSaved: true }
          : guard.kind === "watermark"
            ? {
                cursor: cursorBelowWatermark(saved, slice, trackingIndex, keyIndexes, guard.watermark),
                passedSaved: true,
              }
            : cursorToSave(saved, sliceEnd, trackingType, passedSaved);
        const first = !wrote;
        ctx.host.transaction(() => {
          writeToReplica(settings.target_table, () => writes.write(ctx.host.sql));
          ctx.store.saveCursor(settings.name, save.cursor, slice.length);
          if (first && warning !== (job.pullWarning ?? null)) ctx.store.savePullWarning(settings.name, warning);
          if (first && guard.kind !== job.progress.last_guard) ctx.store.saveLastGuard(settings.name, guard.kind);
          ctx.store.updateRun(ctx.runId, {
            rows: ctx.tally.rows + slice.length,
            pages: ctx.tally.pages + (last ? 1 : 0),
          });
        });
        wrote = true;
        ctx.tally.rows += slice.length;
        if (last) ctx.tally.pages += 1;
        saved = save.cursor;
        passedSaved = save.passedSaved;
        position = sliceEnd;
      }

      if (page.ended) {
        if (job.progress.resume) ctx.store.saveResume(settings.name, null);
        // A pass that began in an earlier run holds every row committed before that run began.
        const since = resume ? (job.progress.resume_since ?? undefined) : undefined;
        return { cursor: saved, done: true, ...(since === undefined ? {} : { currentSince: since }) };
      }
      if (!more) {
        // Cut short with rows read past the cursor: the next run goes on from there.
        if (guard.kind === "watermark" && position && !sameCursor(position, saved)) {
          const since = resume ? (job.progress.resume_since ?? started) : started;
          ctx.store.saveResume(settings.name, { cursor: position, since });
        }
        return { cursor: saved, done: false };
      }
    }
  });
}

function schemaOf(job: Job): string | undefined {
  return "schema" in job.settings.source ? job.settings.source.schema : undefined;
}

function sameCursor(a: Cursor, b: Cursor | null): boolean {
  return b !== null && encodeCursor(a) === encodeCursor(b);
}
