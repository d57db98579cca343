// Pure formatting for the dashboard (no DOM): numbers, durations, times, a job's source.
import type { JobView, RunView, VerifyResult } from "./types";

const numbers = new Intl.NumberFormat("en-US");

export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined ? "—" : numbers.format(n);
}

/** Whole seconds as "42 s", "3 min 5 s", "2 h 10 min", "3 d 4 h". */
export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return joinUnits(Math.floor(s / 60), "min", s % 60, "s");
  if (s < 86_400) return joinUnits(Math.floor(s / 3600), "h", Math.floor((s % 3600) / 60), "min");
  return joinUnits(Math.floor(s / 86_400), "d", Math.floor((s % 86_400) / 3600), "h");
}

function joinUnits(big: number, bigUnit: string, small: number, smallUnit: string): string {
  return small === 0 ? `${big} ${bigUnit}` : `${big} ${bigUnit} ${small} ${smallUnit}`;
}

/** Milliseconds as "35 ms", "1.2 s", then like formatSeconds. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  return formatSeconds(ms / 1000);
}

/** "5 s ago", "in 3 min", "now"; "—" for no time. */
export function formatRelative(iso: string | null | undefined, now: number): string {
  if (!iso) return "—";
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const diff = Math.round((at - now) / 1000);
  if (Math.abs(diff) < 1) return "now";
  return diff < 0 ? `${formatSeconds(-diff)} ago` : `in ${formatSeconds(diff)}`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** Rows in the replica: the table's count when the API gives it, else the rows the runs wrote. */
export function replicaRows(job: JobView): number {
  const counted = job.status.replica_rows;
  return counted === null || counted === undefined ? job.status.rows_synced : counted;
}

export function jobMode(job: JobView): string {
  return job.mode ?? "pull";
}

export interface SourceSummary {
  dialect: string;
  /** Where the source is: "host:port", or the secret / Hyperdrive binding that holds it. */
  location: string;
  database: string;
  /** The source table, schema-qualified for PostgreSQL. */
  table: string;
}

/** What the page shows of a job's source: never a user or a password. */
export function sourceSummary(job: JobView): SourceSummary {
  const source = job.source;
  const text = (key: string) => (typeof source[key] === "string" ? (source[key] as string) : undefined);
  const dialect = text("dialect") ?? "?";
  let location = "";
  let database = text("database") ?? "";
  const url = text("url");
  if (text("host") !== undefined) {
    location = source.port === undefined ? text("host")! : `${text("host")}:${String(source.port)}`;
  } else if (url !== undefined) {
    const parsed = parseUrl(url);
    location = parsed?.host ?? "URL";
    database = parsed?.database ?? "";
  } else if (text("secret") !== undefined) {
    location = `secret ${text("secret")}`;
  } else if (text("hyperdrive") !== undefined) {
    location = `Hyperdrive ${text("hyperdrive")}`;
  }
  const schema = text("schema") ?? (dialect === "postgresql" ? "public" : undefined);
  return { dialect, location, database, table: schema ? `${schema}.${job.table_name}` : job.table_name };
}

function parseUrl(url: string): { host: string; database: string } | undefined {
  try {
    const parsed = new URL(url);
    return {
      host: parsed.port ? `${parsed.hostname}:${parsed.port}` : parsed.hostname,
      database: parsed.pathname.slice(1),
    };
  } catch {
    return undefined;
  }
}

/** A run's duration: its own figure when the API gives one, else end minus start; null while it runs. */
export function runDurationMs(run: RunView): number | null {
  if (typeof run.duration_ms === "number") return run.duration_ms;
  if (!run.ended_at) return null;
  const ms = Date.parse(run.ended_at) - Date.parse(run.started_at);
  return Number.isFinite(ms) ? Math.max(0, ms) : null;
}

export type RunOutcome = "ok" | "failed" | "running";

export function runOutcome(run: RunView): RunOutcome {
  if (run.error) return "failed";
  return run.ended_at ? "ok" : "running";
}

/** The last verify found differences it did not (wholly) repair: Repair offers to. */
export function needsRepair(verify: VerifyResult | null): boolean {
  if (!verify) return false;
  const problems = (verify.missing ?? 0) + (verify.extra ?? 0) + (verify.differing ?? 0);
  return problems > 0 && !(verify.repaired === true && verify.done !== false);
}
