/**
 * The first page of a read has no page before it to size it by (keyset.ts pageLimit), and
 * batch_size rows of wide rows (up to 10,000 of up to 2 MB each) would not fit an isolate's
 * memory. So each job's bytes per row, as its last page had them, are remembered per database,
 * and a read this isolate has no figure for starts with a small probe page.
 */
import { perDatabase } from "../engine/per-database";
import { pageLimit } from "./keyset";

/**
 * Rows in a first page when the job's row size is not known yet (RunBounds.firstPageRows): rows of
 * 100 KB make it 10 MB, where batch_size 10,000 would make it 1 GB.
 */
export const PROBE_ROWS = 100;

const bytesPerRow = perDatabase<number>();

/** Rows for the first page of the job's next read: sized by its remembered row size, or `firstPageRows`. */
export function firstPageLimit(
  sql: SqlStorage,
  job: string,
  batchSize: number,
  bounds: { pageBytes: number; firstPageRows: number },
): number {
  const known = knownRowBytes(sql, job);
  return known === undefined
    ? Math.min(batchSize, bounds.firstPageRows)
    : pageLimit(batchSize, 1, known, bounds.pageBytes);
}

/** The job's bytes per row as its last page had them, if this database has read one. */
export function knownRowBytes(sql: SqlStorage, job: string): number | undefined {
  return bytesPerRow(sql).get(job);
}

/** Notes the size of the rows of a page the job has read (a page without rows says nothing). */
export function rememberRowSize(sql: SqlStorage, job: string, rows: number, bytes: number): void {
  if (rows === 0 || bytes <= 0) return;
  bytesPerRow(sql).set(job, bytes / rows);
}

/** How a job's reads size their pages (pull/page-reader.ts): its batch_size, the run's page bounds and its remembered row size. */
export function pageSizing(
  sql: SqlStorage,
  job: string,
  batchSize: number,
  bounds: { pageBytes: number; firstPageRows: number },
): {
  batchSize: number;
  pageBytes: number;
  knownRowBytes: number | undefined;
  probeRows: number;
  onPage: (rows: number, bytes: number) => void;
} {
  return {
    batchSize,
    pageBytes: bounds.pageBytes,
    knownRowBytes: knownRowBytes(sql, job),
    probeRows: bounds.firstPageRows,
    onPage: (rows, bytes) => rememberRowSize(sql, job, rows, bytes),
  };
}
