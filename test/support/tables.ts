import type { Dialect } from "./replication";
import { mysqlExec, pgExec } from "./sources";

/** Runs arrange/cleanup SQL on the given source. */
export function exec(dialect: Dialect, sql: string, params: unknown[] = []): Promise<unknown> {
  return dialect === "postgresql" ? pgExec(sql, params) : mysqlExec(sql, params);
}

/** A replicated table with an id key, a few value columns and an indexed tracking timestamp. */
export async function createItemsTable(dialect: Dialect, table: string, options: { nullableTracking?: boolean } = {}) {
  const nullity = options.nullableTracking ? "NULL" : "NOT NULL";
  if (dialect === "postgresql") {
    await pgExec(
      `CREATE TABLE ${table} (id bigint PRIMARY KEY, val text, amount numeric(14,4), updated_at timestamptz(6) ${nullity})`,
    );
    await pgExec(`CREATE INDEX ON ${table} (updated_at, id)`);
  } else {
    await mysqlExec(
      `CREATE TABLE ${table} (id bigint PRIMARY KEY, val varchar(200), amount decimal(14,4), updated_at datetime(6) ${nullity}, INDEX (updated_at, id))`,
    );
  }
}

/** SQL for "now, to the microsecond" on each source. */
export const NOW: Record<Dialect, string> = { postgresql: "clock_timestamp()", mysql: "NOW(6)" };

/** Inserts ids [from, to] with one shared timestamp literal, in one statement. */
export async function insertRange(dialect: Dialect, table: string, from: number, to: number, timestamp: string) {
  if (dialect === "postgresql") {
    await pgExec(
      `INSERT INTO ${table} SELECT g, 'v' || g, g * 1.5, $1::timestamptz FROM generate_series($2::bigint, $3::bigint) g`,
      [timestamp, from, to],
    );
  } else {
    await mysqlExec(
      `INSERT INTO ${table} WITH RECURSIVE s(g) AS (SELECT ? UNION ALL SELECT g + 1 FROM s WHERE g < ?) SELECT g, CONCAT('v', g), g * 1.5, ? FROM s`,
      [from, to, timestamp.replace("T", " ").replace("Z", "")],
    );
  }
}

export async function dropTable(dialect: Dialect, table: string) {
  await exec(dialect, `DROP TABLE IF EXISTS ${table}`);
}
