/**
 * The source side of a change capture job: its publication and logical
 * replication slot, created, checked and dropped with plain SQL. Decisions
 * (names, whether a slot needs recreating) are pure functions; the rest is thin.
 */
import { SourceUnavailableError, ValidationError } from "../../../src/errors";
import { postgresDialect } from "../../../src/sources";
import { pgLiteral } from "../../../src/sources/pg-copy";
import type { SourceConnection } from "../../../src/sources/types";
import type { CdcSettings } from "../engine/settings";
import type { KnownColumn, SlotHealth } from "./store";

/**
 * Slot and publication name of a new job: `starbase_<job>_<8 hex>`. Slots are
 * shared by every database of the server, and several deployments may name a
 * job alike: the random part keeps them apart.
 */
export function cdcObjectName(job: string, random: string): string {
  return `starbase_${job.toLowerCase().slice(0, 40)}_${random}`;
}

export function randomSuffix(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(4));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const q = (name: string) => postgresDialect.quoteIdentifier(name);

/** The table's OID and its columns with their type OIDs, as a Relation message will name them. */
export async function readSourceColumns(
  source: SourceConnection,
  schema: string,
  table: string,
): Promise<{ oid: number; columns: KnownColumn[] }> {
  const result = await source.query(
    `SELECT c.oid::int8, a.attname::text, a.atttypid::int8, a.atttypmod
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = ? AND c.relname = ? ORDER BY a.attnum`,
    [schema, table],
  );
  if (result.rows.length === 0) throw new ValidationError(`table ${schema}.${table} does not exist at the source`);
  return {
    oid: Number(result.rows[0]![0]),
    columns: result.rows.map(([, name, type, typmod]) => ({
      name: String(name),
      type_oid: Number(type),
      typmod: Number(typmod),
    })),
  };
}

/**
 * Creates the job's publication (unless it uses one the user named) and then its
 * slot. A failure leaves nothing behind: a publication created here is dropped again.
 */
export async function createCdcObjects(
  source: SourceConnection,
  cdc: CdcSettings,
  schema: string,
  table: string,
): Promise<void> {
  if (cdc.owns_publication) {
    try {
      await source.query(`CREATE PUBLICATION ${q(cdc.publication)} FOR TABLE ${q(schema)}.${q(table)}`);
    } catch (error) {
      throw new ValidationError(
        `creating publication ${cdc.publication} failed (${messageOf(error)}): a role that owns ${schema}.${table} ` +
          `can run CREATE PUBLICATION name FOR TABLE ${schema}.${table}; then name it in publication`,
      );
    }
  }
  try {
    await createSlot(source, cdc.slot);
  } catch (error) {
    if (cdc.owns_publication) await dropPublication(source, cdc.publication).catch(() => undefined);
    throw error;
  }
}

/**
 * A logical slot with pgoutput. PostgreSQL waits for the transactions open at
 * that moment to end before the slot exists, bounded by the statement timeout.
 */
export async function createSlot(source: SourceConnection, slot: string): Promise<void> {
  try {
    await source.query(`SELECT lsn::text FROM pg_create_logical_replication_slot(?, 'pgoutput')`, [slot]);
  } catch (error) {
    const message = messageOf(error);
    const hint = /statement timeout|canceling statement/i.test(message)
      ? ": PostgreSQL waits for every transaction open when the slot is created to end; end long-running transactions and try again"
      : "";
    throw new SourceUnavailableError(`creating replication slot ${slot} failed: ${message}${hint}`);
  }
}

/** Drops the slot; false when there was none. */
export async function dropSlot(source: SourceConnection, slot: string): Promise<boolean> {
  const result = await source.query(
    `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ?`,
    [slot],
  );
  return result.rows.length > 0;
}

export async function dropPublication(source: SourceConnection, publication: string): Promise<void> {
  await source.query(`DROP PUBLICATION IF EXISTS ${q(publication)}`);
}

/** What a run reads about its slot before it reads changes. */
export interface SlotReading {
  health: SlotHealth;
  publicationExists: boolean;
  /** The OID of the job's table now; null when no such table exists. */
  tableOid: number | null;
}

export async function readSlot(
  source: SourceConnection,
  cdc: CdcSettings,
  schema: string,
  table: string,
  now: number,
): Promise<SlotReading> {
  const result = await source.query(slotReadingSql(cdc, schema, table));
  return slotReadingOf(result.rows[0]!, now);
}

/** One row: the slot's health (`missing` when there is none), whether the publication exists, the table's OID now. */
export function slotReadingSql(cdc: CdcSettings, schema: string, table: string): string {
  return `SELECT CASE WHEN s.slot_name IS NULL THEN 'missing' ELSE s.wal_status END,
            s.safe_wal_size::int8, s.confirmed_flush_lsn::text, (pg_current_wal_lsn() - s.restart_lsn)::int8,
            EXISTS (SELECT 1 FROM pg_publication WHERE pubname = ${pgLiteral(cdc.publication)}),
            to_regclass(format('%I.%I', ${pgLiteral(schema)}::text, ${pgLiteral(table)}::text))::oid::int8
       FROM (SELECT 1) AS one LEFT JOIN pg_replication_slots s ON s.slot_name = ${pgLiteral(cdc.slot)}`;
}

export function slotReadingOf(row: readonly unknown[], now: number): SlotReading {
  const [status, safe, confirmed, retained, publication, oid] = row;
  const number = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    health: {
      wal_status: status === null || status === undefined ? null : String(status),
      safe_wal_size: number(safe),
      confirmed_lsn: confirmed === null || confirmed === undefined ? null : String(confirmed),
      retained_wal_bytes: number(retained),
      checked_at: now,
    },
    publicationExists: publication === 1,
    tableOid: number(oid),
  };
}

/**
 * Why the job's slot cannot be read and must be created again (the table then
 * copied again), or null when it can. Managed services drop idle slots, and
 * `max_slot_wal_keep_size` invalidates a slot that falls too far behind.
 */
export function slotTrouble(reading: SlotReading, cdc: CdcSettings): string | null {
  if (reading.health.wal_status === "missing") {
    return `replication slot ${cdc.slot} no longer exists at the source (dropped by someone, or by a managed service for being idle)`;
  }
  if (reading.health.wal_status === "lost") {
    return `replication slot ${cdc.slot} was invalidated (wal_status lost): the source removed WAL it still needed (max_slot_wal_keep_size)`;
  }
  if (!reading.publicationExists) {
    // Decoding what was written before it vanished fails for good: only a new slot gets past it.
    return `publication ${cdc.publication} no longer exists at the source`;
  }
  return null;
}

/** What a run does when the job's table itself is gone or was replaced: it stops, naming the table. */
export function tableTrouble(reading: SlotReading, knownOid: number, table: string): string | null {
  if (reading.tableOid === null) return `the source table ${table} no longer exists (dropped or renamed)`;
  if (reading.tableOid !== knownOid) {
    return `the source table ${table} was dropped and created again since the job was created: delete the job and create it again`;
  }
  return null;
}

/** Recreates a slot that is lost or gone (and the job's own publication if it went too). */
export async function recreateCdcObjects(
  source: SourceConnection,
  cdc: CdcSettings,
  reading: SlotReading,
  schema: string,
  table: string,
): Promise<void> {
  if (!reading.publicationExists && !cdc.owns_publication) {
    // Nothing is dropped: the slot stays as it is until the publication is back.
    throw new ValidationError(
      `publication ${cdc.publication}, which this job was told to use, no longer exists: ` +
        `CREATE PUBLICATION ${cdc.publication} FOR TABLE ${schema}.${table}, then run the job again`,
    );
  }
  if (reading.health.wal_status !== "missing") await dropSlot(source, cdc.slot);
  if (!reading.publicationExists) {
    await source.query(`CREATE PUBLICATION ${q(cdc.publication)} FOR TABLE ${q(schema)}.${q(table)}`);
  }
  await createSlot(source, cdc.slot);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
