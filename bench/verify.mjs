// Verify benchmark (issue 11), called by run.mjs: a verify of the 1,000,000-row replica with no
// difference, timed by the plugin (duration_ms) and over HTTP, with workerd's memory during it and
// how the source read the table (PostgreSQL: the range aggregate's plan and the table's scan
// counters; MariaDB: the range aggregate's plan); and what hashing each row costs a backfill's
// source reads.
import { spawn } from "node:child_process";
import * as src from "./lib/sources.mjs";
import { sampleMemory } from "./lib/worker.mjs";

const REPEATS = Number(process.env.BENCH_VERIFY_REPEATS ?? 3);
const COLUMNS = ["id", "updated_at", "name", "amount", "active", "payload", "score", "code"];
/** Rows per top-level key range (the plugin's DEFAULT_SHAPE.topRows). */
const RANGE_ROWS = 25_000;

const round = (x, d = 0) => Math.round(x * 10 ** d) / 10 ** d;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * The row hash as the plugin's rowHashSql writes it for a job created now
 * (plugins/replication/replica/row-hash.ts, currentRowHashFormula: hashtext on PostgreSQL, CRC32 on MySQL).
 */
export function rowHashSql(dialect, columns = COLUMNS) {
  if (dialect === "postgresql") {
    const texts = columns.map((c) => `coalesce("${c}"::text, chr(30))`).join(", ");
    return `(hashtext(concat_ws(chr(31), ${texts}) COLLATE "C")::bigint & 4294967295)`;
  }
  const texts = columns.map((c) => `COALESCE(HEX(CAST(\`${c}\` AS BINARY)), CHAR(30))`).join(", ");
  return `CAST(CRC32(CONCAT_WS(CHAR(31), ${texts})) AS SIGNED)`;
}

/** One top-level range's aggregate, as verify/source-sql.ts builds it for an integer key. */
function rangeAggregateSql(dialect, table, after, upTo) {
  const hash = rowHashSql(dialect);
  return dialect === "postgresql"
    ? `SELECT count(*), coalesce(sum(${hash}), 0)::text FROM "public"."${table}" WHERE "id" > ${after}::bigint AND "id" <= ${upTo}::bigint`
    : `SELECT count(*), CAST(COALESCE(SUM(${hash}), 0) AS CHAR) FROM \`${table}\` WHERE \`id\` > CAST(${after} AS SIGNED) AND \`id\` <= CAST(${upTo} AS SIGNED)`;
}

async function pgScanCounters(table) {
  return src.withPg(async (c) => {
    const r = await c.query(
      `SELECT coalesce(seq_scan,0)::int8 AS seq_scan, coalesce(seq_tup_read,0)::int8 AS seq_tup_read,
              coalesce(idx_scan,0)::int8 AS idx_scan, coalesce(idx_tup_fetch,0)::int8 AS idx_tup_fetch
         FROM pg_stat_user_tables WHERE relname = $1`,
      [table],
    );
    return Object.fromEntries(Object.entries(r.rows[0]).map(([k, v]) => [k, Number(v)]));
  });
}

/** How the source reads one range: the plan's scan node (and, for PostgreSQL, its timing). */
async function sourcePlan(dialect, table) {
  const sql = rangeAggregateSql(dialect, table, 500_000, 500_000 + RANGE_ROWS);
  if (dialect === "postgresql") {
    return src.withPg(async (c) => {
      const r = await c.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`);
      const plan = r.rows[0]["QUERY PLAN"][0];
      const { node: scan, label } = src.pgFirstScan(plan);
      return {
        statement: "one range's count and hash sum (25,000 keys)",
        scan: label,
        index_cond: scan["Index Cond"] ?? null,
        rows_examined: scan["Actual Rows"] + (scan["Rows Removed by Filter"] ?? 0),
        execution_ms: round(plan["Execution Time"], 1),
      };
    });
  }
  return src.withMy(async (c) => {
    const [rows] = await c.query(`EXPLAIN ${sql}`);
    const row = rows[0];
    return {
      statement: "one range's count and hash sum (25,000 keys)",
      scan: `${row.type} on ${row.key ?? "no index"}`,
      rows_estimated: Number(row.rows),
      extra: row.Extra,
    };
  });
}

/**
 * Verifies the job's replica REPEATS times (it must find no difference); answers the plugin's
 * duration_ms (median and max), the HTTP round trip, workerd's memory and the source's plan.
 */
export async function benchVerify({ worker, admin, dialect, job, table }) {
  const before = dialect === "postgresql" ? await pgScanCounters(table) : null;
  const memory = sampleMemory(worker.workerdPids, 100);
  const runs = [];
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    const { result } = await admin(worker, "POST", `/replication/jobs/${job}/verify`);
    const roundTrip = performance.now() - t0;
    if (result.missing || result.extra || result.differing || !result.done) {
      throw new Error(`verify of ${job} found differences: ${JSON.stringify(result)}`);
    }
    runs.push({
      duration_ms: result.duration_ms,
      round_trip_ms: round(roundTrip),
      rows: result.source_rows,
      method: result.method,
    });
  }
  const mem = memory.stop();
  const out = {
    rows: runs[0].rows,
    method: runs[0].method,
    runs,
    median_ms: median(runs.map((r) => r.duration_ms)),
    max_ms: Math.max(...runs.map((r) => r.duration_ms)),
    memory: mem,
    source_plan: await sourcePlan(dialect, table),
  };
  if (before) {
    // The verifying backend reports its counters when it disconnects; give it a moment.
    let after = await pgScanCounters(table);
    for (let k = 0; k < 40 && after.idx_scan === before.idx_scan; k++) {
      await new Promise((r) => setTimeout(r, 50));
      after = await pgScanCounters(table);
    }
    out.source_counters = Object.fromEntries(Object.keys(before).map((k) => [k, after[k] - before[k]]));
  }
  return out;
}

const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;

/** PostgreSQL: `COPY (the backfill's page shape) TO STDOUT` through psql into /dev/null. */
async function pgCopySeconds(table, select) {
  const t0 = process.hrtime.bigint();
  await new Promise((resolve, reject) => {
    const child = spawn(
      "psql",
      [
        "-h",
        src.PG.host,
        "-p",
        String(src.PG.port),
        "-U",
        src.PG.user,
        "-d",
        src.PG.database,
        "-Atq",
        "-c",
        `\\copy (SELECT ${select} FROM ${table} ORDER BY updated_at, id) TO '/dev/null'`,
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`psql exited ${code}: ${err}`))));
  });
  return seconds(t0);
}

/** MariaDB: the same SELECT streamed with mysql2, as the source layer reads it. */
async function myStreamSeconds(table, select) {
  const conn = await src.myClient();
  try {
    const t0 = process.hrtime.bigint();
    await new Promise((resolve, reject) => {
      const stream = conn.connection
        .query({ sql: `SELECT ${select} FROM ${table} ORDER BY updated_at, id`, rowsAsArray: true })
        .stream();
      stream.on("data", () => undefined);
      stream.on("end", resolve);
      stream.on("error", reject);
    });
    return seconds(t0);
  } finally {
    await conn.end();
  }
}

/**
 * What hashing each row adds to a backfill's reads: the whole table read in the backfill's order
 * with and without the hash (best of two each), at the source, through the plain client.
 */
export async function hashCost(dialect, table) {
  const q = (c) => (dialect === "postgresql" ? `"${c}"` : `\`${c}\``);
  const plain = COLUMNS.map(q).join(", ");
  const hashed = `${plain}, ${rowHashSql(dialect)}`;
  const time = dialect === "postgresql" ? pgCopySeconds : myStreamSeconds;
  const best = async (select) => Math.min(await time(table, select), await time(table, select));
  const without = await best(plain);
  const withHash = await best(hashed);
  return {
    read_without_hash_s: round(without, 2),
    read_with_hash_s: round(withHash, 2),
    added_s_per_million_rows: round(withHash - without, 2),
    ratio: round(withHash / without, 2),
  };
}

/** The summary keys: summary.pg.verify_1m_ms and summary.mysql.verify_1m_ms (median duration_ms). */
export function withVerifySummary(summary, verify) {
  const out = { ...summary };
  for (const [dialect, key] of [
    ["postgresql", "pg"],
    ["mysql", "mysql"],
  ]) {
    if (verify[dialect]) out[key] = { ...(out[key] ?? {}), verify_1m_ms: verify[dialect].median_ms };
  }
  return out;
}

/** Rows for latest.md's table. */
export function verifyMarkdownRows(r) {
  const v = r.verify ?? {};
  const h = r.hash_cost ?? {};
  const cell = (d, f) => (v[d] ? f(v[d]) : "—");
  const hcell = (d) => (h[d] ? `+${h[d].added_s_per_million_rows} s (×${h[d].ratio})` : "—");
  return [
    `| verify, 1,000,000 rows, no difference: duration_ms (median / max of ${REPEATS}) | ${cell("postgresql", (x) => `${x.median_ms} / ${x.max_ms}`)} | ${cell("mysql", (x) => `${x.median_ms} / ${x.max_ms}`)} | ≤ 5,000 (PG), ≤ 8,000 (MariaDB) |`,
    `| verify: the source's plan for one key range | ${cell("postgresql", (x) => x.source_plan.scan)} | ${cell("mysql", (x) => x.source_plan.scan)} | primary key ranges |`,
    `| verify: workerd peak anonymous memory | ${cell("postgresql", (x) => `${Math.round(x.memory.anon_peak_mib)} MiB`)} | ${cell("mysql", (x) => `${Math.round(x.memory.anon_peak_mib)} MiB`)} | bounded by pages |`,
    `| row hash: source read of 1,000,000 rows in the tracking order (updated_at, id), added time | ${hcell("postgresql")} | ${hcell("mysql")} | |`,
  ];
}
