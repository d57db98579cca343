/** How a job's re-copy shows in its status and warnings. */
import type { Recopy } from "./state";

export interface RecopyView {
  /** The job's first copy, in primary key order (pull/first-copy.ts), rather than a re-copy after a change. */
  first_copy: boolean;
  /** Columns being filled in rows copied before the change; empty when only the column list changed. */
  columns: string[];
  rows_copied: number;
  started_at: string;
}

export function recopyView(recopy: Recopy | null): RecopyView | null {
  if (!recopy) return null;
  return {
    first_copy: recopy.first !== undefined,
    columns: recopy.columns,
    rows_copied: recopy.rows,
    started_at: new Date(recopy.started_at).toISOString(),
  };
}

export function recopyWarnings(recopy: Recopy | null): string[] {
  if (!recopy || (recopy.first && !recopy.columns.length)) return [];
  if (!recopy.columns.length) {
    return [`the column list changed: rows copied before are being copied again (${recopy.rows} so far)`];
  }
  return [
    `columns changed at the source or newly chosen (${recopy.columns.join(", ")}): rows copied before are being copied again ` +
      `(${recopy.rows} so far); until then those rows show NULL or their earlier values in them`,
  ];
}
