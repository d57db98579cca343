/**
 * A cursor-pull run that follows its source's schema: one catalog query for the
 * table's columns, the job brought in line with them (apply.ts), the pull, and
 * then the re-copy of changed columns: a page of it in every run, more with
 * what is left of the run's bounds.
 */
import { SourceUnavailableError } from "../../../src/errors";
import { TableNotFoundError } from "../../../src/sources";
import type { Job } from "../engine/model";
import { planFirstCopy } from "../pull/first-copy";
import { type SyncContext, type SyncResult, syncJob } from "../pull/sync";
import { lateCommitGuard } from "../pull/watermark-read";
import type { LateCommitGuard } from "../pull/watermark";
import { applyColumnChanges, sourceTableLabel } from "./apply";
import { continueRecopy } from "./recopy";
import { saveRecopy } from "./store";
import type { SchemaChange } from "./state";

export interface SchemaSyncResult extends SyncResult {
  /** The pull read everything there was (a job on the lookback_seconds window re-reads it next time); `done` also waits for the re-copy. */
  caughtUp: boolean;
  /** Every row committed at the source before the run began is in the replica: caught up, and no first copy left. */
  current: boolean;
  schemaChanges: SchemaChange[];
}

export async function syncFollowingSchema(ctx: SyncContext): Promise<SchemaSyncResult> {
  const startedAt = Date.now();
  const { settings } = ctx.job;
  const table = sourceTableLabel(settings);
  let current;
  try {
    current = await ctx.source.describeColumns(settings.table_name);
  } catch (error) {
    if (!(error instanceof TableNotFoundError)) throw error;
    // The source can no longer serve the job (502, like a source that is down): nothing is changed here.
    throw new SourceUnavailableError(
      `${error.message} at the source (dropped or renamed?): the replica keeps its rows, and the job tries again after a backoff`,
    );
  }
  const { job, changes } = applyColumnChanges(ctx.host, ctx.job, current, {
    dialect: ctx.dialect.name,
    table,
    runId: ctx.runId,
  });
  const { job: pulled, guard } = await startFirstCopy(ctx, job);
  const synced = await syncJob({ ...ctx, job: pulled, guard });
  if (!pulled.schema?.recopy) {
    return { ...synced, caughtUp: synced.done, current: synced.done, schemaChanges: changes };
  }
  const recopied = await continueRecopy({ ...ctx, job: pulled, startedAt, pullCursor: synced.cursor });
  // A first copy that ended in this run moved the cursor (pull/first-copy.ts).
  const cursor = recopied.cursor !== undefined ? recopied.cursor : synced.cursor;
  // A re-copy after a column change only fills new columns in: the rows are current without it.
  const upToDate = synced.done && (recopied.done || !pulled.schema.recopy.first);
  return {
    cursor,
    done: synced.done && recopied.done,
    caughtUp: synced.done,
    current: upToDate,
    ...(synced.currentSince === undefined ? {} : { currentSince: synced.currentSince }),
    schemaChanges: changes,
  };
}

/**
 * Reads the run's late-commit guard and, for a job's first copy, starts it in key order
 * (pull/first-copy.ts): the cursor at the watermark and the copy's state saved together.
 */
async function startFirstCopy(ctx: SyncContext, job: Job): Promise<{ job: Job; guard: LateCommitGuard }> {
  const { settings, columns } = job;
  const tracking = columns.find((c) => c.name === settings.tracking_col);
  if (!tracking) return { job, guard: { kind: "none" } };
  const guard = await lateCommitGuard(ctx.source, ctx.dialect, settings, tracking);
  // The copy's state goes into the stored schema state, which the column check has written by now.
  const first = job.schema ? planFirstCopy(job, guard, Date.now()) : null;
  if (!first) return { job, guard };
  ctx.host.transaction(() => {
    ctx.store.saveCursor(settings.name, first.cursor, 0);
    saveRecopy(ctx.host.sql, settings.name, first.recopy);
  });
  const schema = { ...job.schema!, recopy: first.recopy };
  return { job: { ...job, progress: { ...job.progress, cursor: first.cursor }, schema }, guard };
}
