/**
 * A cursor-pull run that follows its source's schema: one catalog query for the
 * table's columns, the job brought in line with them (apply.ts), the pull, and
 * then the re-copy of changed columns: a page of it in every run, more with
 * what is left of the run's bounds.
 */
import { SourceUnavailableError } from "../../../src/errors";
import { TableNotFoundError } from "../../../src/sources";
import { type SyncContext, type SyncResult, syncJob } from "../pull/sync";
import { applyColumnChanges, sourceTableLabel } from "./apply";
import { continueRecopy } from "./recopy";
import type { SchemaChange } from "./state";

export interface SchemaSyncResult extends SyncResult {
  /** The pull read everything there was (a job on the lookback_seconds window re-reads it next time); `done` also waits for the re-copy. */
  caughtUp: boolean;
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
  const synced = await syncJob({ ...ctx, job });
  if (!job.schema?.recopy) return { ...synced, caughtUp: synced.done, schemaChanges: changes };
  const recopied = await continueRecopy({ ...ctx, job, startedAt });
  return { cursor: synced.cursor, done: synced.done && recopied.done, caughtUp: synced.done, schemaChanges: changes };
}
