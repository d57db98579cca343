/**
 * Reading a stored job back. Every row is parsed again with the schemas that
 * validated it on the way in: a row changed outside the API (a bug, a hand
 * edit) fails loudly instead of steering a run, and a catalog type name that
 * could reach SQL text must still have a type name's shape.
 */
import { z } from "zod";
import { AppError } from "../../../src/errors";
import { isSafePgTypeName } from "../../../src/sources/type-names";
import type { SourceColumn } from "../../../src/sources/types";
import { describeIssues } from "../../../src/validation";
import { ROW_HASH_FORMULA_NAMES, ROW_HASH_FORMULAS } from "../replica/row-hash";
import { type Cursor, decodeCursor } from "../pull/cursor";
import type { Recopy, SchemaChange, SchemaState } from "../schema-changes/state";
import type { Job, LateCommitGuardKind } from "./model";
import { jobSettings } from "./settings";

/** One row of tmp_replication_jobs, as SQLite returns it. */
export interface JobRow extends Record<string, SqlStorageValue> {
  name: string;
  settings: string;
  source_sealed: string | null;
  columns: string;
  warnings: string;
  cursor: string | null;
  caught_up: number;
  rows_synced: number;
  last_run_at: number | null;
  last_success_at: number | null;
  last_error: string | null;
  consecutive_failures: number;
  retry_at: number | null;
  created_at: number;
  /** Epoch ms: see JobProgress.synced_as_of. */
  synced_as_of: number | null;
  /** JSON of a cursor: see JobProgress.resume. */
  resume_cursor: string | null;
  resume_since: number | null;
  last_guard: string | null;
  /** JSON of the job's SchemaState (schema-changes/state.ts); NULL until a run first checked the source's columns. */
  schema_state: string | null;
  /** The last run's late-commit warning (pull/watermark.ts); NULL when it had none. */
  pull_warning: string | null;
  /** The formula of the replica's row hashes (replica/row-hash.ts). */
  row_hash: string;
}

const storedColumn = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(1024)
    .refine((name) => !name.includes("\u0000"), "must not contain NUL"),
  sourceType: z.string().min(1).max(1024),
  nullable: z.boolean(),
  sqliteType: z.enum(["INTEGER", "REAL", "TEXT", "BLOB"]),
});

const cursorValue = z.union([
  z.null(),
  z.number(),
  z.string(),
  z.strictObject({ hex: z.string().regex(/^([0-9a-f]{2})*$/) }),
]);
const storedCursor = z.strictObject({ tracking: cursorValue, key: z.array(cursorValue).nullable() });

const columnName = z.string().min(1).max(1024);
const storedSchemaState = z.strictObject({
  kept: z.array(columnName).max(1000),
  warnings: z.array(z.string().max(10_000)).max(100),
  recopy: z
    .strictObject({
      columns: z.array(columnName).max(1000),
      after: storedCursor.nullable(),
      rows: z.number().int().min(0),
      started_at: z.number().int(),
      first: z.strictObject({ below: z.string(), largest: storedCursor.nullable() }).optional(),
    })
    .nullable(),
});

const storedJob = z
  .object({
    settings: jobSettings,
    source_sealed: z.string().max(16_384).nullable(),
    columns: z.array(storedColumn).min(1).max(1000),
    warnings: z.array(z.string().max(10_000)).max(100),
    cursor: storedCursor.nullable(),
    resume_cursor: storedCursor.nullable(),
    schema_state: storedSchemaState.nullable(),
    row_hash: z.enum(ROW_HASH_FORMULA_NAMES),
  })
  .superRefine((job, ctx) => {
    const names = new Set(job.columns.map((c) => c.name));
    const { mode, tracking_col, tracking_type, cdc } = job.settings;
    for (const needed of [...(tracking_col === null ? [] : [tracking_col]), ...job.settings.primary_key]) {
      if (!names.has(needed)) ctx.addIssue({ code: "custom", path: ["columns"], message: `does not hold ${needed}` });
    }
    const pull = tracking_col !== null && tracking_type !== null && cdc === undefined;
    const capture = tracking_col === null && tracking_type === null && cdc !== undefined;
    if (mode === "pull" ? !pull : !capture) {
      ctx.addIssue({ code: "custom", path: ["settings", "mode"], message: `does not match the job's other settings` });
    }
    const dialect = job.settings.source.dialect;
    if (!ROW_HASH_FORMULAS[dialect].includes(job.row_hash)) {
      ctx.addIssue({ code: "custom", path: ["row_hash"], message: `is not computed on ${dialect}` });
    }
    if (dialect !== "postgresql") return;
    job.columns.forEach((column, i) => {
      if (!isSafePgTypeName(column.sourceType)) {
        ctx.addIssue({ code: "custom", path: ["columns", i, "sourceType"], message: "is not a type name" });
      }
    });
  });

/** The stored row as a Job; an AppError naming the job and the problem when the row does not hold one. */
export function parseStoredJob(row: JobRow): Job {
  let raw: unknown;
  try {
    raw = {
      settings: JSON.parse(row.settings),
      source_sealed: row.source_sealed,
      columns: JSON.parse(row.columns),
      warnings: JSON.parse(row.warnings),
      cursor: row.cursor === null ? null : JSON.parse(row.cursor),
      resume_cursor: row.resume_cursor == null ? null : JSON.parse(row.resume_cursor),
      schema_state: row.schema_state == null ? null : JSON.parse(row.schema_state),
      row_hash: row.row_hash,
    };
  } catch {
    throw invalid(row.name, "a column does not hold JSON");
  }
  const parsed = storedJob.safeParse(raw);
  if (!parsed.success) throw invalid(row.name, describeIssues(parsed.error));
  const { settings, columns, warnings, schema_state } = parsed.data;
  if (settings.name !== row.name) throw invalid(row.name, "settings.name is another job's");
  return {
    settings,
    sealedSource: parsed.data.source_sealed,
    columns: columns as SourceColumn[],
    warnings,
    created_at: row.created_at,
    rowHash: parsed.data.row_hash,
    ...(schema_state ? { schema: decodeSchemaState(schema_state) } : {}),
    ...(typeof row.pull_warning === "string" ? { pullWarning: row.pull_warning.slice(0, 10_000) } : {}),
    progress: {
      cursor: decodeCursor(row.cursor) as Cursor | null,
      caught_up: row.caught_up === 1,
      rows_synced: row.rows_synced,
      last_run_at: row.last_run_at,
      last_success_at: row.last_success_at,
      last_error: row.last_error,
      consecutive_failures: row.consecutive_failures,
      retry_at: row.retry_at,
      synced_as_of: row.synced_as_of,
      resume: decodeCursor(row.resume_cursor) as Cursor | null,
      resume_since: row.resume_since,
      last_guard: guardKindOf(row.last_guard),
    },
  };
}

function invalid(name: string, problem: string): AppError {
  return new AppError(
    "internal",
    `stored job ${name} is invalid (${problem}): it was changed outside the API; delete the job and create it again`,
  );
}

/** The stored state with its cursor values decoded (blobs are tagged in JSON, as in the job's cursor). */
function decodeSchemaState(stored: z.infer<typeof storedSchemaState>): SchemaState {
  const cursor = (value: z.infer<typeof storedCursor> | null) => decodeCursor(value && JSON.stringify(value));
  if (!stored.recopy) return { ...stored, recopy: null };
  const { first, ...rest } = stored.recopy;
  const recopy: Recopy = {
    ...rest,
    after: cursor(rest.after),
    ...(first ? { first: { below: first.below, largest: cursor(first.largest) } } : {}),
  };
  return { ...stored, recopy };
}

const storedSchemaChanges = z.array(
  z.strictObject({
    column: columnName,
    change: z.enum(["added", "dropped", "retyped"]),
    from: z.string().max(1024).nullable(),
    to: z.string().max(1024).nullable(),
  }),
);

/** A run's stored schema changes; none when the column is NULL, or (logged) when it does not hold them. */
export function parseSchemaChanges(text: string | null): SchemaChange[] {
  if (text === null) return [];
  try {
    return storedSchemaChanges.parse(JSON.parse(text));
  } catch {
    console.error("replication: a run's schema_changes are not readable; shown as none");
    return [];
  }
}

/** A stored guard kind; anything else reads as unknown (the next watermark run then re-reads once). */
function guardKindOf(value: string | null): LateCommitGuardKind | null {
  return value === "watermark" || value === "lookback" || value === "none" ? value : null;
}
