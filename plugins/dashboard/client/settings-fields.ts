// A job's settings form, as data (no DOM): which settings an operator may change from a card,
// what each shows as its current value, and the PATCH /replication/jobs/:name body. A field
// left empty leaves its setting as it is.
import { type FieldValue, inMode, namesOf, numberOrAsTyped, type ReplicationMode } from "./form-fields";
import type { JobView } from "./types";

export interface SettingField {
  /** The PATCH body's field. */
  name:
    | "cron_tab"
    | "batch_size"
    | "lookback_seconds"
    | "reconcile_cron"
    | "soft_delete_col"
    | "on_column_drop"
    | "columns";
  label: string;
  kind: "text" | "number" | "select";
  hint?: string;
  options?: ReadonlyArray<readonly [value: string, label: string]>;
  /** Only for these replication modes (every mode when absent). */
  modes?: readonly ReplicationMode[];
  /** NONE typed here removes the setting (sent as null). */
  removable?: boolean;
  /** The setting now, as the field would be filled to keep it. */
  current(job: JobView): string;
}

/** Typed into a removable setting, it removes it. */
export const NONE = "none";

export const SETTING_FIELDS: readonly SettingField[] = [
  { name: "cron_tab", label: "Cron schedule (UTC)", kind: "text", current: (job) => job.cron_tab },
  { name: "batch_size", label: "Batch size", kind: "number", current: (job) => String(job.batch_size) },
  {
    name: "lookback_seconds",
    label: "Lookback (s)",
    kind: "number",
    modes: ["pull"],
    current: (job) => String(job.lookback_seconds),
  },
  {
    name: "reconcile_cron",
    label: "Reconcile schedule (UTC)",
    kind: "text",
    removable: true,
    hint: `verify with repair on this cron; "${NONE}" for never`,
    current: (job) => job.reconcile_cron ?? NONE,
  },
  {
    name: "soft_delete_col",
    label: "Soft delete column",
    kind: "text",
    modes: ["pull"],
    removable: true,
    hint: `a row it marks deleted leaves the replica; "${NONE}" for no such column`,
    current: (job) => job.soft_delete_col ?? NONE,
  },
  {
    name: "columns",
    label: "Columns",
    kind: "text",
    hint: '"all" (new columns too), or names separated by commas',
    current: (job) =>
      job.column_selection === "subset" && job.columns ? job.columns.map((c) => c.name).join(", ") : "all",
  },
  {
    name: "on_column_drop",
    label: "A column dropped at the source",
    kind: "select",
    options: [
      ["", "unchanged"],
      ["keep", "is kept in the replica"],
      ["drop", "is dropped from the replica"],
    ],
    current: (job) => job.on_column_drop ?? "keep",
  },
];

export function settingsFor(mode: ReplicationMode): SettingField[] {
  return SETTING_FIELDS.filter((field) => inMode(field, mode));
}

/**
 * The PATCH body from the fields' values: empty ones left out, numbers that do not parse sent
 * as typed (the server names the field), `none` for a removable setting as null, columns
 * `all` as "all" and otherwise as a list.
 */
export function settingsBody(get: (name: string) => FieldValue | undefined, mode: ReplicationMode) {
  const body: Record<string, unknown> = {};
  for (const field of settingsFor(mode)) {
    const raw = get(field.name);
    const text = typeof raw === "string" ? raw.trim() : "";
    if (text === "") continue;
    if (field.kind === "number") body[field.name] = numberOrAsTyped(text);
    else if (field.removable && text.toLowerCase() === NONE) body[field.name] = null;
    else if (field.name === "columns") body[field.name] = text === "all" ? "all" : namesOf(text);
    else body[field.name] = text;
  }
  return body;
}
