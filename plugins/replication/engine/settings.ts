/**
 * The shape of a job's settings, as one set of zod schemas: request bodies are
 * built from them (api/bodies.ts) and every stored job is parsed with them again
 * when it is loaded (engine/stored.ts), so stored state is never trusted blindly.
 */
import { z } from "zod";
import { INTERNAL_PREFIX } from "../../../src/migrations";

export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

export const identifier = (what: string) =>
  z
    .string({ error: `${what} must be a string` })
    .regex(IDENTIFIER, `${what} must be an identifier: a letter or _, then letters, digits, _ or $`);

export const RESERVED_TABLE = /^(tmp_|sqlite_|_cf_)/i;

export const targetTable = identifier("target_table").refine(
  (name) => !RESERVED_TABLE.test(name),
  `target_table must not start with ${INTERNAL_PREFIX}, sqlite_ or _cf_ (reserved)`,
);

export const JOB_NAME = /^[A-Za-z0-9_]{1,64}$/;
export const jobName = z
  .string({ error: "name is required" })
  .regex(JOB_NAME, "name must be 1 to 64 letters, digits or _");
/** A job name given in a path. */
export const jobNameParam = z.string().regex(JOB_NAME, "job name must be 1 to 64 letters, digits or _");

const dialect = z.enum(["postgresql", "mysql"], { error: 'source.dialect must be "postgresql" or "mysql"' });
const ssl = z.enum(["off", "require", "verify-full"], {
  error: 'source.ssl must be "off", "require" or "verify-full"',
});
const schemaName = identifier("source.schema");

const fieldsSource = z.strictObject({
  dialect,
  host: z.string().min(1, "source.host must not be empty").max(255, "source.host is too long"),
  port: z.number().int().min(1).max(65535).optional(),
  user: z.string().min(1, "source.user must not be empty").max(255, "source.user is too long"),
  password: z.string().max(1024, "source.password is too long").optional(),
  database: z.string().min(1, "source.database must not be empty").max(255, "source.database is too long"),
  schema: schemaName.optional(),
  ssl: ssl.optional(),
});

const urlSource = z.strictObject({
  dialect,
  url: z
    .string()
    .max(2048, "source.url is too long")
    .regex(/^(postgres|postgresql|mysql):\/\/\S+$/i, "source.url must be a postgres:// or mysql:// URL"),
  schema: schemaName.optional(),
  ssl: ssl.optional(),
});

const secretSource = z.strictObject({
  dialect,
  secret: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, "source.secret must be the name of a worker secret"),
  schema: schemaName.optional(),
  ssl: ssl.optional(),
});

const hyperdriveSource = z.strictObject({
  dialect: z.literal("postgresql", { error: 'a hyperdrive source must have dialect "postgresql"' }),
  hyperdrive: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, "source.hyperdrive must be the name of a Hyperdrive binding"),
  schema: schemaName.optional(),
});

export type SourceSettings =
  | z.infer<typeof fieldsSource>
  | z.infer<typeof urlSource>
  | z.infer<typeof secretSource>
  | z.infer<typeof hyperdriveSource>;

/** The four shapes as one schema, for the OpenAPI document (`sourceSettings` validates with clearer errors). */
export const sourceSettingsShape = z.union([fieldsSource, urlSource, secretSource, hyperdriveSource]);

/** One of four ways to reach the source, told apart by which field is present. */
export const sourceSettings = z.custom<unknown>().transform((value, ctx): SourceSettings => {
  const shape =
    value && typeof value === "object" && !Array.isArray(value)
      ? "hyperdrive" in value
        ? hyperdriveSource
        : "secret" in value
          ? secretSource
          : "url" in value
            ? urlSource
            : fieldsSource
      : undefined;
  if (!shape) {
    ctx.addIssue({ code: "custom", message: "source must be an object" });
    return z.NEVER;
  }
  const parsed = shape.safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, code: "custom", path: issue.path });
    return z.NEVER;
  }
  return parsed.data as SourceSettings;
});

export const trackingType = z.enum(["timestamp", "id"], { error: 'tracking_type must be "timestamp" or "id"' });

/** `pull` reads rows after a cursor; `cdc` (PostgreSQL) reads the table's changes from a logical replication slot. */
export const replicationMode = z.enum(["pull", "cdc"], { error: 'mode must be "pull" or "cdc"' });

/** Past this much WAL retained by a job's replication slot, the job warns (1 GiB unless the job says otherwise). */
export const DEFAULT_WAL_WARNING_BYTES = 1024 ** 3;

export const walWarningBytes = z
  .number({ error: "wal_warning_bytes must be a number" })
  .int("wal_warning_bytes must be a whole number")
  .min(1, "wal_warning_bytes must be at least 1")
  .max(Number.MAX_SAFE_INTEGER, "wal_warning_bytes is too large");

/** PostgreSQL's rule for replication slot names. */
export const SLOT_NAME = /^[a-z0-9_]{1,63}$/;

/** What a change capture job owns at the source, named when the job was created. */
export const cdcSettings = z.strictObject({
  slot: z.string().regex(SLOT_NAME, "cdc.slot must be a replication slot name"),
  publication: identifier("cdc.publication"),
  /** True when the job created the publication (and drops it when deleted); false for one the user named. */
  owns_publication: z.boolean(),
  wal_warning_bytes: walWarningBytes,
});

export type CdcSettings = z.infer<typeof cdcSettings>;

export const columnList = (what: string) =>
  z
    .array(identifier(`${what}[]`), { error: `${what} must be an array of column names` })
    .min(1, `${what} must name at least one column`)
    .refine(
      (names) => new Set(names.map((n) => n.toLowerCase())).size === names.length,
      `${what} must not repeat a column`,
    );

export const DEFAULT_BATCH_SIZE = 1000;
export const MAX_BATCH_SIZE = 10_000;
/** Long enough for ordinary transactions to commit; see README "Late commits". */
export const DEFAULT_LOOKBACK_SECONDS = 300;

export const batchSize = z
  .number({ error: "batch_size must be a number" })
  .int("batch_size must be a whole number")
  .min(1, "batch_size must be at least 1")
  .max(MAX_BATCH_SIZE, `batch_size must be at most ${MAX_BATCH_SIZE}`);

export const lookbackSeconds = z
  .number({ error: "lookback_seconds must be a number" })
  .int("lookback_seconds must be a whole number")
  .min(0, "lookback_seconds must not be negative")
  .max(7 * 86_400, "lookback_seconds must be at most 7 days");

/**
 * How a pull job in timestamp mode guards against late commits (README "Late commits: the
 * watermark"): up to a watermark read from the source, or a window of lookback_seconds
 * re-read on every run (for tracking values an application stamps with its own clock).
 */
export const lateCommits = z.enum(["watermark", "lookback"], {
  error: 'late_commits must be "watermark" or "lookback"',
});
export type LateCommits = z.infer<typeof lateCommits>;

export const cronTab = z
  .string({ error: "cron_tab must be a string" })
  .min(1, "cron_tab must not be empty")
  .max(200, "cron_tab is too long");

/** Whether a job copies every source column and follows new ones ("all"), or the columns it was given ("subset"). */
export const columnSelection = z.enum(["all", "subset"]);
export type ColumnSelection = z.infer<typeof columnSelection>;

/** What happens to the replica's column when the source drops it: kept (NULL in new rows) or dropped too. */
export const onColumnDrop = z.enum(["keep", "drop"], { error: 'on_column_drop must be "keep" or "drop"' });
export type OnColumnDrop = z.infer<typeof onColumnDrop>;

/** A second cron task of the job that verifies and repairs the replica; null (or absent) when there is none. */
export const reconcileCron = z
  .string({ error: "reconcile_cron must be a string or null" })
  .min(1, "reconcile_cron must not be empty")
  .max(200, "reconcile_cron is too long")
  .nullable();

/** A source column marking deleted rows (see pull/soft-delete.ts); null (or absent) when there is none. */
export const softDeleteCol = identifier("soft_delete_col").nullable();

/**
 * A job's settings after validation against the source, as stored. `source` is
 * stored without its secret (the password or URL is sealed apart, see credentials.ts).
 */
export const jobSettings = z.strictObject({
  name: jobName,
  /** Jobs stored before change capture existed are pull jobs. */
  mode: replicationMode.default("pull"),
  source: sourceSettings,
  table_name: identifier("table_name"),
  target_table: targetTable,
  /** Null in mode cdc, which needs no tracking column. */
  tracking_col: identifier("tracking_col").nullable(),
  tracking_type: trackingType.nullable(),
  primary_key: columnList("primary_key"),
  cron_tab: cronTab,
  batch_size: batchSize,
  lookback_seconds: lookbackSeconds,
  /** Absent in jobs stored before the watermark existed, and in mode cdc: "watermark". */
  late_commits: lateCommits.optional(),
  active: z.boolean({ error: "active must be true or false" }),
  // Absent in jobs stored before schema changes were followed (see schema-changes/selection.ts).
  column_selection: columnSelection.optional(),
  on_column_drop: onColumnDrop.optional(),
  reconcile_cron: reconcileCron.optional(),
  soft_delete_col: softDeleteCol.optional(),
  /** How soft_delete_col marks a deletion, from its source type; set together with it. */
  soft_delete_kind: z.enum(["timestamp", "boolean", "integer"]).nullable().optional(),
  /** Present exactly in mode cdc. */
  cdc: cdcSettings.optional(),
});

export type JobSettings = z.infer<typeof jobSettings>;
