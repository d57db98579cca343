/** Request bodies of the REST API, built from the same schemas that check stored jobs (engine/settings.ts). */
import { z } from "zod";
import {
  batchSize,
  columnList,
  cronTab,
  identifier,
  jobName,
  lateCommits,
  lookbackSeconds,
  onColumnDrop,
  reconcileCron,
  softDeleteCol,
  replicationMode,
  sourceSettings,
  sourceSettingsShape,
  targetTable,
  trackingType,
  walWarningBytes,
} from "../engine/settings";

/** PATCH `columns`: a new subset of the source's columns, or "all" to copy every column and follow new ones. */
const columnChoice = z.custom<unknown>().transform((value, ctx): string[] | "all" => {
  if (value === "all") return "all";
  if (typeof value === "string") {
    ctx.addIssue({ code: "custom", message: 'columns must be "all" or an array of column names' });
    return z.NEVER;
  }
  const parsed = columnList("columns").safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, code: "custom", path: issue.path });
    return z.NEVER;
  }
  return parsed.data;
});

const createJobFields = z.strictObject({
  name: jobName,
  mode: replicationMode.optional(),
  source: sourceSettings,
  table_name: identifier("table_name"),
  target_table: targetTable.optional(),
  columns: columnList("columns").optional(),
  tracking_col: identifier("tracking_col").optional(),
  tracking_type: trackingType.optional(),
  primary_key: z.union([identifier("primary_key"), columnList("primary_key")]).optional(),
  cron_tab: cronTab,
  batch_size: batchSize.optional(),
  lookback_seconds: lookbackSeconds.optional(),
  late_commits: lateCommits.optional(),
  active: z.boolean({ error: "active must be true or false" }).optional(),
  on_column_drop: onColumnDrop.optional(),
  reconcile_cron: reconcileCron.optional(),
  soft_delete_col: softDeleteCol.optional(),
  publication: identifier("publication").optional(),
  wal_warning_bytes: walWarningBytes.optional(),
});

/** Mode pull needs a tracking column; mode cdc (PostgreSQL only) has none, and each mode refuses the other's settings. */
export const createJobBody = createJobFields.superRefine((body, ctx) => {
  const problem = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
  if ((body.mode ?? "pull") === "pull") {
    if (body.tracking_col === undefined) problem("tracking_col", "is required (or use mode cdc on PostgreSQL)");
    if (body.tracking_type === undefined) problem("tracking_type", 'is required: "timestamp" or "id"');
    for (const field of ["publication", "wal_warning_bytes"] as const) {
      if (body[field] !== undefined) problem(field, "applies to mode cdc only");
    }
    return;
  }
  if (body.source?.dialect === "mysql") {
    problem("mode", "cdc reads PostgreSQL's logical decoding: a MySQL source replicates with mode pull");
  }
  for (const field of [
    "tracking_col",
    "tracking_type",
    "lookback_seconds",
    "late_commits",
    "soft_delete_col",
  ] as const) {
    if (body[field] !== undefined)
      problem(field, "applies to mode pull only: mode cdc reads every change, deletes too");
  }
});

export type CreateJobBody = z.infer<typeof createJobBody>;

const patchJobFields = z.strictObject({
  cron_tab: cronTab.optional(),
  batch_size: batchSize.optional(),
  lookback_seconds: lookbackSeconds.optional(),
  late_commits: lateCommits.optional(),
  source: sourceSettings.optional(),
  active: z.boolean({ error: "active must be true or false" }).optional(),
  columns: columnChoice.optional(),
  on_column_drop: onColumnDrop.optional(),
  reconcile_cron: reconcileCron.optional(),
  soft_delete_col: softDeleteCol.optional(),
  wal_warning_bytes: walWarningBytes.optional(),
});

export const patchJobBody = patchJobFields.refine(
  (body) => Object.values(body).some((v) => v !== undefined),
  "nothing to change: give cron_tab, batch_size, lookback_seconds, late_commits, source, active, columns, on_column_drop, reconcile_cron, soft_delete_col or wal_warning_bytes",
);

export type PatchJobBody = z.infer<typeof patchJobBody>;

/** The bodies as the OpenAPI document shows them: `source` as its four shapes, `columns` as a list or "all". */
export const createJobBodyDoc = createJobFields.extend({ source: sourceSettingsShape });
export const patchJobBodyDoc = patchJobFields.extend({
  source: sourceSettingsShape.optional(),
  columns: z.union([z.literal("all"), z.array(z.string())]).optional(),
});
