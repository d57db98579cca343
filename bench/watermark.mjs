// Rows read per run while a table is written at ~1,000 rows/s (issue 16, part 1): a PostgreSQL pull job
// on `bench_watermark` (BENCH_WATERMARK_ROWS rows already copied, the benchmark's 8 columns) runs on
// cron every second while BENCH_WATERMARK_SECONDS seconds of inserts are stamped by the database's clock.
// Under the late-commit watermark a run reads the rows written since the previous one, plus the few
// committed while it read; a lookback window would re-read its whole 300 s on every run.
// bench/run.mjs calls `watermarkBench` with a running worker; `node bench/watermark.mjs` runs it alone.
import { setTimeout as sleep } from "node:timers/promises";
import * as src from "./lib/sources.mjs";

const ROWS = Number(process.env.BENCH_WATERMARK_ROWS ?? 20_000);
const SECONDS = Number(process.env.BENCH_WATERMARK_SECONDS ?? 10);
const RATE = 1_000;
const SLICE_MS = 50;
const TABLE = "bench_watermark";
const JOB = "bench_watermark";
const round = (x, d = 0) => Math.round(x * 10 ** d) / 10 ** d;

/** RATE rows/s in one insert every SLICE_MS, stamped by clock_timestamp(); answers how many were written. */
async function write(client, firstId, seconds) {
  const perSlice = (RATE * SLICE_MS) / 1000;
  const stop = Date.now() + seconds * 1000;
  let next = firstId;
  while (Date.now() < stop) {
    const t0 = Date.now();
    await client.query(
      `INSERT INTO ${TABLE} SELECT g, clock_timestamp(), 'name ' || md5(g::text), (g % 100000) / 100.0, g % 3 = 0,
              json_build_object('n', g, 'tag', 't' || (g % 50)), g * 0.001 + 0.5, 'C' || (g % 9973)
         FROM generate_series($1::int8, $2::int8) g`,
      [next, next + perSlice - 1],
    );
    next += perSlice;
    await sleep(Math.max(0, SLICE_MS - (Date.now() - t0)));
  }
  return next - firstId;
}

async function waitIdle(admin) {
  while ((await admin("GET", `/replication/jobs/${JOB}`)).result.status.state === "running") await sleep(50);
}

/** `admin(method, path, body)` calls the worker with the admin token; `log` prints progress. The job is deleted at the end. */
export async function watermarkBench({ admin, log }) {
  await src.withPg(async (c) => {
    await src.ensurePgTable(c, TABLE, ROWS);
    await c.query(`DELETE FROM ${TABLE} WHERE id > $1`, [ROWS]);
  });
  await admin("POST", "/replication/jobs", {
    name: JOB,
    source: { dialect: "postgresql", ...src.PG },
    table_name: TABLE,
    tracking_col: "updated_at",
    tracking_type: "timestamp",
    cron_tab: "0 0 1 1 *",
    batch_size: 10_000,
    active: false,
  });
  try {
    log(`watermark: copy of ${ROWS} rows, then ${SECONDS} s of ${RATE} inserts/s with cron every second`);
    while (!(await admin("POST", `/replication/jobs/${JOB}/run`)).result.done);
    const copied = (await admin("GET", `/replication/jobs/${JOB}/runs`)).result.length;
    await admin("PATCH", `/replication/jobs/${JOB}`, { cron_tab: "* * * * * *", active: true });
    const started = Date.now();
    const written = await src.withPg((c) => write(c, ROWS + 1, SECONDS));
    const stopped = Date.now();
    await sleep(1_500);
    await admin("POST", `/replication/jobs/${JOB}/pause`);
    await waitIdle(admin);
    const last = (await admin("POST", `/replication/jobs/${JOB}/run`)).result;

    const all = (await admin("GET", `/replication/jobs/${JOB}/runs`)).result;
    const cron = all
      .slice(0, all.length - copied)
      .filter(
        (r) => r.trigger === "cron" && Date.parse(r.started_at) >= started && Date.parse(r.started_at) <= stopped,
      );
    const read = all.slice(0, all.length - copied).reduce((n, r) => n + r.rows, 0);
    const perRun = cron.map((r) => r.rows).sort((a, b) => a - b);
    const [expected, got] = await Promise.all([
      src.withPg((c) => src.pgChecksum(c, TABLE)),
      admin("POST", "/query", { sql: src.replicaChecksumSql(TABLE), params: [] }).then((r) => r.result[0]),
    ]);
    const verified = Object.keys(expected).every((k) => String(expected[k]) === String(got[k]));
    if (!verified) throw new Error(`watermark replica differs from the source: ${JSON.stringify({ expected, got })}`);
    const warnings = (await admin("GET", `/replication/jobs/${JOB}`)).result.warnings;
    return {
      rows: ROWS,
      seconds: SECONDS,
      rows_written: written,
      writes_per_second: round(written / ((stopped - started) / 1000)),
      cron_runs: cron.length,
      rows_written_per_run: cron.length > 0 ? round(written / cron.length) : null,
      rows_read_per_run: {
        median: perRun.length > 0 ? perRun[Math.floor(perRun.length / 2)] : null,
        max: perRun.at(-1) ?? null,
      },
      rows_read_total: read,
      read_to_written: round(read / written, 3),
      last_run_rows: last.rows,
      verified,
      warnings,
    };
  } finally {
    await admin("DELETE", `/replication/jobs/${JOB}?drop_table=true`);
    await src.withPg((c) => c.query(`DELETE FROM ${TABLE} WHERE id > $1`, [ROWS]));
  }
}

/** The summary key of this measurement. */
export function watermarkSummary(w) {
  return { rows_read_per_run_at_1k_writes_per_s: w ? w.rows_read_per_run.median : null };
}

/** Its row of the results table (columns: measure, PostgreSQL, MariaDB, target). */
export function watermarkMarkdownRow(w) {
  if (!w) return [];
  return [
    `| rows read per run at ${RATE.toLocaleString("en-US")} writes/s, cron every second (median / max of ${w.cron_runs}; written per run ${w.rows_written_per_run}; read ÷ written ${w.read_to_written}) | ${w.rows_read_per_run.median} / ${w.rows_read_per_run.max} | — | ≈ rows written per run |`,
  ];
}

// `node bench/watermark.mjs`: this measurement alone, on a fresh worker (the numbers land in the console only).
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop())) {
  const { dirname } = await import("node:path");
  const { fileURLToPath } = await import("node:url");
  const { withFreshWorker } = await import("./lib/worker.mjs");
  const root = dirname(dirname(fileURLToPath(import.meta.url)));
  const { default: os } = await import("node:os");
  const loadStart = os.loadavg().map((x) => round(x, 2));
  const result = await withFreshWorker(
    { root, name: "watermark", port: Number(process.env.BENCH_PORT ?? 8811) },
    watermarkBench,
  );
  const load = { start: loadStart, end: os.loadavg().map((x) => round(x, 2)) };
  console.log(JSON.stringify({ ...result, load_average: load, summary: watermarkSummary(result) }, null, 1));
}
