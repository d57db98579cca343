/**
 * What a change capture job keeps between runs, in its own table: where the
 * snapshot stands, the last transaction applied, the source table's identity
 * and columns as the job knows them, and the slot's health as last read.
 * Rows are parsed again on load, like every stored job.
 */
import { z } from "zod";
import { AppError } from "../../../src/errors";
import type { Migration } from "../../../src/plugin";
import { describeIssues } from "../../../src/validation";
import { isLsn } from "./lsn";

export const CDC_TABLE = "tmp_replication_cdc";

export const CDC_MIGRATIONS: readonly Migration[] = [
  {
    id: "replication/cdc-001-state",
    sql: `CREATE TABLE ${CDC_TABLE} (
      job TEXT PRIMARY KEY,
      phase TEXT NOT NULL,
      snapshot_table TEXT,
      snapshot_end_lsn TEXT,
      applied_lsn TEXT,
      partial_lsn TEXT,
      partial_changes INTEGER NOT NULL DEFAULT 0,
      schema TEXT NOT NULL,
      table_oid INTEGER NOT NULL,
      source_columns TEXT NOT NULL,
      slot_health TEXT
    )`,
  },
  {
    // A run may say what it did beyond copying (a replication slot recreated, and why).
    id: "replication/cdc-002-run-note",
    sql: `ALTER TABLE tmp_replication_runs ADD COLUMN note TEXT`,
  },
];

/** A source column as the job knows it: a Relation message that differs is a schema change. */
export interface KnownColumn {
  name: string;
  type_oid: number;
  /** The type modifier (-1 for none); absent in jobs stored before 2026-12-01. */
  typmod?: number;
}

/** The replication slot as last read from pg_replication_slots. */
export interface SlotHealth {
  confirmed_lsn: string | null;
  retained_wal_bytes: number | null;
  /** `reserved`, `extended`, `unreserved` or `lost`; `missing` when no such slot exists. */
  wal_status: string | null;
  safe_wal_size: number | null;
  checked_at: number;
}

export type CdcPhase = "snapshot" | "streaming";

export interface CdcState {
  /** `snapshot` until replay has passed the WAL position read after the copy. */
  phase: CdcPhase;
  /** Where the copy goes when it does not go to the replica itself (a shadow table, swapped in when complete). */
  snapshot_table: string | null;
  /** `pg_current_wal_lsn()` read after the copy; null while copying. */
  snapshot_end_lsn: string | null;
  /** End of the last transaction applied; changes at or before it are never applied again. */
  applied_lsn: string | null;
  /** A transaction too large for one SQLite transaction, applied in parts: its commit LSN and changes applied so far. */
  partial_lsn: string | null;
  partial_changes: number;
  /** The source table's schema, and its OID when the job was created (a table dropped and created again has another). */
  schema: string;
  table_oid: number;
  source_columns: KnownColumn[];
  slot_health: SlotHealth | null;
}

const lsn = z.string().refine(isLsn, "is not an LSN");
const storedState = z.strictObject({
  phase: z.enum(["snapshot", "streaming"]),
  snapshot_table: z.string().max(200).nullable(),
  snapshot_end_lsn: lsn.nullable(),
  applied_lsn: lsn.nullable(),
  partial_lsn: lsn.nullable(),
  partial_changes: z.number().int().min(0),
  schema: z.string().min(1).max(63),
  table_oid: z.number().int().min(1),
  source_columns: z
    .array(
      z.strictObject({
        name: z.string().min(1).max(1024),
        type_oid: z.number().int(),
        typmod: z.number().int().optional(),
      }),
    )
    .min(1),
  slot_health: z
    .strictObject({
      confirmed_lsn: lsn.nullable(),
      retained_wal_bytes: z.number().nullable(),
      wal_status: z.string().max(40).nullable(),
      safe_wal_size: z.number().nullable(),
      checked_at: z.number(),
    })
    .nullable(),
});

interface CdcRow extends Record<string, SqlStorageValue> {
  job: string;
  phase: string;
  snapshot_table: string | null;
  snapshot_end_lsn: string | null;
  applied_lsn: string | null;
  partial_lsn: string | null;
  partial_changes: number;
  /** The source table's schema, and its OID when the job was created (a table dropped and created again has another). */
  schema: string;
  table_oid: number;
  source_columns: string;
  slot_health: string | null;
}

/** Thin persistence of change capture state; callers decide which writes share a transaction. */
export class CdcStore {
  constructor(private readonly sql: SqlStorage) {}

  get(job: string): CdcState | undefined {
    const row = this.sql.exec<CdcRow>(`SELECT * FROM ${CDC_TABLE} WHERE job = ?`, job).toArray()[0];
    if (!row) return undefined;
    const { job: _name, ...fields } = row;
    let raw: unknown;
    try {
      raw = {
        ...fields,
        source_columns: JSON.parse(row.source_columns),
        slot_health: row.slot_health === null ? null : JSON.parse(row.slot_health),
      };
    } catch {
      throw invalid(job, "a column does not hold JSON");
    }
    const parsed = storedState.safeParse(raw);
    if (!parsed.success) throw invalid(job, describeIssues(parsed.error));
    return parsed.data;
  }

  /** The job's state; an AppError when a change capture job has none (it was changed outside the API). */
  require(job: string): CdcState {
    const state = this.get(job);
    if (!state) throw invalid(job, "its change capture state is missing");
    return state;
  }

  insert(job: string, state: CdcState): void {
    this.sql.exec(
      `INSERT INTO ${CDC_TABLE} (job, phase, snapshot_table, snapshot_end_lsn, applied_lsn, partial_lsn, partial_changes,
         schema, table_oid, source_columns, slot_health) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      job,
      state.phase,
      state.snapshot_table,
      state.snapshot_end_lsn,
      state.applied_lsn,
      state.partial_lsn,
      state.partial_changes,
      state.schema,
      state.table_oid,
      JSON.stringify(state.source_columns),
      state.slot_health === null ? null : JSON.stringify(state.slot_health),
    );
  }

  /** Changes some fields; the rest stay as stored. */
  update(job: string, changes: Partial<CdcState>): void {
    const entries = Object.entries(changes).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return;
    const encode = (key: string, value: unknown) =>
      (key === "source_columns" || key === "slot_health") && value !== null ? JSON.stringify(value) : value;
    this.sql.exec(
      `UPDATE ${CDC_TABLE} SET ${entries.map(([k]) => `${k} = ?`).join(", ")} WHERE job = ?`,
      ...entries.map(([k, v]) => encode(k, v) as SqlStorageValue),
      job,
    );
  }

  delete(job: string): void {
    this.sql.exec(`DELETE FROM ${CDC_TABLE} WHERE job = ?`, job);
  }
}

function invalid(job: string, problem: string): AppError {
  return new AppError(
    "internal",
    `stored change capture state of job ${job} is invalid (${problem}): delete the job and create it again`,
  );
}
