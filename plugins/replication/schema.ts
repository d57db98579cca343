import { z } from "zod";
import { INTERNAL_PREFIX } from "../../src/migrations";

const identifier = (what: string) =>
  z
    .string({ error: `${what} must be a string` })
    .regex(
      /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/,
      `${what} must be an identifier: a letter or _, then letters, digits, _ or $`,
    );

const targetTable = identifier("target_table").refine(
  (name) => !/^(tmp_|sqlite_|_cf_)/i.test(name),
  `target_table must not start with ${INTERNAL_PREFIX}, sqlite_ or _cf_ (reserved)`,
);

const dialect = z.enum(["postgresql", "mysql"], { error: 'source.dialect must be "postgresql" or "mysql"' });
const ssl = z.enum(["off", "require", "verify-full"], {
  error: 'source.ssl must be "off", "require" or "verify-full"',
});
const schemaName = identifier("source.schema");

const fieldsSource = z.strictObject({
  dialect,
  host: z.string().min(1, "source.host must not be empty"),
  port: z.number().int().min(1).max(65535).optional(),
  user: z.string().min(1, "source.user must not be empty"),
  password: z.string().optional(),
  database: z.string().min(1, "source.database must not be empty"),
  schema: schemaName.optional(),
  ssl: ssl.optional(),
});

const urlSource = z.strictObject({
  dialect,
  url: z.string().regex(/^(postgres|postgresql|mysql):\/\/\S+$/i, "source.url must be a postgres:// or mysql:// URL"),
  schema: schemaName.optional(),
  ssl: ssl.optional(),
});

const secretSource = z.strictObject({
  dialect,
  secret: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "source.secret must be the name of a worker secret"),
  schema: schemaName.optional(),
  ssl: ssl.optional(),
});

const hyperdriveSource = z.strictObject({
  dialect: z.literal("postgresql", { error: 'a hyperdrive source must have dialect "postgresql"' }),
  hyperdrive: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "source.hyperdrive must be the name of a Hyperdrive binding"),
  schema: schemaName.optional(),
});

/** One of four ways to reach the source, told apart by which field is present. */
export const sourceSettings = z.custom<unknown>().transform((value, ctx) => {
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

export type SourceSettings =
  | z.infer<typeof fieldsSource>
  | z.infer<typeof urlSource>
  | z.infer<typeof secretSource>
  | z.infer<typeof hyperdriveSource>;

const trackingType = z.enum(["timestamp", "id"], { error: 'tracking_type must be "timestamp" or "id"' });
const columnList = (what: string) =>
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

const batchSize = z
  .number({ error: "batch_size must be a number" })
  .int("batch_size must be a whole number")
  .min(1, "batch_size must be at least 1")
  .max(MAX_BATCH_SIZE, `batch_size must be at most ${MAX_BATCH_SIZE}`);
const lookbackSeconds = z
  .number({ error: "lookback_seconds must be a number" })
  .int("lookback_seconds must be a whole number")
  .min(0, "lookback_seconds must not be negative")
  .max(7 * 86_400, "lookback_seconds must be at most 7 days");
const cronTab = z.string({ error: "cron_tab must be a string" }).min(1, "cron_tab must not be empty");

export const createJobBody = z.strictObject({
  name: z
    .string({ error: "name is required" })
    .regex(/^[A-Za-z0-9_]{1,64}$/, "name must be 1 to 64 letters, digits or _"),
  source: sourceSettings,
  table_name: identifier("table_name"),
  target_table: targetTable.optional(),
  columns: columnList("columns").optional(),
  tracking_col: identifier("tracking_col"),
  tracking_type: trackingType,
  primary_key: z.union([identifier("primary_key"), columnList("primary_key")]).optional(),
  cron_tab: cronTab,
  batch_size: batchSize.optional(),
  lookback_seconds: lookbackSeconds.optional(),
  active: z.boolean({ error: "active must be true or false" }).optional(),
});

export type CreateJobBody = z.infer<typeof createJobBody>;

export const patchJobBody = z
  .strictObject({
    cron_tab: cronTab.optional(),
    batch_size: batchSize.optional(),
    lookback_seconds: lookbackSeconds.optional(),
    source: sourceSettings.optional(),
    active: z.boolean({ error: "active must be true or false" }).optional(),
  })
  .refine(
    (body) => Object.values(body).some((v) => v !== undefined),
    "nothing to change: give cron_tab, batch_size, lookback_seconds, source or active",
  );

export type PatchJobBody = z.infer<typeof patchJobBody>;

export const jobName = z.string().regex(/^[A-Za-z0-9_]{1,64}$/, "job name must be 1 to 64 letters, digits or _");
