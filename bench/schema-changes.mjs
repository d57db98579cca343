// `node bench/schema-changes.mjs`: what following the source's schema costs, through the plugin in workerd.
// - idle run: a manual run with nothing to copy (its catalog check included), median of BENCH_TICKS runs,
//   next to the catalog query alone from Node;
// - re-copy: after ADD COLUMN ... NOT NULL DEFAULT on a BENCH_SMALL_ROWS table, rows/s of the runs that
//   fill it, next to the same table's first copy (manual runs until done, so both exclude cron's waits).
// Writes bench/results/schema-changes.md. Sizes: BENCH_SMALL_ROWS (100,000), BENCH_BATCH (10,000).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as src from "./lib/sources.mjs";
import { bundleWorker, call, startWorker } from "./lib/worker.mjs";

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const ROWS = Number(process.env.BENCH_SMALL_ROWS ?? 100_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 10_000);
const TICKS = Number(process.env.BENCH_TICKS ?? 9);
const PORT = Number(process.env.BENCH_PORT ?? 8798);
const ADMIN = "bench-admin-token";
const TABLE = "bench_schema_rows";
const WORK = mkdtempSync(join(os.tmpdir(), "starbase-bench-schema-"));
const log = (...args) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...args);
const now = () => Number(process.hrtime.bigint()) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x, d = 0) => Math.round(x * 10 ** d) / 10 ** d;

const sourceOf = (dialect) => {
  const c = dialect === "postgresql" ? src.PG : src.MY;
  return { dialect, host: c.host, port: c.port, user: c.user, password: c.password, database: c.database };
};

async function sourceExec(dialect, sql) {
  if (dialect === "postgresql") return src.withPg((c) => c.query(sql));
  return src.withMy((c) => c.query(sql));
}

/** The table at its starting shape: BENCH_SMALL_ROWS rows, no `region` column. */
async function prepare(dialect) {
  if (dialect === "postgresql") await src.withPg((c) => src.ensurePgTable(c, TABLE, ROWS));
  else await src.withMy((c) => src.ensureMyTable(c, TABLE, ROWS));
  await sourceExec(dialect, `ALTER TABLE ${TABLE} DROP COLUMN IF EXISTS region`);
}

/** Runs the job until a run reports done; answers the runs' rows and summed duration. */
async function runUntilDone(worker, name) {
  const runs = [];
  for (;;) {
    const run = (await call(worker.url, "POST", `/replication/jobs/${name}/run`, { token: ADMIN })).result;
    runs.push(run);
    if (run.done) break;
  }
  return {
    runs: runs.length,
    rows: runs.reduce((n, r) => n + r.rows, 0),
    ms: runs.reduce((n, r) => n + r.duration_ms, 0),
    schema_changes: runs.flatMap((r) => r.schema_changes),
  };
}

/** The run's catalog query alone, on one open connection from Node: median of BENCH_TICKS. */
async function catalogQueryMs(dialect) {
  const timed = async (query) => {
    const times = [];
    for (let i = 0; i < TICKS; i++) {
      const t0 = now();
      await query();
      times.push(now() - t0);
    }
    return round(median(times), 2);
  };
  if (dialect === "postgresql") {
    return src.withPg((c) =>
      timed(() =>
        c.query(
          `SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relname = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
          [TABLE],
        ),
      ),
    );
  }
  return src.withMy((c) =>
    timed(() =>
      c.query(
        `SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE FROM information_schema.COLUMNS
          WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
        [TABLE],
      ),
    ),
  );
}

async function measure(worker, dialect) {
  await prepare(dialect);
  const name = `schema_${dialect === "postgresql" ? "pg" : "my"}`;
  await call(worker.url, "POST", "/replication/jobs", {
    token: ADMIN,
    body: {
      name,
      source: sourceOf(dialect),
      table_name: TABLE,
      target_table: name,
      tracking_col: "updated_at",
      tracking_type: "timestamp",
      cron_tab: "0 0 1 1 *",
      batch_size: BATCH,
      active: false,
    },
  });
  const first = await runUntilDone(worker, name);
  log(dialect, "first copy", first.rows, "rows in", first.ms, "ms");
  const idle = [];
  for (let i = 0; i < TICKS; i++) {
    idle.push((await call(worker.url, "POST", `/replication/jobs/${name}/run`, { token: ADMIN })).result.duration_ms);
  }
  const region = dialect === "postgresql" ? "text" : "varchar(20)";
  await sourceExec(dialect, `ALTER TABLE ${TABLE} ADD COLUMN region ${region} NOT NULL DEFAULT 'emea'`);
  const recopy = await runUntilDone(worker, name);
  log(dialect, "re-copy", recopy.rows, "rows in", recopy.ms, "ms", JSON.stringify(recopy.schema_changes));
  const [check] = (
    await call(worker.url, "POST", "/query", {
      token: ADMIN,
      body: { sql: `SELECT count(*) AS n, sum(region = 'emea') AS emea FROM ${name}` },
    })
  ).result;
  if (check.n !== ROWS || check.emea !== ROWS) throw new Error(`re-copy incomplete: ${JSON.stringify(check)}`);
  await sourceExec(dialect, `ALTER TABLE ${TABLE} DROP COLUMN region`);
  return {
    first_copy_rows_per_second: round((first.rows / first.ms) * 1000),
    recopy_rows_per_second: round((recopy.rows / recopy.ms) * 1000),
    recopy_runs: recopy.runs,
    ratio: round(first.rows / first.ms / (recopy.rows / recopy.ms), 2),
    idle_run_ms: median(idle),
    catalog_query_ms: await catalogQueryMs(dialect),
  };
}

const config = bundleWorker({ cwd: ROOT, config: "wrangler.toml", outDir: join(WORK, "build") });
const persistTo = join(WORK, "state");
const worker = await startWorker({
  cwd: ROOT,
  config,
  port: PORT,
  persistTo,
  vars: { ADMIN_AUTHORIZATION_TOKEN: ADMIN, CLIENT_AUTHORIZATION_TOKEN: "bench-client-token" },
  log: join(WORK, "wrangler.log"),
  noBundle: true,
});
const results = {};
try {
  for (const dialect of ["postgresql", "mysql"]) results[dialect] = await measure(worker, dialect);
} finally {
  await worker.stop();
}
const cpu = os.cpus()[0]?.model?.trim() ?? "unknown";
const row = (label, key) => `| ${label} | ${results.postgresql[key]} | ${results.mysql[key]} |`;
const md = [
  `Machine: ${os.cpus().length} cores (${cpu}); ${ROWS.toLocaleString("en")} rows of 8 mixed columns, batch_size ${BATCH}.`,
  "",
  "| measure | PostgreSQL | MariaDB |",
  "| --- | ---: | ---: |",
  row("first copy, rows/s (manual runs until done)", "first_copy_rows_per_second"),
  row("re-copy after ADD COLUMN ... DEFAULT, rows/s", "recopy_rows_per_second"),
  row("first copy ÷ re-copy", "ratio"),
  row("re-copy runs", "recopy_runs"),
  row("run with nothing new (connect, catalog check, 300 s lookback re-read), median ms", "idle_run_ms"),
  row("the catalog query alone, on an open connection from Node, median ms", "catalog_query_ms"),
  "",
  `Generated by \`node bench/schema-changes.mjs\` on ${new Date().toISOString().slice(0, 10)}.`,
  "",
].join("\n");
writeFileSync(join(BENCH, "results", "schema-changes.md"), md);
console.log(md);
rmSync(WORK, { recursive: true, force: true });
