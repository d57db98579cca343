/** Checking a new choice of columns (PATCH `columns`) against the source's columns, without I/O. */
import { ValidationError } from "../../../src/errors";
import type { SourceColumn } from "../../../src/sources/types";

/**
 * The chosen columns as the source spells them, or "all". A 400 names a column
 * the source lacks, and the tracking or key columns when they are left out.
 */
export function resolveColumnChoice(
  chosen: readonly string[] | "all",
  current: readonly SourceColumn[],
  /** `tracking_col` is null in mode cdc. */
  job: { tracking_col: string | null; primary_key: readonly string[] },
  table: string,
): string[] | "all" {
  if (chosen === "all") return "all";
  const find = (name: string) =>
    current.find((c) => c.name === name) ?? current.find((c) => c.name.toLowerCase() === name.toLowerCase());
  const unknown = chosen.filter((name) => !find(name));
  if (unknown.length) {
    throw new ValidationError(
      `columns: ${unknown.map((n) => `"${n}"`).join(", ")} ${unknown.length > 1 ? "are not columns" : "is not a column"} of ${table}`,
    );
  }
  const names = chosen.map((name) => find(name)!.name);
  const needed = job.tracking_col === null ? job.primary_key : [job.tracking_col, ...job.primary_key];
  const missing = needed.filter((name) => !names.includes(name));
  if (missing.length) {
    throw new ValidationError(`columns must include the tracking and key columns; missing: ${missing.join(", ")}`);
  }
  return names;
}
