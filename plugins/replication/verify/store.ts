/** Where verification results are kept: the job's last one, and the counts of each reconciliation run. */
import { z } from "zod";
import { JOBS_TABLE, RUNS_TABLE } from "../engine/migrations";
import type { VerifyCounts, VerifyResult } from "./types";

/** The last verification of a job, as its view shows it. */
export type LastVerify = VerifyResult & { at: string };

const count = z.number().int().min(0);
const counts = z.object({
  source_rows: count,
  replica_rows: count,
  missing: count,
  extra: count,
  differing: count,
});
const lastVerify = counts.extend({
  repaired: z.boolean(),
  done: z.boolean(),
  method: z.enum(["key ranges", "keys"]),
  // Results stored before values could be compared compared hashes.
  compared: z.enum(["hashes", "values"]).default("hashes"),
  duration_ms: count,
  examples: z.object({ missing: z.array(z.unknown()), extra: z.array(z.unknown()), differing: z.array(z.unknown()) }),
  at: z.string(),
});

export class VerifyStore {
  constructor(private readonly sql: SqlStorage) {}

  saveLast(job: string, result: VerifyResult, at: number): void {
    const stored: LastVerify = { ...result, at: new Date(at).toISOString() };
    this.sql.exec(`UPDATE ${JOBS_TABLE} SET last_verify = ? WHERE name = ?`, JSON.stringify(stored), job);
  }

  /** The job's last verification; null when there was none, or when the stored one does not parse. */
  last(job: string): LastVerify | null {
    const row = this.sql
      .exec<{ v: string | null }>(`SELECT last_verify AS v FROM ${JOBS_TABLE} WHERE name = ?`, job)
      .toArray()[0];
    if (!row?.v) return null;
    try {
      const parsed = lastVerify.safeParse(JSON.parse(row.v));
      return parsed.success ? (parsed.data as LastVerify) : null;
    } catch {
      return null;
    }
  }

  /** The counts a reconciliation run found, shown with the run. */
  saveRunCounts(runId: number, found: VerifyCounts): void {
    const { source_rows, replica_rows, missing, extra, differing } = found;
    this.sql.exec(
      `UPDATE ${RUNS_TABLE} SET verify = ? WHERE id = ?`,
      JSON.stringify({ source_rows, replica_rows, missing, extra, differing }),
      runId,
    );
  }
}

/** A run's stored counts, parsed again; undefined for runs that are not reconciliations. */
export function parseRunCounts(text: string | null): VerifyCounts | undefined {
  if (!text) return undefined;
  try {
    const parsed = counts.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
