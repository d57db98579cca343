/**
 * One run of a change capture job: check the slot (recreating it, and copying
 * the table again, when it is lost or gone), copy the table while the snapshot
 * is not complete, then apply the slot's changes transaction by transaction
 * and advance the slot past what SQLite has committed.
 *
 * No gap between copy and stream: the slot exists before the copy starts, and
 * replay starts at the slot's beginning. Changes the copy already holds are
 * applied again harmlessly (every write is an idempotent upsert or delete by key).
 */
import { ValidationError } from "../../../src/errors";
import type { Job } from "../engine/model";
import type { CdcSettings } from "../engine/settings";
import { type SyncContext, type SyncResult, syncJob } from "../pull/sync";
import { applyColumnChanges } from "../schema-changes/apply";
import { continueRecopy } from "../schema-changes/recopy";
import type { SchemaChange } from "../schema-changes/state";
import { relationSourceColumns } from "./columns";
import { Replay } from "./replay";
import { type ColumnShape, knownColumnsOf, schemaDiffers } from "./schema";
import type { CdcTuning } from "./tuning";
import { readSlot, readSourceColumns, recreateCdcObjects, slotTrouble, tableTrouble } from "./slot";
import { restartSnapshot, swapInSnapshot } from "./snapshot";
import { type CdcState, CdcStore } from "./store";

export interface CdcRunContext extends SyncContext {
  tuning: CdcTuning;
}

export interface CdcRunResult extends SyncResult {
  /** Every change committed before the run began is applied (`done` also waits for a re-copy). */
  caughtUp: boolean;
  /** The same as caughtUp: a copy of the table is never left unfinished by a run that caught up. */
  current: boolean;
  /** Column changes the run met, as run history records them. */
  schemaChanges: SchemaChange[];
  /** What the run did beyond applying changes, for the run history. */
  note: string | null;
}

export async function runCdc(ctx: CdcRunContext): Promise<CdcRunResult> {
  const { host, source } = ctx;
  const name = ctx.job.settings.name;
  const cdc = requireCdc(ctx.job);
  const states = new CdcStore(host.sql);
  const started = Date.now();
  const schemaChanges: SchemaChange[] = [];
  let note: string | null = null;

  // While streaming, the slot is read straight away and checked only when reading it fails: a tick
  // costs one round trip less. Before a copy it is checked first.
  let unreadable: string | null = null;
  for (let attempt = 0; ; attempt++) {
    let state = states.require(name);
    let job = currentJob(ctx);
    if (attempt > 0 || state.snapshot_end_lsn === null) {
      note = (await checkSlot({ ...ctx, job }, state, cdc, unreadable)) ?? note;
      state = states.require(name);
    }
    if (state.snapshot_end_lsn === null) {
      const followed = await followCatalog({ ...ctx, job }, state);
      job = followed.job;
      schemaChanges.push(...followed.changes);
      const copied = await copySnapshot({ ...ctx, job }, states.require(name));
      if (!copied.done) {
        return { cursor: copied.cursor, done: false, caughtUp: false, current: false, schemaChanges, note };
      }
      const end = String((await source.query("SELECT pg_current_wal_lsn()::text")).rows[0]![0]);
      const copyTable = states.require(name).snapshot_table;
      host.transaction(() => {
        if (copyTable !== null) swapInSnapshot(host.sql, copyTable, job.settings.target_table);
        states.update(name, { snapshot_table: null, snapshot_end_lsn: end });
        ctx.store.saveCursor(name, null, 0);
      });
      state = states.require(name);
    }
    let replayed;
    try {
      replayed = await new Replay({ ...ctx, job }, state, cdc).run(started);
    } catch (error) {
      if (attempt > 0) throw error;
      unreadable = unreadableSlot(error, cdc);
      if (unreadable === null && !(await slotNeedsRecovery(ctx, state, cdc))) throw error;
      continue;
    }
    schemaChanges.push(...replayed.schemaChanges);
    // Its changes are applied; a table dropped or created again since is reported now.
    const gone = tableTrouble(replayed.slot, state.table_oid, `${state.schema}.${job.settings.table_name}`);
    if (gone) throw new ValidationError(gone);
    job = replayed.job;
    // A column change no row change came after sends no Relation message: the catalog read with the
    // peek shows it. Followed once every change before that point is applied; until then the
    // re-copy waits, since it reads the columns the job knows.
    const atPeek = replayed.slot.columnsAtPeek;
    const unfollowed = atPeek !== null && schemaDiffers(states.require(name).source_columns, atPeek);
    if (unfollowed && replayed.caughtUp) {
      const followed = await followColumns({ ...ctx, job }, state, atPeek);
      job = followed.job;
      schemaChanges.push(...followed.changes);
    }
    // Rows copied before a column change get the new columns by a re-copy, carried on run after run.
    const recopied =
      job.schema?.recopy && (!unfollowed || replayed.caughtUp)
        ? await continueRecopy({ ...ctx, job, startedAt: started, pullCursor: null })
        : { done: !job.schema?.recopy };
    const done = replayed.caughtUp && recopied.done;
    return { cursor: null, done, caughtUp: replayed.caughtUp, current: replayed.caughtUp, schemaChanges, note };
  }
}

/** The job as stored now: an earlier attempt of this run may have changed its columns. */
function currentJob(ctx: CdcRunContext): Job {
  return ctx.store.get(ctx.job.settings.name) ?? ctx.job;
}

/**
 * Before a copy, the job follows the table's columns as the catalog has them, so
 * the copy reads what exists; the Relation messages replayed after it may show
 * older columns, which are followed in turn (and converge on the current ones).
 */
async function followCatalog(ctx: CdcRunContext, state: CdcState): Promise<{ job: Job; changes: SchemaChange[] }> {
  const { job } = ctx;
  const table = `${state.schema}.${job.settings.table_name}`;
  const current = await ctx.source.describeColumns(job.settings.table_name);
  const followed = applyColumnChanges(ctx.host, job, current, { dialect: "postgresql", table, runId: ctx.runId });
  if (followed.changes.length) {
    const known = await readSourceColumns(ctx.source, state.schema, job.settings.table_name);
    const states = new CdcStore(ctx.host.sql);
    states.update(job.settings.name, { source_columns: known.columns });
    // A copy under way into a shadow table has the old columns: it starts again with the new ones.
    if (state.snapshot_table !== null) {
      restartSnapshot(ctx.host, states, ctx.store, followed.job, { truncate: false, newSlot: false });
    }
  }
  return followed;
}

/** The job follows the columns the catalog had at a point of the stream every change before which is applied. */
async function followColumns(
  ctx: CdcRunContext,
  state: CdcState,
  columns: readonly ColumnShape[],
): Promise<{ job: Job; changes: SchemaChange[] }> {
  const { job } = ctx;
  const current = await relationSourceColumns(ctx.source, { oid: state.table_oid, columns });
  const followed = applyColumnChanges(ctx.host, job, current, {
    dialect: "postgresql",
    table: `${state.schema}.${job.settings.table_name}`,
    runId: ctx.runId,
  });
  new CdcStore(ctx.host.sql).update(job.settings.name, { source_columns: knownColumnsOf(columns) });
  return followed;
}

/**
 * A slot that fails to decode for good: its publication was missing for a while.
 * pgoutput looks the publication up as of each change's time, so changes from
 * that time can never be read, even once the publication is back.
 */
export function unreadableSlot(error: unknown, cdc: CdcSettings): string | null {
  const message = error instanceof Error ? error.message : String(error);
  if (!message.includes(`publication "${cdc.publication}" does not exist`)) return null;
  return `replication slot ${cdc.slot} cannot be read past the time publication ${cdc.publication} was missing`;
}

/**
 * Reads the slot's state before a copy or after a failed read: the table must
 * be the job's; a slot lost or gone is created again and the table copied
 * again. Answers why, for the run history, or null when the slot was fine.
 */
async function checkSlot(
  ctx: CdcRunContext,
  state: CdcState,
  cdc: CdcSettings,
  unreadable: string | null,
): Promise<string | null> {
  const { job, host } = ctx;
  const reading = await readSlot(ctx.source, cdc, state.schema, job.settings.table_name, Date.now());
  const gone = tableTrouble(reading, state.table_oid, `${state.schema}.${job.settings.table_name}`);
  if (gone) throw new ValidationError(gone);
  const states = new CdcStore(host.sql);
  states.update(job.settings.name, { slot_health: reading.health });
  const trouble = slotTrouble(reading, cdc) ?? unreadable;
  if (!trouble) return null;
  await recreateCdcObjects(ctx.source, cdc, reading, state.schema, job.settings.table_name);
  restartSnapshot(host, states, ctx.store, job, { truncate: false, newSlot: true });
  const note = `${trouble}: created it again, and the table is being copied again`;
  // Recorded now: the run may still fail later, and the reason must stay in the history.
  ctx.store.updateRun(ctx.runId, { rows: ctx.tally.rows, pages: ctx.tally.pages, note });
  return note;
}

/** After a failed read: true when the slot or its publication is what failed (the run then recovers). */
async function slotNeedsRecovery(ctx: CdcRunContext, state: CdcState, cdc: CdcSettings): Promise<boolean> {
  try {
    const reading = await readSlot(ctx.source, cdc, state.schema, ctx.job.settings.table_name, Date.now());
    return slotTrouble(reading, cdc) !== null;
  } catch {
    return false;
  }
}

/** The table copied in primary key order by the pull mode's keyset pages, resumable across runs. */
function copySnapshot(ctx: CdcRunContext, state: CdcState): Promise<SyncResult> {
  const { settings } = ctx.job;
  const copying: Job = {
    ...ctx.job,
    settings: {
      ...settings,
      mode: "pull",
      target_table: state.snapshot_table ?? settings.target_table,
      // Keyset order on the key: the first key column plays the tracking column, the whole key breaks ties.
      tracking_col: settings.primary_key[0]!,
      tracking_type: "id",
      lookback_seconds: 0,
      cdc: undefined,
    },
    progress: { ...ctx.job.progress, caught_up: false },
  };
  return syncJob({ ...ctx, job: copying });
}

function requireCdc(job: Job): CdcSettings {
  if (!job.settings.cdc) throw new ValidationError(`job ${job.settings.name} is not a change capture job`);
  return job.settings.cdc;
}
