import type { SourceColumn, SourceParam, SqlDialect } from "../../../src/sources/types";
import type { Cursor } from "./cursor";

export interface PagePlan {
  dialect: SqlDialect;
  schema?: string;
  table: string;
  /** Columns to read, in replica order; must include the tracking and key columns. */
  columns: readonly SourceColumn[];
  tracking: SourceColumn;
  key: readonly SourceColumn[];
  /** Read rows strictly after this position (or from its tracking value on when `key` is null). */
  after: Cursor | null;
  limit: number;
  /** Columns that must not be NULL in the rows read: a re-copy in key order reads only rows the cursor pull copies. */
  notNull?: readonly SourceColumn[];
  /** Only rows whose `column` is below `value`: a first copy in key order leaves the rest to the cursor pull. */
  trackingBelow?: { column: SourceColumn; value: Cursor["tracking"] };
  /** SQL expressions selected after the columns (the row hash, a soft-delete flag). */
  extra?: readonly string[];
}

export interface PlannedQuery {
  sql: string;
  params: SourceParam[];
}

/**
 * Plans one page: rows after `after` in (tracking, key) order. Rows that share a
 * tracking value across a page boundary are told apart by the key, so none is
 * skipped and none is read twice. A leading `tracking >= value` bound lets the
 * source range-scan an index on the tracking column.
 */
export function buildPageQuery(plan: PagePlan): PlannedQuery {
  const q = (c: SourceColumn) => plan.dialect.quoteIdentifier(c.name);
  const order = [plan.tracking, ...plan.key];
  const params: SourceParam[] = [];
  const bind = (column: SourceColumn, value: Cursor["tracking"]) => {
    const bound = plan.dialect.bindComparable(column, value);
    params.push(bound.param);
    return bound.sql;
  };

  let where: string;
  const after = plan.after;
  if (!after) {
    where = `${q(plan.tracking)} IS NOT NULL`;
  } else if (after.key === null) {
    where = `${q(plan.tracking)} >= ${bind(plan.tracking, after.tracking)}`;
  } else {
    const values = [after.tracking, ...after.key];
    where = `${q(plan.tracking)} >= ${bind(plan.tracking, after.tracking)} AND ${strictlyAfter(order, values, q, bind)}`;
  }
  for (const column of plan.notNull ?? []) where += ` AND ${q(column)} IS NOT NULL`;
  if (plan.trackingBelow)
    where += ` AND ${q(plan.trackingBelow.column)} < ${bind(plan.trackingBelow.column, plan.trackingBelow.value)}`;

  // The limit is bound, not written into the text: it changes from page to page (pageLimit), and a
  // statement text that stays the same lets the source layer reuse what it learned of the statement
  // (PostgreSQL's COPY reads learn their column types from one LIMIT 0 round trip per text).
  params.push(Math.max(1, Math.floor(plan.limit)));
  const sql =
    `SELECT ${[...plan.columns.map(q), ...(plan.extra ?? [])].join(", ")} FROM ${plan.dialect.qualifiedTable(plan.schema, plan.table)}` +
    ` WHERE ${where} ORDER BY ${order.map(q).join(", ")} LIMIT ?`;
  return { sql, params };
}

/** `(c0, c1, ...) > (v0, v1, ...)` spelled out, because row-value comparison is not sargable everywhere. */
function strictlyAfter(
  columns: readonly SourceColumn[],
  values: readonly Cursor["tracking"][],
  q: (c: SourceColumn) => string,
  bind: (c: SourceColumn, v: Cursor["tracking"]) => string,
): string {
  const [column, ...restColumns] = columns;
  const [value, ...restValues] = values;
  if (!column) throw new Error("keyset order needs at least one column");
  const greater = `${q(column)} > ${bind(column, value ?? null)}`;
  if (restColumns.length === 0) return greater;
  const equal = `${q(column)} = ${bind(column, value ?? null)}`;
  return `(${greater} OR (${equal} AND ${strictlyAfter(restColumns, restValues, q, bind)}))`;
}

/** Rows for the next page: `batchSize`, or fewer when rows are wide, so a page stays near `targetBytes`. */
export function pageLimit(batchSize: number, rows: number, bytes: number, targetBytes: number): number {
  if (rows === 0 || bytes <= 0) return batchSize;
  const perRow = bytes / rows;
  return Math.max(1, Math.min(batchSize, Math.floor(targetBytes / perRow)));
}
