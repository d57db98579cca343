/**
 * Replays a change capture job's slot into its replica: chunks are fetched,
 * decoded and assembled into whole source transactions, planned into replica
 * writes, and written a batch of transactions at a time, each batch in one
 * SQLite transaction that also stores the end LSN of its last transaction.
 * The slot is advanced only after that, when the replay ends.
 *
 * A Relation message whose columns differ from the ones the job knows is a
 * schema change: what was planned before it is written first, then the change
 * goes through the same handling as the pull mode's (schema-changes/apply.ts),
 * and the changes after it are planned with the job's new columns.
 */
import { PG_TYPE_CATALOG_SQL, type PgTypeCatalogRow, PgTypeResolver } from "../../../src/sources/pg-type-resolver";
import type { PgValueType } from "../../../src/sources/pg-types";
import type { Job } from "../engine/model";
import type { CdcSettings } from "../engine/settings";
import { sliceBoundsNow, WorkPacer } from "../pull/slices";
import type { SyncContext } from "../pull/sync";
import { ensureReplicaWithRowHash, hasRowHashColumn } from "../replica/hash-column";
import { pgRowHashFormula } from "../replica/row-hash";
import { applyColumnChanges } from "../schema-changes/apply";
import type { SchemaChange } from "../schema-changes/state";
import { ReplicaWriter } from "./apply";
import { relationSourceColumns } from "./columns";
import { formatLsn, maxLsn, parseLsn } from "./lsn";
import type { RelationMessage } from "./pgoutput";
import { type ApplyOp, ChangePlanner } from "./plan";
import { knownColumnsOf, schemaDiffers } from "./schema";
import { perDatabase } from "../engine/per-database";
import { clampPeekMessages, nextPeekMessages } from "./peek-size";
import { type SlotEnd, SlotReader } from "./stream";
import { type CdcPhase, type CdcState, CdcStore, type KnownColumn } from "./store";
import { type AppliedPosition, TransactionAssembler, type TransactionPart } from "./transactions";
import type { CdcTuning } from "./tuning";

export interface ReplayResult {
  /** Every change committed before the run's read began is applied. */
  caughtUp: boolean;
  slot: SlotEnd;
  /** The job as it is now stored: a schema change may have changed its columns. */
  job: Job;
  /** Column changes the replay met, as run history records them. */
  schemaChanges: SchemaChange[];
}

/**
 * Each slot's next peek size (peek-size.ts), per database and kept while its
 * Durable Object lives; one that starts afresh begins with the tuning's first size.
 */
const peekSizes = perDatabase<number>();

export class Replay {
  private readonly states: CdcStore;
  private planner!: ChangePlanner;
  private writer!: ReplicaWriter;
  private readonly types = new Map<number, PgValueType>();
  private readonly resolver: PgTypeResolver;
  private readonly position: AppliedPosition;
  private readonly snapshotEnd: bigint | null;
  private phase: CdcPhase;
  /** Planned writes not yet in SQLite, and what they bring the stored position to. */
  private pending = { ops: [] as ApplyOp[], changes: 0, bytes: 0 };
  private applied: bigint | null;
  private partial: AppliedPosition["partial"];
  private job: Job;
  private known: KnownColumn[];
  private readonly schemaChanges: SchemaChange[] = [];
  /** The replica keeps row hashes (all but a table at the column limit). */
  private rowHash = false;

  constructor(
    private readonly ctx: SyncContext & { tuning: CdcTuning },
    private readonly state: CdcState,
    private readonly cdc: CdcSettings,
  ) {
    this.states = new CdcStore(ctx.host.sql);
    this.job = ctx.job;
    this.known = state.source_columns;
    this.shape();
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
  }

  /** Replays until the slot is drained or the run's bounds are reached, then advances the slot. */
  async run(started: number): Promise<ReplayResult> {
    const { ctx } = this;
    const { tuning, bounds } = ctx;
    this.rowHash = ensureReplicaWithRowHash(ctx.host.sql, this.job);
    this.shape();
    const assembler = new TransactionAssembler(this.position, tuning.maxTransactionChanges, tuning.maxTransactionBytes);
    const limits = { min: tuning.minPeekMessages, max: tuning.peekMessages };
    const sizes = peekSizes(ctx.host.sql);
    const asked = clampPeekMessages(sizes.get(this.cdc.slot) ?? tuning.firstPeekMessages, limits);
    let processed = 0;
    const reader = new SlotReader(ctx.source, {
      cdc: this.cdc,
      schema: this.state.schema,
      table: this.job.settings.table_name,
      tableOid: this.state.table_oid,
      peekMessages: asked,
      groupBytes: tuning.groupBytes,
      fetchBytes: tuning.fetchBytes,
    });
    let chunk = await reader.start();
    const pacer = new WorkPacer({ readStartedAt: () => ctx.host.lastReadAt?.() ?? null });
    let stopped = false;
    for (;;) {
      const last = reader.ended;
      // The next chunk is asked for before this one is applied: the server packs and sends it meanwhile.
      const following = last ? null : reader.next();
      // Settled even when applying this chunk fails first (the run's error is the one that counts).
      following?.catch(() => undefined);
      const parts = assembler.push(chunk.messages, chunk.sizes);
      const large = assembler.takeLargePart();
      if (large) parts.push(large);
      for (const part of parts) await this.takePaced(part, pacer);
      processed += chunk.messages.length;
      const applied = ctx.tally.rows + this.pending.changes;
      stopped = !last && (applied >= tuning.maxChanges || Date.now() - started >= bounds.maxMs);
      const full = this.pending.changes >= tuning.writeChanges || this.pending.bytes >= tuning.writeBytes;
      if (full || last || stopped) this.write();
      if (last || stopped) break;
      chunk = await following!;
      pacer.restart();
    }
    const caughtUp = reader.drained && !stopped;
    sizes.set(this.cdc.slot, nextPeekMessages({ asked, processed, stopped, full: !reader.drained }, limits));
    await tuning.beforeSlotAdvance?.(ctx.source);
    const slot = await reader.finish(this.applied, caughtUp, Date.now());
    if (caughtUp) this.phase = "streaming";
    this.states.update(this.job.settings.name, { slot_health: slot.health, phase: this.phase });
    return { caughtUp, slot, job: this.job, schemaChanges: this.schemaChanges };
  }

  /**
   * Takes a part, then pauses once the pacer's slice is full: a reader waits for whatever holds the
   * object. While someone reads, the slice is committed first, at this part's end (a source
   * transaction stays whole), so that what they read moves too; otherwise writes stay large, which
   * rewrites each replica page less often.
   */
  private async takePaced(part: TransactionPart, pacer: WorkPacer): Promise<void> {
    const { bounds, host } = this.ctx;
    const before = this.pending.changes;
    await this.take(part);
    pacer.add(this.pending.changes - before);
    const slice = sliceBoundsNow(bounds, host.lastReadAt?.() ?? null, Date.now());
    if (!pacer.full(slice)) return;
    if (slice === bounds.sliceWhileReading && this.pending.changes > 0) this.write();
    await pacer.pause(slice);
  }

  /** Plans one part; at a schema change, what comes before it is written and the change applied first. */
  private async take(part: TransactionPart): Promise<void> {
    let rest = part;
    for (;;) {
      const at = rest.changes.findIndex((c) => c.type === "relation" && this.changesSchema(c));
      if (at < 0) return this.plan(rest);
      const before = rest.changes.slice(0, at);
      const beforeData = before.filter((c) => c.type !== "relation").length;
      // What precedes the change in its transaction is written as a part of it (resumed after, if need be).
      if (beforeData > 0) await this.plan({ ...rest, endLsn: null, changes: before, dataChanges: beforeData });
      this.write();
      await this.followSchema(rest.changes[at] as RelationMessage);
      rest = {
        ...rest,
        offset: rest.offset + beforeData,
        changes: rest.changes.slice(at),
        dataChanges: rest.dataChanges - beforeData,
      };
    }
  }

  private changesSchema(relation: RelationMessage): boolean {
    return relation.oid === this.state.table_oid && schemaDiffers(this.known, relation.columns);
  }

  /** Plans the part into pending writes (Relation messages may name types to look up first). */
  private async plan(part: TransactionPart): Promise<void> {
    await this.resolveTypes(part);
    this.pending.changes += this.planner.plan(part, this.pending.ops);
    this.pending.bytes += part.bytes;
    if (part.endLsn === null) {
      this.partial = { commitLsn: part.commitLsn, changes: part.offset + part.dataChanges };
    } else {
      this.applied = maxLsn(this.applied, part.endLsn);
      this.partial = null;
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
    const name = this.job.settings.name;
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

  /**
   * The table's columns changed at this point of the WAL: the replica and the job
   * follow (a ValidationError naming the column when the job cannot), the run
   * records the changes, and planning carries on with the new columns.
   */
  private async followSchema(relation: RelationMessage): Promise<void> {
    const current = await relationSourceColumns(this.ctx.source, relation);
    const { job, changes } = applyColumnChanges(this.ctx.host, this.job, current, {
      dialect: "postgresql",
      table: `${this.state.schema}.${this.job.settings.table_name}`,
      runId: this.ctx.runId,
    });
    this.job = job;
    this.known = knownColumnsOf(relation.columns);
    this.states.update(job.settings.name, { source_columns: this.known });
    this.schemaChanges.push(...changes);
    this.rowHash = hasRowHashColumn(this.ctx.host.sql, job.settings.target_table);
    this.shape();
  }

  /** The planner and writer for the job's columns as they are now. */
  private shape(): void {
    const { settings, columns } = this.job;
    this.planner = new ChangePlanner(
      {
        tableOid: this.state.table_oid,
        schema: this.state.schema,
        table: settings.table_name,
        columns,
        primaryKey: settings.primary_key,
        known: this.known,
        rowHash: this.rowHash,
      },
      (oid) => this.types.get(oid) ?? oid,
    );
    this.writer = new ReplicaWriter(
      this.ctx.host.sql,
      settings.target_table,
      columns,
      settings.primary_key,
      this.rowHash ? pgRowHashFormula(this.job.rowHash) : null,
    );
  }

  /** Value types of the table's columns named by Relation messages (enums, domains...), looked up once. */
  private async resolveTypes(part: TransactionPart): Promise<void> {
    const oids = new Set<number>();
    for (const change of part.changes) {
      if (change.type !== "relation") continue;
      for (const column of change.columns) if (!this.types.has(column.typeOid)) oids.add(column.typeOid);
    }
    if (oids.size === 0) return;
    const list = [...oids];
    const resolved = await this.resolver.valueTypes(list);
    list.forEach((oid, i) => this.types.set(oid, resolved[i]!));
  }
}
