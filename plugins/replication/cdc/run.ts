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
import { Replay } from "./replay";
import type { CdcTuning } from "./tuning";
import { readSlot, recreateCdcObjects, slotTrouble, tableTrouble } from "./slot";
import { restartSnapshot, swapInSnapshot } from "./snapshot";
import { type CdcState, CdcStore } from "./store";

export interface CdcRunContext extends SyncContext {
  tuning: CdcTuning;
}

export interface CdcRunResult extends SyncResult {
  /** What the run did beyond applying changes, for the run history. */
  note: string | null;
}

export async function runCdc(ctx: CdcRunContext): Promise<CdcRunResult> {
  const { job, host, source } = ctx;
  const name = job.settings.name;
  const cdc = requireCdc(job);
  const states = new CdcStore(host.sql);
  const table = `${states.require(name).schema}.${job.settings.table_name}`;
  const started = Date.now();
  let note: string | null = null;

  // While streaming, the slot is read straight away and checked only when reading it fails: a tick
  // costs one round trip less. Before a copy it is checked first.
  let unreadable: string | null = null;
  for (let attempt = 0; ; attempt++) {
    let state = states.require(name);
    if (attempt > 0 || state.snapshot_end_lsn === null) {
      note = (await checkSlot(ctx, state, cdc, unreadable)) ?? note;
      state = states.require(name);
    }
    if (state.snapshot_end_lsn === null) {
      const copied = await copySnapshot(ctx, state);
      if (!copied.done) return { cursor: copied.cursor, done: false, note };
      const end = String((await source.query("SELECT pg_current_wal_lsn()::text")).rows[0]![0]);
      host.transaction(() => {
        if (state.snapshot_table !== null) swapInSnapshot(host.sql, state.snapshot_table, job.settings.target_table);
        states.update(name, { snapshot_table: null, snapshot_end_lsn: end });
        ctx.store.saveCursor(name, null, 0);
      });
      state = states.require(name);
    }
    let replayed;
    try {
      replayed = await new Replay(ctx, state, cdc).run(started);
    } catch (error) {
      if (attempt > 0) throw error;
      unreadable = unreadableSlot(error, cdc);
      if (unreadable === null && !(await slotNeedsRecovery(ctx, state, cdc))) throw error;
      continue;
    }
    // Its changes are applied; a table dropped or created again since is reported now.
    const gone = tableTrouble(replayed.slot, state.table_oid, table);
    if (gone) throw new ValidationError(gone);
    return { cursor: null, done: replayed.caughtUp, note };
  }
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
