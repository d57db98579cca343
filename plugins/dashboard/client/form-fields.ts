// The create-job form, as data (no DOM): the page renders it, the client reads it and maps
// the server's validation errors onto it. Names are the API's field paths.

export type FieldKind = "text" | "password" | "number" | "select" | "list" | "checkbox";

/** How a job replicates: by a tracking column, or PostgreSQL's change capture. */
export type ReplicationMode = "pull" | "cdc";

export interface FormField {
  name: string;
  label: string;
  kind: FieldKind;
  /** Sent even when empty, so the server names it when it is missing. */
  required?: boolean;
  hint?: string;
  placeholder?: string;
  value?: string;
  options?: ReadonlyArray<readonly [value: string, label: string]>;
  /** Only shown and sent for these replication modes (every mode when absent). */
  modes?: readonly ReplicationMode[];
}

export interface FormGroup {
  id: string;
  legend: string;
  fields: readonly FormField[];
  /** Only sent when the source is given this way ("fields" or "url"). */
  sourceMode?: "fields" | "url";
}

const ssl: FormField = {
  name: "source.ssl",
  label: "TLS",
  kind: "select",
  options: [
    ["", "default"],
    ["off", "off"],
    ["require", "require"],
    ["verify-full", "verify-full"],
  ],
};

export const FORM_GROUPS: readonly FormGroup[] = [
  {
    id: "job",
    legend: "Job",
    fields: [
      { name: "name", label: "Name", kind: "text", required: true, hint: "letters, digits and _" },
      {
        name: "source.dialect",
        label: "Source database",
        kind: "select",
        required: true,
        options: [
          ["postgresql", "PostgreSQL"],
          ["mysql", "MySQL / MariaDB"],
        ],
      },
      {
        name: "mode",
        label: "Replication mode",
        kind: "select",
        required: true,
        hint: "change capture follows PostgreSQL's write-ahead log, deletes included",
        options: [
          ["pull", "pull, by a tracking column"],
          ["cdc", "change capture (PostgreSQL)"],
        ],
      },
    ],
  },
  {
    id: "source-fields",
    legend: "Connection",
    sourceMode: "fields",
    fields: [
      { name: "source.host", label: "Host", kind: "text", required: true, placeholder: "db.example.com" },
      { name: "source.port", label: "Port", kind: "number", placeholder: "5432 / 3306" },
      { name: "source.user", label: "User", kind: "text", required: true },
      { name: "source.password", label: "Password", kind: "password", hint: "never shown again" },
      { name: "source.database", label: "Database", kind: "text", required: true },
      { name: "source.schema", label: "Schema", kind: "text", placeholder: "public", hint: "PostgreSQL only" },
      ssl,
    ],
  },
  {
    id: "source-url",
    legend: "Connection",
    sourceMode: "url",
    fields: [
      {
        name: "source.url",
        label: "Connection URL",
        kind: "password",
        required: true,
        placeholder: "postgres://user:password@host:5432/db",
      },
      { name: "source.schema", label: "Schema", kind: "text", placeholder: "public", hint: "PostgreSQL only" },
      ssl,
    ],
  },
  {
    id: "table",
    legend: "Table",
    fields: [
      { name: "table_name", label: "Source table", kind: "text", required: true },
      { name: "target_table", label: "Replica table", kind: "text", hint: "default: the source table's name" },
      {
        name: "tracking_col",
        label: "Tracking column",
        kind: "text",
        required: true,
        placeholder: "updated_at",
        modes: ["pull"],
      },
      {
        name: "tracking_type",
        label: "Tracking type",
        kind: "select",
        required: true,
        modes: ["pull"],
        hint: "a last-changed time, or an increasing integer",
        options: [
          ["timestamp", "timestamp"],
          ["id", "id"],
        ],
      },
      {
        name: "publication",
        label: "Publication",
        kind: "text",
        modes: ["cdc"],
        hint: "default: one the job creates for this table",
      },
      { name: "primary_key", label: "Primary key", kind: "list", hint: "default: the source's; comma-separated" },
      { name: "columns", label: "Columns", kind: "list", hint: "default: all; comma-separated" },
    ],
  },
  {
    id: "schedule",
    legend: "Schedule",
    fields: [
      {
        name: "cron_tab",
        label: "Cron schedule (UTC)",
        kind: "text",
        required: true,
        value: "*/30 * * * * *",
        hint: "5 fields, or 6 with seconds",
      },
      {
        name: "batch_size",
        label: "Batch size",
        kind: "number",
        placeholder: "1000",
        hint: "rows per page, up to 10,000",
      },
      { name: "lookback_seconds", label: "Lookback (s)", kind: "number", placeholder: "300", modes: ["pull"] },
      { name: "active", label: "Start copying now", kind: "checkbox", value: "on" },
    ],
  },
];

/** Every field an error can be shown beside; "source" is the source as a whole. */
export const ERROR_TARGETS: readonly string[] = [
  "source",
  ...new Set(FORM_GROUPS.flatMap((g) => g.fields.map((f) => f.name))),
];

export type FieldValue = string | boolean;

/** The replication mode `value` names; pull for anything else. */
export function replicationMode(value: FieldValue | undefined): ReplicationMode {
  return value === "cdc" ? "cdc" : "pull";
}

/** Whether `field` belongs to the form in `mode`. */
export function inMode(field: Pick<FormField, "modes">, mode: ReplicationMode): boolean {
  return !field.modes || field.modes.includes(mode);
}

/**
 * The request body for `POST /replication/jobs` from the form's values (`get(name)` reads
 * the field of the active source mode). Fields of the other replication mode and empty
 * optional fields are left out; numbers that do not parse are sent as typed, so the server
 * names the field.
 */
export function jobBody(
  get: (name: string) => FieldValue | undefined,
  sourceMode: "fields" | "url",
): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const source: Record<string, unknown> = {};
  const mode = replicationMode(get("mode"));
  for (const group of FORM_GROUPS) {
    if (group.sourceMode !== undefined && group.sourceMode !== sourceMode) continue;
    for (const field of group.fields) {
      if (!inMode(field, mode)) continue;
      const value = convert(field, get(field.name));
      if (value === undefined) continue;
      if (field.name.startsWith("source.")) source[field.name.slice("source.".length)] = value;
      else body[field.name] = value;
    }
  }
  return { ...body, source };
}

/** Digits as a number; anything else as typed, so that the server names the field. */
export function numberOrAsTyped(text: string): number | string {
  return /^\d+$/.test(text) ? Number(text) : text;
}

/** Comma-separated names, trimmed, empty ones left out. */
export function namesOf(text: string): string[] {
  return text
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
}

function convert(field: FormField, raw: FieldValue | undefined): unknown {
  if (field.kind === "checkbox") return raw === true ? undefined : false; // only "not now" differs from the default
  const text = typeof raw === "string" ? raw.trim() : "";
  if (text === "" && !field.required) return undefined;
  if (field.kind === "number") return numberOrAsTyped(text);
  if (field.kind === "list") {
    const names = namesOf(text);
    return names.length ? names : undefined;
  }
  // A password may begin or end with a space; everything else is trimmed.
  return field.kind === "password" ? String(raw ?? "") : text;
}
