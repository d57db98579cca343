/**
 * Replays a change capture job's slot into its replica: chunks are fetched,
 * decoded and assembled into whole source transactions, planned into replica
 * writes, and written a batch of transactions at a time, each batch in one
 * SQLite transaction that also stores the end LSN of its last transaction.
 * The slot is advanced only after that, when the replay ends.
 */
import { PG_TYPE_CATALOG_SQL, type PgTypeCatalogRow, PgTypeResolver } from "../../../src/sources/pg-type-resolver";
import type { PgValueType } from "../../../src/sources/pg-types";
import type { CdcSettings } from "../engine/settings";
import type { SyncContext } from "../pull/sync";
import { ensureReplicaTable } from "../replica/table";
import { ReplicaWriter } from "./apply";
import { formatLsn, maxLsn, parseLsn } from "./lsn";
import { type ApplyOp, ChangePlanner } from "./plan";
import { SchemaChangeError, type SchemaChange } from "./schema";
import type { CdcTuning } from "./tuning";
import { type SlotEnd, SlotReader } from "./stream";
import { type CdcPhase, type CdcState, CdcStore } from "./store";
import { type AppliedPosition, TransactionAssembler, type TransactionPart } from "./transactions";

export interface ReplayResult {
  /** Every change committed before the run's read began is applied. */
  caughtUp: boolean;
  slot: SlotEnd;
}

export class Replay {
  private readonly states: CdcStore;
  private readonly planner: ChangePlanner;
  private readonly writer: ReplicaWriter;
  private readonly types = new Map<number, PgValueType>();
  private readonly resolver: PgTypeResolver;
  private readonly position: AppliedPosition;
  private readonly snapshotEnd: bigint | null;
  private phase: CdcPhase;
  /** Planned writes not yet in SQLite, and what they bring the stored position to. */
  private pending = { ops: [] as ApplyOp[], changes: 0, bytes: 0 };
  private applied: bigint | null;
  private partial: AppliedPosition["partial"];
  private readonly schema: string;

  constructor(
    private readonly ctx: SyncContext & { tuning: CdcTuning },
    state: CdcState,
    private readonly cdc: CdcSettings,
  ) {
    const { job, host } = ctx;
    this.states = new CdcStore(host.sql);
    this.planner = new ChangePlanner(
      {
        tableOid: state.table_oid,
        schema: state.schema,
        table: job.settings.table_name,
        columns: job.columns,
        primaryKey: job.settings.primary_key,
        known: state.source_columns,
        rowHash: false,
      },
      (oid) => this.types.get(oid) ?? oid,
    );
    this.writer = new ReplicaWriter(host.sql, job.settings.target_table, job.columns, job.settings.primary_key, false);
    this.resolver = new PgTypeResolver(
      async (oids) =>
        (await ctx.source.query(PG_TYPE_CATALOG_SQL.replace("$1", "?"), [oids])).rows as unknown as PgTypeCatalogRow[],
    );
    this.position = {
      appliedLsn: state.applied_lsn === null ? null : parseLsn(state.applied_lsn),
      partial:
        state.partial_lsn === null ? null : { commitLsn: parseLsn(state.partial_lsn), changes: state.partial_changes },
    };
    this.applied = this.position.appliedLsn;
    this.partial = this.position.partial;
    this.snapshotEnd = state.snapshot_end_lsn === null ? null : parseLsn(state.snapshot_end_lsn);
    this.phase = state.phase;
    this.schema = state.schema;
  }

  /** Replays until the slot is drained or the run's bounds are reached, then advances the slot. */
  async run(started: number): Promise<ReplayResult> {
    const { ctx } = this;
    const { tuning, bounds } = ctx;
    ensureReplicaTable(ctx.host.sql, ctx.job);
    const assembler = new TransactionAssembler(this.position, tuning.maxTransactionChanges, tuning.maxTransactionBytes);
    const reader = new SlotReader(ctx.source, {
      cdc: this.cdc,
      schema: this.schema,
      table: ctx.job.settings.table_name,
      peekMessages: tuning.peekMessages,
      groupBytes: tuning.groupBytes,
      fetchBytes: tuning.fetchBytes,
    });
    let chunk = await reader.start();
    let stopped = false;
    for (;;) {
      const parts = assembler.push(chunk.messages, chunk.sizes);
      const large = assembler.takeLargePart();
      if (large) parts.push(large);
      await this.plan(parts);
      const applied = ctx.tally.rows + this.pending.changes;
      stopped = !reader.ended && (applied >= tuning.maxChanges || Date.now() - started >= bounds.maxMs);
      const full = this.pending.changes >= tuning.writeChanges || this.pending.bytes >= tuning.writeBytes;
      if (full || reader.ended || stopped) this.write();
      if (reader.ended || stopped) break;
      chunk = await reader.next();
    }
    const caughtUp = reader.drained && !stopped;
    await tuning.beforeSlotAdvance?.(ctx.source);
    const slot = await reader.finish(this.applied, caughtUp, Date.now());
    if (caughtUp) this.phase = "streaming";
    this.states.update(ctx.job.settings.name, { slot_health: slot.health, phase: this.phase });
    return { caughtUp, slot };
  }

  /** Plans the parts into pending writes (Relation messages may name types to look up first). */
  private async plan(parts: readonly TransactionPart[]): Promise<void> {
    if (parts.length === 0) return;
    await this.resolveTypes(parts);
    for (const part of parts) {
      try {
        this.pending.changes += this.planner.plan(part, this.pending.ops);
      } catch (error) {
        throw error instanceof SchemaChangeError ? await this.withTypeNames(error) : error;
      }
      this.pending.bytes += part.bytes;
      if (part.endLsn === null) {
        this.partial = { commitLsn: part.commitLsn, changes: part.offset + part.dataChanges };
      } else {
        this.applied = maxLsn(this.applied, part.endLsn);
        this.partial = null;
      }
    }
  }

  /** Writes the pending changes and the position they reach in one SQLite transaction. */
  private write(): void {
    const { ctx } = this;
    const { ops, changes } = this.pending;
    const applied = this.applied;
    const partial = this.partial;
    if (this.phase === "snapshot" && applied !== null && this.snapshotEnd !== null && applied >= this.snapshotEnd) {
      this.phase = "streaming";
    }
    const name = ctx.job.settings.name;
    ctx.host.transaction(() => {
      this.writer.apply(ops);
      this.states.update(name, {
        applied_lsn: applied === null ? null : formatLsn(applied),
        partial_lsn: partial === null ? null : formatLsn(partial.commitLsn),
        partial_changes: partial?.changes ?? 0,
        phase: this.phase,
      });
      ctx.store.saveCursor(name, null, changes);
      ctx.store.updateRun(ctx.runId, { rows: ctx.tally.rows + changes, pages: ctx.tally.pages + 1 });
    });
    ctx.tally.rows += changes;
    ctx.tally.pages += 1;
    this.pending = { ops: [], changes: 0, bytes: 0 };
  }

  /** Value types of the table's columns named by Relation messages (enums, domains...), looked up once. */
  private async resolveTypes(parts: readonly TransactionPart[]): Promise<void> {
    const oids = new Set<number>();
    for (const part of parts) {
      for (const change of part.changes) {
        if (change.type !== "relation") continue;
        for (const column of change.columns) if (!this.types.has(column.typeOid)) oids.add(column.typeOid);
      }
    }
    if (oids.size === 0) return;
    const list = [...oids];
    const resolved = await this.resolver.valueTypes(list);
    list.forEach((oid, i) => this.types.set(oid, resolved[i]!));
  }

  /** The schema change error with type names in place of OIDs. */
  private async withTypeNames(error: SchemaChangeError): Promise<SchemaChangeError> {
    const oids = error.changes.flatMap((c) => [c.from, c.to]).filter((t): t is string => t !== null);
    if (oids.length === 0) return error;
    try {
      const result = await this.ctx.source.query(`SELECT o::text, format_type(o, NULL) FROM unnest(?::oid[]) AS o`, [
        `{${oids.map((t) => t.replace("oid ", "")).join(",")}}`,
      ]);
      const names = new Map(result.rows.map(([oid, type]) => [`oid ${String(oid)}`, String(type)]));
      const name = (type: string | null) => (type === null ? null : (names.get(type) ?? type));
      const named: SchemaChange[] = error.changes.map((c) => ({ ...c, from: name(c.from), to: name(c.to) }));
      return new SchemaChangeError(
        named,
        error.message.replace(/oid \d+/g, (oid) => names.get(oid) ?? oid),
      );
    } catch {
      return error;
    }
  }
}
