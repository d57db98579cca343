/**
 * A change capture job's life at the source: checked and given its publication
 * and slot when created, and rid of them when deleted. Called by the job
 * manager (engine/jobs.ts) on a connection it opens.
 */
import { ValidationError } from "../../../src/errors";
import type { SourceConnection, TableInfo } from "../../../src/sources/types";
import { type JobColumnsPlan, planJobColumns } from "../engine/plan-job";
import { type CdcSettings, DEFAULT_WAL_WARNING_BYTES } from "../engine/settings";
import { cdcProblems, readCdcFacts } from "./readiness";
import { cdcObjectName, createCdcObjects, dropPublication, dropSlot, randomSuffix, readSourceColumns } from "./slot";
import type { CdcState } from "./store";

export interface CdcJobRequest {
  name: string;
  table_name: string;
  columns?: string[];
  primary_key?: string | string[];
  publication?: string;
  wal_warning_bytes?: number;
}

export interface CdcJobPlan extends JobColumnsPlan {
  cdc: CdcSettings;
  state: CdcState;
}

/**
 * Checks that the source can serve change capture for the table (a 400 saying
 * what to run or change when it cannot), plans the job's columns, and names
 * its publication and slot. Creates nothing.
 */
export async function planCdcJob(source: SourceConnection, request: CdcJobRequest): Promise<CdcJobPlan> {
  const info = await checkCdcSource(source, request.table_name, request.publication);
  const table = `${info.schema}.${info.name}`;
  const given = request.primary_key === undefined ? undefined : [request.primary_key].flat();
  if (given && given.join(",").toLowerCase() !== info.primaryKey.join(",").toLowerCase()) {
    throw new ValidationError(
      `primary_key must be the primary key of ${table} (${info.primaryKey.join(", ")}) in mode cdc: ` +
        `its changes are keyed by it`,
    );
  }
  const plan = planJobColumns(info, { table_name: request.table_name, columns: request.columns });
  const known = await readSourceColumns(source, info.schema, info.name);
  const name = cdcObjectName(request.name, randomSuffix());
  return {
    ...plan,
    cdc: {
      slot: name,
      publication: request.publication ?? name,
      owns_publication: request.publication === undefined,
      wal_warning_bytes: request.wal_warning_bytes ?? DEFAULT_WAL_WARNING_BYTES,
    },
    state: {
      phase: "snapshot",
      snapshot_table: null,
      snapshot_end_lsn: null,
      applied_lsn: null,
      partial_lsn: null,
      partial_changes: 0,
      schema: info.schema,
      table_oid: known.oid,
      source_columns: known.columns,
      slot_health: null,
    },
  };
}

/**
 * The table, once the source is found able to serve change capture for it (a
 * 400 saying what to run or change when not). `publication` is one the user named.
 */
export async function checkCdcSource(
  source: SourceConnection,
  tableName: string,
  publication: string | undefined,
): Promise<TableInfo> {
  const info = await source.describeTable(tableName);
  const facts = await readCdcFacts(source, info.schema, info.name, publication);
  const table = `${info.schema}.${info.name}`;
  const problems = cdcProblems(facts, { table, primaryKey: info.primaryKey, publication });
  if (problems.length) throw new ValidationError(problems.join("; "));
  return info;
}

/** Creates the publication (unless the user named one) and the slot: the slot exists before the first copy starts. */
export async function createCdcJobObjects(source: SourceConnection, plan: CdcJobPlan, table: string): Promise<void> {
  await createCdcObjects(source, plan.cdc, plan.state.schema, table);
}

/** What deleting a change capture job did at the source. */
export interface CdcCleanup {
  slot: string;
  slot_dropped: boolean;
  publication: string;
  /** False for a publication the user named: the job did not create it and leaves it. */
  publication_dropped: boolean;
  /** Present when something the job created is still at the source: why, and how to remove it. */
  left_behind?: string;
}

/**
 * Drops what the job created at the source. `connect` failing (the source is
 * unreachable) is not fatal: the answer says what was left and how to drop it.
 */
export async function dropCdcJobObjects(
  cdc: CdcSettings,
  connect: (work: (source: SourceConnection) => Promise<void>) => Promise<void>,
): Promise<CdcCleanup> {
  const result: CdcCleanup = {
    slot: cdc.slot,
    slot_dropped: false,
    publication: cdc.publication,
    publication_dropped: false,
  };
  try {
    await connect(async (source) => {
      await dropSlot(source, cdc.slot);
      result.slot_dropped = true;
      if (cdc.owns_publication) {
        await dropPublication(source, cdc.publication);
        result.publication_dropped = true;
      }
    });
  } catch (error) {
    const left = [
      ...(result.slot_dropped ? [] : [`SELECT pg_drop_replication_slot('${cdc.slot}');`]),
      ...(cdc.owns_publication && !result.publication_dropped
        ? [`DROP PUBLICATION IF EXISTS "${cdc.publication}";`]
        : []),
    ];
    result.left_behind =
      `the source could not be cleaned up (${error instanceof Error ? error.message : String(error)}): ` +
      `the replication slot keeps WAL on the source until it is dropped. Run there: ${left.join(" ")}`;
  }
  return result;
}
