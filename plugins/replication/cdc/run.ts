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
import { PG_TYPE_CATALOG_SQL, type PgTypeCatalogRow, PgTypeResolver } from "../../../src/sources/pg-type-resolver";
import type { PgValueType } from "../../../src/sources/pg-types";
import type { SourceConnection } from "../../../src/sources/types";
import type { Job } from "../engine/model";
import type { CdcSettings } from "../engine/settings";
import { type SyncContext, type SyncResult, syncJob } from "../pull/sync";
import { ensureReplicaTable } from "../replica/table";
import { ReplicaWriter } from "./apply";
import { formatLsn, maxLsn, parseLsn } from "./lsn";
import { decodeMessage, hexToBytes, type PgOutputMessage } from "./pgoutput";
import { type ApplyOp, ChangePlanner, type ReplicaShape } from "./plan";
import { SchemaChangeError } from "./schema";
import { readSlot, recreateCdcObjects, slotTrouble, tableTrouble } from "./slot";
import { restartSnapshot, swapInSnapshot } from "./snapshot";
import { type CdcState, CdcStore } from "./store";
import { SlotReader } from "./stream";
import { TransactionAssembler, type TransactionPart } from "./transactions";

export interface CdcTuning {
  /** Most messages one run's peek decodes at the source. */
  peekMessages: number;
  /** Messages per fetch at first; later fetches aim at `fetchBytes`. */
  fetchMessages: number;
  fetchBytes: number;
  /** A source transaction beyond this many changes or bytes is applied in parts. */
  maxTransactionChanges: number;
  maxTransactionBytes: number;
  /** Test hook: runs after changes are committed to SQLite, before the slot is advanced. */
  beforeSlotAdvance?: (source: SourceConnection) => Promise<void>;
}

export function defaultCdcTuning(): CdcTuning {
  return {
    peekMessages: 600_000,
    fetchMessages: 2_000,
    fetchBytes: 4 * 1024 * 1024,
    maxTransactionChanges: 50_000,
    maxTransactionBytes: 32 * 1024 * 1024,
  };
}

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
  let state = states.require(name);
  const started = Date.now();

  const reading = await readSlot(source, cdc, state.schema, job.settings.table_name, started);
  const gone = tableTrouble(reading, state.table_oid, `${state.schema}.${job.settings.table_name}`);
  if (gone) throw new ValidationError(gone);
  let note: string | null = null;
  const trouble = slotTrouble(reading, cdc);
  if (trouble) {
    await recreateCdcObjects(source, cdc, reading, state.schema, job.settings.table_name);
    state = restartSnapshot(host, states, ctx.store, job, { truncate: false, newSlot: true });
    note = `${trouble}: created it again, and the table is being copied again`;
    // Recorded now: the run may still fail later, and the reason must stay in the history.
    ctx.store.updateRun(ctx.runId, { rows: ctx.tally.rows, pages: ctx.tally.pages, note });
  }

  if (state.snapshot_end_lsn === null) {
    const copied = await copySnapshot(ctx, state);
    if (!copied.done) {
      states.update(name, { slot_health: reading.health });
      return { cursor: copied.cursor, done: false, note };
    }
    const end = String((await source.query("SELECT pg_current_wal_lsn()::text")).rows[0]![0]);
    host.transaction(() => {
      if (state.snapshot_table !== null) swapInSnapshot(host.sql, state.snapshot_table, job.settings.target_table);
      states.update(name, { snapshot_table: null, snapshot_end_lsn: end });
      ctx.store.saveCursor(name, null, 0);
    });
    state = states.require(name);
  }

  const caughtUp = await streamChanges(ctx, state, cdc, started);
  return { cursor: null, done: caughtUp, note };
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

/**
 * Applies the slot's changes until it is drained or the run's bounds are
 * reached; answers true when every change committed before the run started
 * has been applied.
 */
async function streamChanges(ctx: CdcRunContext, state: CdcState, cdc: CdcSettings, started: number): Promise<boolean> {
  const { job, host, tuning, bounds } = ctx;
  const name = job.settings.name;
  const states = new CdcStore(host.sql);
  ensureReplicaTable(host.sql, job);
  const shape: ReplicaShape = {
    tableOid: state.table_oid,
    schema: state.schema,
    table: job.settings.table_name,
    columns: job.columns,
    primaryKey: job.settings.primary_key,
    known: state.source_columns,
    rowHash: false,
  };
  const types = new Map<number, PgValueType>();
  const resolver = new PgTypeResolver(
    async (oids) =>
      (await ctx.source.query(PG_TYPE_CATALOG_SQL.replace("$1", "?"), [oids])).rows as unknown as PgTypeCatalogRow[],
  );
  const planner = new ChangePlanner(shape, (oid) => types.get(oid) ?? oid);
  const writer = new ReplicaWriter(host.sql, job.settings.target_table, job.columns, job.settings.primary_key, false);
  const position = {
    appliedLsn: state.applied_lsn === null ? null : parseLsn(state.applied_lsn),
    partial:
      state.partial_lsn === null ? null : { commitLsn: parseLsn(state.partial_lsn), changes: state.partial_changes },
  };
  const assembler = new TransactionAssembler(position, tuning.maxTransactionChanges, tuning.maxTransactionBytes);
  const snapshotEnd = state.snapshot_end_lsn === null ? null : parseLsn(state.snapshot_end_lsn);
  let phase = state.phase;
  let applied = position.appliedLsn;

  const apply = async (parts: TransactionPart[]) => {
    await resolveTypes(parts, state.table_oid, types, resolver);
    const ops: ApplyOp[] = [];
    let changes = 0;
    let partial: { commitLsn: bigint; changes: number } | null = position.partial;
    for (const part of parts) {
      changes += planner.plan(part, ops);
      if (part.endLsn === null) partial = { commitLsn: part.commitLsn, changes: part.offset + part.dataChanges };
      else {
        applied = maxLsn(applied, part.endLsn);
        partial = null;
      }
    }
    position.partial = partial;
    if (phase === "snapshot" && applied !== null && snapshotEnd !== null && applied >= snapshotEnd) phase = "streaming";
    host.transaction(() => {
      writer.apply(ops);
      states.update(name, {
        applied_lsn: applied === null ? null : formatLsn(applied),
        partial_lsn: partial === null ? null : formatLsn(partial.commitLsn),
        partial_changes: partial?.changes ?? 0,
        phase,
      });
      ctx.store.saveCursor(name, null, changes);
      ctx.store.updateRun(ctx.runId, { rows: ctx.tally.rows + changes, pages: ctx.tally.pages + 1 });
    });
    ctx.tally.rows += changes;
    ctx.tally.pages += 1;
  };

  const reader = new SlotReader(ctx.source, {
    slot: cdc.slot,
    publication: cdc.publication,
    peekMessages: tuning.peekMessages,
    fetchMessages: tuning.fetchMessages,
    fetchBytes: tuning.fetchBytes,
  });
  let chunk = await reader.start();
  let stopped = false;
  for (;;) {
    const messages: PgOutputMessage[] = new Array(chunk.length);
    const sizes: number[] = new Array(chunk.length);
    for (let i = 0; i < chunk.length; i++) {
      messages[i] = decodeMessage(hexToBytes(chunk[i]!));
      sizes[i] = chunk[i]!.length / 2;
    }
    const parts = assembler.push(messages, sizes);
    const large = assembler.takeLargePart();
    if (large) parts.push(large);
    if (parts.length) {
      try {
        await apply(parts);
      } catch (error) {
        throw error instanceof SchemaChangeError ? await withTypeNames(error, ctx.source) : error;
      }
    }
    if (reader.ended) break;
    if (ctx.tally.rows >= bounds.maxRows || Date.now() - started >= bounds.maxMs) {
      stopped = true;
      break;
    }
    chunk = await reader.next();
  }

  const caughtUp = reader.drained && !stopped;
  await tuning.beforeSlotAdvance?.(ctx.source);
  const health = await reader.finish(applied, caughtUp, Date.now());
  if (caughtUp && phase === "snapshot") phase = "streaming";
  states.update(name, { slot_health: health, phase });
  return caughtUp;
}

/** Resolves the value types of the job table's columns named by Relation messages (enums, domains...). */
async function resolveTypes(
  parts: readonly TransactionPart[],
  tableOid: number,
  types: Map<number, PgValueType>,
  resolver: PgTypeResolver,
): Promise<void> {
  const oids = new Set<number>();
  for (const part of parts) {
    for (const change of part.changes) {
      if (change.type !== "relation" || change.oid !== tableOid) continue;
      for (const column of change.columns) if (!types.has(column.typeOid)) oids.add(column.typeOid);
    }
  }
  if (oids.size === 0) return;
  const list = [...oids];
  const resolved = await resolver.valueTypes(list);
  list.forEach((oid, i) => types.set(oid, resolved[i]!));
}

/** The schema change error with type names in place of OIDs. */
async function withTypeNames(error: SchemaChangeError, source: SourceConnection): Promise<SchemaChangeError> {
  const oids = error.changes.flatMap((c) => [c.from, c.to]).filter((t): t is string => t !== null);
  if (oids.length === 0) return error;
  try {
    const result = await source.query(`SELECT o::text, format_type(o, NULL) FROM unnest(?::oid[]) AS o`, [
      `{${oids.map((t) => t.replace("oid ", "")).join(",")}}`,
    ]);
    const names = new Map(result.rows.map(([oid, type]) => [`oid ${String(oid)}`, String(type)]));
    const named = error.changes.map((c) => ({
      ...c,
      from: c.from === null ? null : (names.get(c.from) ?? c.from),
      to: c.to === null ? null : (names.get(c.to) ?? c.to),
    }));
    return new SchemaChangeError(
      named,
      error.message.replace(/oid \d+/g, (oid) => names.get(oid) ?? oid),
    );
  } catch {
    return error;
  }
}

function requireCdc(job: Job): CdcSettings {
  if (!job.settings.cdc) throw new ValidationError(`job ${job.settings.name} is not a change capture job`);
  return job.settings.cdc;
}
