/** Request bodies of the REST API, built from the same schemas that check stored jobs (engine/settings.ts). */
import { z } from "zod";
import {
  batchSize,
  columnList,
  cronTab,
  identifier,
  jobName,
  lookbackSeconds,
  sourceSettings,
  sourceSettingsShape,
  targetTable,
  trackingType,
} from "../engine/settings";

export const createJobBody = z.strictObject({
  name: jobName,
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

const patchJobFields = z.strictObject({
  cron_tab: cronTab.optional(),
  batch_size: batchSize.optional(),
  lookback_seconds: lookbackSeconds.optional(),
  source: sourceSettings.optional(),
  active: z.boolean({ error: "active must be true or false" }).optional(),
});

export const patchJobBody = patchJobFields.refine(
  (body) => Object.values(body).some((v) => v !== undefined),
  "nothing to change: give cron_tab, batch_size, lookback_seconds, source or active",
);

export type PatchJobBody = z.infer<typeof patchJobBody>;

/** The bodies as the OpenAPI document shows them: `source` as its four shapes. */
export const createJobBodyDoc = createJobBody.extend({ source: sourceSettingsShape });
export const patchJobBodyDoc = patchJobFields.extend({ source: sourceSettingsShape.optional() });
