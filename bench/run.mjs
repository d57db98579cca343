// `npm run bench`: replication throughput, the machine's limit, incremental ticks and memory,
// against the local PostgreSQL and MariaDB, through the plugin running in workerd.
// Sizes: BENCH_ROWS (1,000,000), BENCH_SMALL_ROWS (100,000), BENCH_CHANGES (1,000),
// BENCH_BATCH (job batch_size, 10,000), BENCH_SOURCES ("postgresql,mysql"), BENCH_PORT (8797),
// BENCH_INSPECTOR_PORT (9297, the worker isolate's inspector, for its JavaScript heap).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { cdcBench, cdcMarkdown, cdcSummary, cdcWideBench } from "./cdc.mjs";
import * as src from "./lib/sources.mjs";
import { connectInspector, sampleHeap } from "./lib/inspector.mjs";
import { sampleQueryLatency } from "./lib/query-latency.mjs";
import { awaitCopy, bundleWorker, call, sampleMemory, startWorker } from "./lib/worker.mjs";
import { measureAuthorization } from "./authorization.mjs";
import { benchVerify, hashCost, verifyMarkdownRows, withVerifySummary } from "./verify.mjs";
import { watermarkBench, watermarkMarkdownRow, watermarkSummary } from "./watermark.mjs";

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const N = Number(process.env.BENCH_ROWS ?? 1_000_000);
const SMALL = Number(process.env.BENCH_SMALL_ROWS ?? 100_000);
const CHANGES = Number(process.env.BENCH_CHANGES ?? 1_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 10_000);
const TICKS = Number(process.env.BENCH_TICKS ?? 3);
const SOURCES = (process.env.BENCH_SOURCES ?? "postgresql,mysql").split(",").map((s) => s.trim());
const PORT = Number(process.env.BENCH_PORT ?? 8797);
const INSPECTOR_PORT = Number(process.env.BENCH_INSPECTOR_PORT ?? 9297);
const ADMIN = "bench-admin-token";
const CLIENT = "bench-client-token";
const VARS = { ADMIN_AUTHORIZATION_TOKEN: ADMIN, CLIENT_AUTHORIZATION_TOKEN: CLIENT };
/** BENCH_ONLY=backfill: only the backfills (1,000,000 rows with query latency, 100,000 rows), for quick iterations. */
const ONLY_BACKFILL = process.env.BENCH_ONLY === "backfill";
const LATENCY = process.env.BENCH_LATENCY !== "0";
const TABLE = "bench_rows";
const SMALL_TABLE = "bench_rows_small";
const NOIDX_TABLE = "bench_noidx";
/** Wide rows: WIDE_ROWS rows whose `name` is about 1.9 MB (src.WIDE_NAME_REPEATS md5s), near the 2 MB row limit. */
const WIDE_TABLE = "bench_rows_wide";
const WIDE_ROWS = 200;
const WIDE_REPEATS = src.WIDE_NAME_REPEATS;
const WORK = mkdtempSync(join(os.tmpdir(), "starbase-bench-"));
const LOG = join(WORK, "wrangler.log");

/** Bundled once, so that edits to src/ during a run cannot reload the worker under measurement. */
const BUILT = {};
const log = (...args) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...args);
const now = () => Number(process.hrtime.bigint()) / 1e6;
const round = (x, d = 0) => Math.round(x * 10 ** d) / 10 ** d;
const rate = (rows, seconds) => round(rows / seconds);
const MB = 1024 * 1024;

function sourceSettings(dialect) {
  const c = dialect === "postgresql" ? src.PG : src.MY;
  return { dialect, host: c.host, port: c.port, user: c.user, password: c.password, database: c.database };
}

function machine() {
  const cpus = os.cpus();
  const version = (cmd, args) => {
    try {
      return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    } catch {
      return "unknown";
    }
  };
  const pkg = (name) => JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")).version;
  return {
    cores: cpus.length,
    cpu: cpus[0]?.model?.trim() ?? "unknown",
    memory_gib: round(os.totalmem() / 1024 ** 3, 1),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    workerd: pkg("workerd"),
    wrangler: pkg("wrangler"),
    postgresql: version("psql", [
      "-h",
      src.PG.host,
      "-U",
      src.PG.user,
      "-d",
      src.PG.database,
      "-Atc",
      "SHOW server_version",
    ]),
    mariadb: version("mysql", ["-h", src.MY.host, "-u", src.MY.user, "-Nse", "SELECT VERSION()"]),
  };
}

/** Runs `fn` on a fresh workerd; with `heap`, `worker.inspector` reads the isolate's JavaScript heap. */
async function withWorker(config, fn, { heap = false } = {}) {
  const persistTo = mkdtempSync(join(WORK, "state-"));
  const worker = await startWorker({
    cwd: ROOT,
    config: BUILT[config],
    port: PORT,
    persistTo,
    vars: VARS,
    log: LOG,
    noBundle: true,
    inspectorPort: heap ? INSPECTOR_PORT : undefined,
  });
  try {
    if (heap) worker.inspector = await connectInspector(INSPECTOR_PORT);
    return await fn(worker);
  } finally {
    worker.inspector?.close();
    await worker.stop();
    rmSync(persistTo, { recursive: true, force: true });
  }
}

const admin = (worker, method, path, body) => call(worker.url, method, path, { token: ADMIN, body });

async function replicaQuery(worker, sql, params = []) {
  const res = await admin(worker, "POST", "/query", { sql, params });
  return res.result;
}

async function sourceChecksum(dialect, table) {
  return dialect === "postgresql"
    ? src.withPg((c) => src.pgChecksum(c, table))
    : src.withMy((c) => src.myChecksum(c, table));
}

async function verify(worker, dialect, table) {
  const [expected, [got]] = await Promise.all([
    sourceChecksum(dialect, table),
    replicaQuery(worker, src.replicaChecksumSql(table)),
  ]);
  const ok = Object.keys(expected).every((k) => String(expected[k]) === String(got[k]));
  if (!ok) throw new Error(`replica of ${table} differs from the source: ${JSON.stringify({ expected, got })}`);
  return { ok, rows: got.n };
}

/**
 * Creates a job on a per-second cron and waits until a run reports done; the plugin drives every run.
 * With `latency`, a client sends a point SELECT on the replica through /query every 10 ms meanwhile.
 */
async function backfill(worker, dialect, table, rows, bytes, { latency = false, heapLive = false } = {}) {
  const name = `bench_${dialect === "postgresql" ? "pg" : "my"}_${table}`;
  const idleLatency = latency ? await queryLatencyWhileIdle(worker) : undefined;
  const memory = sampleMemory(worker.workerdPids, 100);
  // With heapLive, each heap sample follows a full collection: what is live, in a copy slowed by them.
  const heap = worker.inspector ? sampleHeap(worker.inspector, heapLive ? 250 : 100, { live: heapLive }) : null;
  const queries = latency
    ? sampleQueryLatency(worker.url, CLIENT, {
        sql: `SELECT * FROM ${table} WHERE id = ?`,
        params: () => [1 + Math.floor(Math.random() * rows)],
      })
    : null;
  const created = Date.now();
  await admin(worker, "POST", "/replication/jobs", {
    name,
    source: sourceSettings(dialect),
    table_name: table,
    tracking_col: "updated_at",
    tracking_type: "timestamp",
    cron_tab: "* * * * * *",
    batch_size: BATCH,
  });
  let runs;
  try {
    runs = await awaitCopy((method, path) => admin(worker, method, path), name);
  } catch (error) {
    await queries?.stop();
    throw error;
  }
  const mem = { ...memory.stop(), ...(heap ? await heap.stop() : {}) };
  const queryLatency = queries ? await queries.stop() : undefined;
  const ordered = [...runs].sort((a, b) => a.id - b.id);
  const doneAt = ordered.findIndex((r) => r.done);
  const copy = ordered.slice(0, doneAt + 1);
  const first = Date.parse(copy[0].started_at);
  const last = Date.parse(copy[copy.length - 1].ended_at);
  const seconds = (last - created) / 1000;
  const pluginSeconds = (last - first) / 1000;
  await admin(worker, "POST", `/replication/jobs/${name}/pause`);
  while ((await admin(worker, "GET", `/replication/jobs/${name}`)).result.status.state === "running") await sleep(50);
  const check = await verify(worker, dialect, table);
  return {
    job: name,
    rows,
    seconds: round(seconds, 2),
    rows_per_second: rate(rows, seconds),
    mb_per_second: round(bytes / MB / seconds, 1),
    plugin_seconds: round(pluginSeconds, 2),
    plugin_rows_per_second: rate(rows, pluginSeconds),
    wait_for_first_run_seconds: round((first - created) / 1000, 2),
    runs: copy.map((r) => ({
      rows: r.rows,
      pages: r.pages,
      ms: Date.parse(r.ended_at) - Date.parse(r.started_at),
      done: r.done,
    })),
    verified: check.ok,
    memory: mem,
    query_latency: queryLatency,
    query_latency_idle: idleLatency,
  };
}

/**
 * The same client's point SELECT at the same rate, for 5 s, against the idle worker (on a table of
 * 1,000 rows): what the local runtime costs without a backfill, to read the figure during one against.
 */
async function queryLatencyWhileIdle(worker) {
  await admin(worker, "POST", "/query", {
    sql: "CREATE TABLE IF NOT EXISTS latency_probe (id INTEGER PRIMARY KEY, name TEXT)",
  });
  await admin(worker, "POST", "/query", {
    sql: "INSERT OR REPLACE INTO latency_probe SELECT value, 'name ' || value FROM json_each(?)",
    params: [JSON.stringify(Array.from({ length: 1000 }, (_, i) => i + 1))],
  });
  const queries = sampleQueryLatency(worker.url, CLIENT, {
    sql: "SELECT * FROM latency_probe WHERE id = ?",
    params: () => [1 + Math.floor(Math.random() * 1000)],
  });
  await sleep(5000);
  return queries.stop();
}

/** Counters of the source table that tell how it was read. */
async function pgTableStats(table) {
  return src.withPg(async (c) => {
    const r = await c.query(
      `SELECT coalesce(seq_scan,0)::int8 AS seq_scan, coalesce(seq_tup_read,0)::int8 AS seq_tup_read, coalesce(idx_scan,0)::int8 AS idx_scan,
              coalesce(idx_tup_fetch,0)::int8 AS idx_tup_fetch FROM pg_stat_user_tables WHERE relname = $1`,
      [table],
    );
    return Object.fromEntries(Object.entries(r.rows[0]).map(([k, v]) => [k, Number(v)]));
  });
}

const delta = (a, b) => Object.fromEntries(Object.keys(a).map((k) => [k, b[k] - a[k]]));

/** EXPLAIN (ANALYZE, BUFFERS) of the first page query of an incremental run (lookback start, as runStart plans it). */
async function pgExplainPage(table, fromTracking) {
  return src.withPg(async (c) => {
    await c.query("SET TimeZone = 'UTC'");
    const r = await c.query(
      `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)
       SELECT "id", "updated_at", "name", "amount", "active", "payload", "score", "code" FROM "public"."${table}"
        WHERE "updated_at" >= $1::timestamp(6) with time zone ORDER BY "updated_at", "id" LIMIT ${BATCH}`,
      [fromTracking],
    );
    const plan = r.rows[0]["QUERY PLAN"][0];
    const { node: scan, label } = src.pgFirstScan(plan);
    return {
      scan: label,
      rows_returned: plan.Plan["Actual Rows"],
      rows_examined: scan["Actual Rows"] + (scan["Rows Removed by Filter"] ?? 0),
      shared_buffers_hit: plan.Plan["Shared Hit Blocks"],
      shared_buffers_read: plan.Plan["Shared Read Blocks"],
      execution_ms: round(plan["Execution Time"], 2),
    };
  });
}

function lookbackStart(cursorTracking, seconds) {
  const ms = Date.parse(cursorTracking.replace(/(\.\d{3})\d*/, "$1"));
  return new Date(ms - seconds * 1000)
    .toISOString()
    .replace("Z", `${cursorTracking.slice(23, 26)}Z`)
    .replace(/\.(\d{3})(\d{3})Z$/, ".$1$2Z");
}

async function changeRows(dialect, table, rows, count) {
  // Distinct ids spread over the table (7919 is prime), listed explicitly so that the UPDATE uses the key.
  const offset = Date.now() % rows;
  const ids = Array.from({ length: count }, (_, g) => 1 + (((g + 1) * 7919 + offset) % rows)).join(",");
  if (dialect === "postgresql") {
    await src.withPg((c) =>
      c.query(`UPDATE ${table} SET updated_at = clock_timestamp(), name = 'changed ' || id WHERE id IN (${ids})`),
    );
  } else {
    await src.withMy((c) =>
      c.query(`UPDATE ${table} SET updated_at = UTC_TIMESTAMP(6), name = CONCAT('changed ', id) WHERE id IN (${ids})`),
    );
  }
}

/** `count` rows changed, then one manual run of the (paused) job; repeated TICKS times. */
async function incremental(worker, dialect, job, table) {
  const ticks = [];
  for (let i = 0; i < TICKS; i++) {
    const view = (await admin(worker, "GET", `/replication/jobs/${job}`)).result;
    const fromTracking = view.status.cursor.tracking;
    await changeRows(dialect, table, N, CHANGES);
    const before = dialect === "postgresql" ? await pgTableStats(table) : null;
    const t0 = now();
    const run = (await admin(worker, "POST", `/replication/jobs/${job}/run`)).result;
    const roundTrip = now() - t0;
    const tick = {
      rows: run.rows,
      pages: run.pages,
      done: run.done,
      duration_ms: run.duration_ms,
      round_trip_ms: round(roundTrip, 1),
    };
    if (dialect === "postgresql") {
      // The run's backend reports its counters when it disconnects.
      let after = await pgTableStats(table);
      for (let k = 0; k < 40 && after.idx_scan === before.idx_scan && after.seq_scan === before.seq_scan; k++) {
        await sleep(50);
        after = await pgTableStats(table);
      }
      tick.source_counters = delta(before, after);
      if (i === 0) tick.explain = await pgExplainPage(table, lookbackStart(fromTracking, view.lookback_seconds));
    }
    ticks.push(tick);
  }
  const check = await verify(worker, dialect, table);
  const sorted = ticks.map((t) => t.duration_ms).sort((a, b) => a - b);
  return {
    changes: CHANGES,
    ticks,
    median_duration_ms: sorted[Math.floor(sorted.length / 2)],
    max_duration_ms: sorted[sorted.length - 1],
    verified: check.ok,
  };
}

/** A job on a table with no index on its tracking column: the job view must warn. */
async function noIndexWarning(worker) {
  const name = "bench_pg_noidx";
  const view = (
    await admin(worker, "POST", "/replication/jobs", {
      name,
      source: sourceSettings("postgresql"),
      table_name: NOIDX_TABLE,
      tracking_col: "updated_at",
      tracking_type: "timestamp",
      cron_tab: "0 0 1 1 *",
      active: false,
    })
  ).result;
  const explain = await pgExplainPage(NOIDX_TABLE, "2024-12-31T23:55:00.000000Z");
  return { warnings: view.warnings, explain };
}

async function limits(dialects) {
  const out = {};
  if (dialects.includes("postgresql")) {
    const driver = await src.pgDriverRead(TABLE);
    const copy = await src.pgCopyRead(TABLE);
    out.postgresql = {
      pg_driver_select: {
        rows: driver.rows,
        seconds: round(driver.seconds, 2),
        rows_per_second: rate(driver.rows, driver.seconds),
      },
      copy_to_stdout: {
        rows: copy.rows,
        seconds: round(copy.seconds, 2),
        rows_per_second: rate(copy.rows, copy.seconds),
      },
    };
  }
  if (dialects.includes("mysql")) {
    const driver = await src.myDriverRead(TABLE);
    out.mysql = {
      mysql2_select: {
        rows: driver.rows,
        seconds: round(driver.seconds, 2),
        rows_per_second: rate(driver.rows, driver.seconds),
      },
    };
  }
  // In workerd: the plugin's SQLite write path alone, and its source read path alone.
  await withWorker(join(BENCH, "wrangler.toml"), async (worker) => {
    const timed = async (path, body) => {
      const t0 = now();
      const res = await call(worker.url, "POST", path, { body });
      return { res, seconds: (now() - t0) / 1000 };
    };
    const gen = await timed("/__bench/write", { rows: N, batch: BATCH, mode: "prepare" });
    await timed("/__bench/write", { rows: N, batch: BATCH, mode: "write" }); // warm-up (JIT)
    const write = await timed("/__bench/write", { rows: N, batch: BATCH, mode: "write" });
    if (write.res.stored !== N) throw new Error(`write limit stored ${write.res.stored} of ${N} rows`);
    const seconds = write.seconds;
    out.sqlite_write = {
      rows: N,
      seconds: round(seconds, 2),
      rows_per_second: rate(N, seconds),
      generate_seconds: round(gen.seconds, 2),
      json_mb: round(write.res.json_chars / MB, 1),
    };
    // Both orders a job reads in: the cursor's (every run after the first copy) and the key's (a first copy).
    for (const dialect of dialects) {
      for (const [order, name] of [
        ["tracking", "source_layer_in_workerd"],
        ["key", "source_layer_in_workerd_key_order"],
      ]) {
        const read = await timed("/__bench/read", {
          source: sourceSettings(dialect),
          table: TABLE,
          batch: BATCH,
          order,
        });
        out[dialect][name] = {
          rows: read.res.rows,
          seconds: round(read.seconds, 2),
          rows_per_second: rate(read.res.rows, read.seconds),
        };
      }
    }
  });
  return out;
}

/**
 * The headline figures, all from this run: per source the backfill rate, its fraction of the
 * limit and the median incremental run (null for a source not benchmarked), and the largest
 * JavaScript heap peak over the sources' 100,000-row and 1,000,000-row backfills (used size, and
 * live after full collections).
 */
function summary(r) {
  const source = (d) =>
    r.backfill[d]
      ? {
          backfill_rows_per_s: r.backfill[d].rows_per_second,
          limit_ratio: r.backfill[d].fraction_of_limit,
          incremental_1k_ms: r.incremental[d].median_duration_ms,
        }
      : null;
  const heapPeak = (suffix, key = "heap_peak_mib") => {
    const peaks = SOURCES.map((d) => r.memory[`${d}${suffix}`]?.[key]).filter((x) => x !== undefined);
    return peaks.length > 0 ? Math.max(...peaks) : null;
  };
  const p99s = SOURCES.map((d) => r.reads_during_backfill?.[d]?.query_latency?.p99_ms).filter(
    (x) => typeof x === "number",
  );
  return {
    pg: source("postgresql"),
    mysql: source("mysql"),
    heap_peak_mib: { rows_100k: heapPeak("_small"), rows_1m: heapPeak("") },
    heap_live_peak_mib: {
      rows_100k: heapPeak("_small_live", "heap_live_peak_mib"),
      rows_1m: heapPeak("_live", "heap_live_peak_mib"),
    },
    // The larger of the sources' figures.
    query_p99_ms_during_backfill: p99s.length > 0 ? Math.max(...p99s) : null,
    authorization_added_median_ms: r.authorization?.added_median_ms ?? null,
  };
}

function markdown(r) {
  const lines = [];
  const m = r.machine;
  lines.push(
    `Machine: ${m.cores} cores (${m.cpu}), ${m.memory_gib} GiB RAM; node ${m.node}, workerd ${m.workerd} (wrangler ${m.wrangler}); PostgreSQL ${m.postgresql.split(" ")[0]}, MariaDB ${m.mariadb.split("-")[0]}. ${r.config.rows.toLocaleString("en-US")} rows of 8 mixed columns, batch_size ${r.config.batch_size}. Load average (1 min) ${r.load_average.start[0]} at the start, ${r.load_average.end[0]} at the end.`,
  );
  lines.push("");
  lines.push("| measure | PostgreSQL | MariaDB | target |");
  lines.push("| --- | ---: | ---: | --- |");
  const cell = (d, f) => (r.backfill[d] ? f(r.backfill[d], r.limits[d], d) : "—");
  const fmt = (x) => Math.round(x).toLocaleString("en-US");
  // Runs before the key-order read existed have the cursor's order only.
  const sourceLayerCell = (l) =>
    `${fmt(l.source_layer_in_workerd.rows_per_second)} / ${l.source_layer_in_workerd_key_order ? fmt(l.source_layer_in_workerd_key_order.rows_per_second) : "—"}`;
  lines.push(
    `| backfill, rows/s (job created → copy complete) | ${cell("postgresql", (b) => fmt(b.rows_per_second))} | ${cell("mysql", (b) => fmt(b.rows_per_second))} | ≥ 100,000 (PG) |`,
  );
  lines.push(
    `| backfill, MB/s (text size of the rows) | ${cell("postgresql", (b) => b.mb_per_second)} | ${cell("mysql", (b) => b.mb_per_second)} | |`,
  );
  lines.push(
    `| limit: plain driver read, rows/s | ${cell("postgresql", (_, l) => `${fmt(l.pg_driver_select.rows_per_second)} (COPY ${fmt(l.copy_to_stdout.rows_per_second)})`)} | ${cell("mysql", (_, l) => fmt(l.mysql2_select.rows_per_second))} | |`,
  );
  lines.push(
    `| limit: DO SQLite jsonb_each upsert, no source, rows/s | ${fmt(r.limits.sqlite_write.rows_per_second)} | ${fmt(r.limits.sqlite_write.rows_per_second)} | |`,
  );
  lines.push(
    `| backfill ÷ slower of (driver read, SQLite write) | ${cell("postgresql", (b) => b.fraction_of_limit.toFixed(2))} | ${cell("mysql", (b) => b.fraction_of_limit.toFixed(2))} | ≥ 0.5 |`,
  );
  lines.push(
    `| source layer read alone in workerd, rows/s: in the cursor's order (later runs) / in key order (a first copy) | ${cell("postgresql", (_, l) => sourceLayerCell(l))} | ${cell("mysql", (_, l) => sourceLayerCell(l))} | |`,
  );
  const inc = (d, f) => (r.incremental[d] ? f(r.incremental[d]) : "—");
  lines.push(
    `| incremental run, ${r.config.changes} changes: duration_ms (median / max of ${r.config.ticks}) | ${inc("postgresql", (i) => `${i.median_duration_ms} / ${i.max_duration_ms}`)} | ${inc("mysql", (i) => `${i.median_duration_ms} / ${i.max_duration_ms}`)} | < 100 ms |`,
  );
  if (r.incremental.postgresql) {
    const t = r.incremental.postgresql.ticks[0];
    lines.push(
      `| incremental: rows read by the run / examined by PG | ${t.rows} / ${t.explain.rows_examined} (${t.explain.scan}) | | index on tracking col |`,
    );
  }
  const mib = (d, key, digits) => {
    const v = r.memory[d]?.[key];
    return v === undefined
      ? "—"
      : `${v.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })} MiB`;
  };
  const memoryRow = (label, suffix, key, target = "", digits = 0) =>
    lines.push(
      `| ${label} | ${mib(`postgresql${suffix}`, key, digits)} | ${mib(`mysql${suffix}`, key, digits)} | ${target} |`,
    );
  const small = r.config.small_rows.toLocaleString("en-US");
  const large = r.config.rows.toLocaleString("en-US");
  memoryRow(
    `JavaScript heap peak of the isolate (V8 used size), ${small}-row backfill`,
    "_small",
    "heap_peak_mib",
    "",
    1,
  );
  memoryRow(
    `JavaScript heap peak of the isolate, ${large}-row backfill`,
    "",
    "heap_peak_mib",
    `≤ 64 MiB and ≤ 1.25 × the ${small}-row peak`,
    1,
  );
  memoryRow(
    `JavaScript heap live (used size after a full collection, every 250 ms; runs of their own), ${small} rows`,
    "_small_live",
    "heap_live_peak_mib",
    "",
    1,
  );
  memoryRow(`the same, ${large} rows`, "_live", "heap_live_peak_mib", "", 1);
  if (r.backfill_wide) {
    const wide = (d) => r.backfill_wide[d];
    const mbps = (d) => (wide(d) ? `${wide(d).mb_per_second} MB/s` : "—");
    memoryRow(
      `JavaScript heap peak, backfill of ${WIDE_ROWS} rows of about 1.9 MB (${mbps("postgresql")} and ${mbps("mysql")})`,
      "_wide",
      "heap_peak_mib",
      "",
      1,
    );
  }
  memoryRow(`workerd peak RSS, ${small}-row backfill`, "_small", "rss_peak_mib");
  memoryRow(`workerd peak RSS, ${large}-row backfill`, "", "rss_peak_mib", "flat");
  memoryRow(
    `workerd peak anonymous memory (RSS less database file pages), ${small}-row backfill`,
    "_small",
    "anon_peak_mib",
  );
  memoryRow(`workerd peak anonymous memory, ${large}-row backfill`, "", "anon_peak_mib", "flat");
  const latencyCell = (d, key) => {
    const l = r.reads_during_backfill?.[d]?.[key];
    return l ? `${l.p50_ms} / ${l.p99_ms} ms` : "—";
  };
  lines.push(
    `| client's point SELECT via /query every 10 ms during a ${large}-row backfill (another run than the one above): p50 / p99 | ${latencyCell("postgresql", "query_latency")} | ${latencyCell("mysql", "query_latency")} | p99 ≤ 50 ms |`,
  );
  lines.push(
    `| the same, idle worker (what the local runtime costs alone) | ${latencyCell("postgresql", "query_latency_idle")} | ${latencyCell("mysql", "query_latency_idle")} | |`,
  );
  if (r.authorization)
    lines.push(
      `| client role's authorization, added to a point SELECT (median) | ${r.authorization.added_median_ms} ms | | |`,
    );
  if (r.no_index)
    lines.push(
      `| no index on tracking col: job warning | ${r.no_index.warnings.some((w) => /no index/.test(w)) ? "yes" : "NO"} (${r.no_index.explain.scan}) | | warns |`,
    );
  lines.push(...verifyMarkdownRows(r));
  lines.push(...watermarkMarkdownRow(r.watermark));
  lines.push("");
  lines.push(`Generated by \`npm run bench\` on ${r.finished_at.slice(0, 10)}; details in bench/results/latest.json.`);
  return lines.join("\n") + "\n";
}

async function main() {
  const results = {
    machine: machine(),
    config: { rows: N, small_rows: SMALL, changes: CHANGES, batch_size: BATCH, ticks: TICKS, sources: SOURCES },
    backfill: {},
    limits: {},
    incremental: {},
    memory: {},
    verify: {},
    hash_cost: {},
  };
  log("machine", JSON.stringify(results.machine));
  // Other work on the machine lowers every figure: the 1/5/15-minute load averages are recorded.
  const loadStart = os.loadavg().map((x) => round(x, 2));
  BUILT["wrangler.toml"] = bundleWorker({ cwd: ROOT, config: "wrangler.toml", outDir: join(WORK, "build-app") });
  BUILT[join(BENCH, "wrangler.toml")] = bundleWorker({
    cwd: ROOT,
    config: "bench/wrangler.toml",
    outDir: join(WORK, "build-limit"),
  });
  log(`preparing source tables (${N} rows)`);
  const bytes = {};
  if (SOURCES.includes("postgresql")) {
    await src.withPg(async (c) => {
      log("pg", TABLE, await src.ensurePgTable(c, TABLE, N));
      log("pg", SMALL_TABLE, await src.ensurePgTable(c, SMALL_TABLE, SMALL));
      log("pg", NOIDX_TABLE, await src.ensurePgTable(c, NOIDX_TABLE, 10_000, { index: false }));
      bytes.postgresql = await src.pgTextBytes(c, TABLE);
      bytes.postgresql_small = await src.pgTextBytes(c, SMALL_TABLE);
      log("pg", WIDE_TABLE, await src.ensurePgTable(c, WIDE_TABLE, WIDE_ROWS, { nameRepeats: WIDE_REPEATS }));
      bytes.postgresql_wide = await src.pgTextBytes(c, WIDE_TABLE);
    });
  }
  if (SOURCES.includes("mysql")) {
    await src.withMy(async (c) => {
      log("mariadb", TABLE, await src.ensureMyTable(c, TABLE, N));
      log("mariadb", SMALL_TABLE, await src.ensureMyTable(c, SMALL_TABLE, SMALL));
      bytes.mysql = await src.myTextBytes(c, TABLE);
      bytes.mysql_small = await src.myTextBytes(c, SMALL_TABLE);
      log("mariadb", WIDE_TABLE, await src.ensureMyTable(c, WIDE_TABLE, WIDE_ROWS, { nameRepeats: WIDE_REPEATS }));
      bytes.mysql_wide = await src.myTextBytes(c, WIDE_TABLE);
    });
  }

  if (ONLY_BACKFILL) {
    for (const dialect of SOURCES) {
      await withWorker(
        "wrangler.toml",
        async (worker) => {
          const { runs, ...b } = await backfill(worker, dialect, TABLE, N, bytes[dialect], { latency: LATENCY });
          log(JSON.stringify(b), JSON.stringify(runs));
        },
        { heap: true },
      );
      await withWorker(
        "wrangler.toml",
        async (worker) => {
          const { runs, ...b } = await backfill(worker, dialect, SMALL_TABLE, SMALL, bytes[`${dialect}_small`]);
          log(JSON.stringify(b), JSON.stringify(runs));
        },
        { heap: true },
      );
    }
    return;
  }
  log("limits: plain driver reads, SQLite write in workerd");
  results.limits = await limits(SOURCES);
  log(JSON.stringify(results.limits));

  for (const dialect of SOURCES) {
    await withWorker(
      "wrangler.toml",
      async (worker) => {
        log(`${dialect}: backfill of ${N} rows through the plugin`);
        const b = await backfill(worker, dialect, TABLE, N, bytes[dialect]);
        results.backfill[dialect] = b;
        results.memory[dialect] = { rows: N, ...b.memory };
        log(JSON.stringify(b));
        log(`${dialect}: incremental ticks`);
        results.incremental[dialect] = await incremental(worker, dialect, b.job, TABLE);
        log(JSON.stringify(results.incremental[dialect]));
        log(`${dialect}: verify of the ${N}-row replica`);
        results.verify[dialect] = await benchVerify({ worker, admin, dialect, job: b.job, table: TABLE });
        log(JSON.stringify(results.verify[dialect]));
        if (dialect === "postgresql") {
          results.no_index = await noIndexWarning(worker);
          log(JSON.stringify(results.no_index));
          results.watermark = await watermarkBench({ admin: (m, p, body) => admin(worker, m, p, body), log });
          log(JSON.stringify(results.watermark));
        }
        // After the backfill: a copy that starts within a second of a client's query takes it that
        // someone reads, and writes the small slices kept for readers (see README "Reads during a backfill").
        if (dialect === SOURCES[0]) {
          log("client role's authorization cost");
          results.authorization = await measureAuthorization(
            worker.url,
            { admin: ADMIN, client: CLIENT },
            { requests: 300 },
          );
          log(JSON.stringify(results.authorization));
        }
      },
      { heap: true },
    );
  }
  results.backfill_small = {};
  for (const dialect of SOURCES) {
    await withWorker(
      "wrangler.toml",
      async (worker) => {
        log(`${dialect}: backfill of ${SMALL} rows (memory)`);
        const b = await backfill(worker, dialect, SMALL_TABLE, SMALL, bytes[`${dialect}_small`]);
        results.memory[`${dialect}_small`] = { rows: SMALL, ...b.memory };
        results.backfill_small[dialect] = { rows: SMALL, rows_per_second: b.rows_per_second, seconds: b.seconds };
        log(JSON.stringify(b));
      },
      { heap: true },
    );
  }

  // Rows near the 2 MB row limit: a page holds one of them, whatever batch_size says.
  results.backfill_wide = {};
  for (const dialect of SOURCES) {
    await withWorker(
      "wrangler.toml",
      async (worker) => {
        log(`${dialect}: backfill of ${WIDE_ROWS} rows of about 1.9 MB (memory)`);
        const b = await backfill(worker, dialect, WIDE_TABLE, WIDE_ROWS, bytes[`${dialect}_wide`]);
        results.memory[`${dialect}_wide`] = { rows: WIDE_ROWS, ...b.memory };
        results.backfill_wide[dialect] = { rows: WIDE_ROWS, mb_per_second: b.mb_per_second, seconds: b.seconds };
        log(JSON.stringify(b));
      },
      { heap: true },
    );
  }

  // What is live in the heap (each sample after a full collection), in runs of their own: the
  // collections slow the copy, and lower the used-size peak the runs above measure.
  for (const dialect of SOURCES) {
    for (const [table, rows, suffix] of [
      [SMALL_TABLE, SMALL, "_small"],
      [TABLE, N, ""],
    ]) {
      await withWorker(
        "wrangler.toml",
        async (worker) => {
          log(`${dialect}: backfill of ${rows} rows (live heap)`);
          const b = await backfill(worker, dialect, table, rows, bytes[`${dialect}${suffix}`], { heapLive: true });
          results.memory[`${dialect}${suffix}_live`] = { rows, ...b.memory };
          log(JSON.stringify(b.memory));
        },
        { heap: true },
      );
    }
  }

  // Apart from the measured backfill above: the readers' requests cost the local runtime CPU that
  // would otherwise go to the copy, and would lower its figures.
  results.reads_during_backfill = {};
  for (const dialect of LATENCY ? SOURCES : []) {
    await withWorker("wrangler.toml", async (worker) => {
      log(`${dialect}: backfill of ${N} rows with a client's query every 10 ms`);
      const b = await backfill(worker, dialect, TABLE, N, bytes[dialect], { latency: true });
      results.reads_during_backfill[dialect] = {
        query_latency: b.query_latency,
        query_latency_idle: b.query_latency_idle,
        backfill_rows_per_second: b.rows_per_second,
      };
      log(JSON.stringify(results.reads_during_backfill[dialect]));
    });
  }

  if (SOURCES.includes("postgresql")) {
    await withWorker("wrangler.toml", async (worker) => {
      results.cdc = await cdcBench({ admin: (method, path, body) => admin(worker, method, path, body), log });
      log(JSON.stringify(results.cdc));
    });
    await withWorker(
      "wrangler.toml",
      async (worker) => {
        const call = (method, path, body) => admin(worker, method, path, body);
        results.cdc_wide = await cdcWideBench({ admin: call, log, inspector: worker.inspector });
        log(JSON.stringify(results.cdc_wide));
      },
      { heap: true },
    );
  }

  for (const dialect of SOURCES) {
    const l = results.limits[dialect];
    const read = dialect === "postgresql" ? l.pg_driver_select.rows_per_second : l.mysql2_select.rows_per_second;
    const limit = Math.min(read, results.limits.sqlite_write.rows_per_second);
    results.backfill[dialect].limit_rows_per_second = limit;
    results.backfill[dialect].fraction_of_limit = round(results.backfill[dialect].rows_per_second / limit, 3);
  }
  for (const dialect of SOURCES) results.hash_cost[dialect] = await hashCost(dialect, TABLE);
  results.summary = withVerifySummary(summary(results), results.verify);
  if (results.cdc) results.summary.pg = { ...results.summary.pg, ...cdcSummary(results.cdc) };
  if (results.summary.pg) results.summary.pg = { ...results.summary.pg, ...watermarkSummary(results.watermark) };
  results.load_average = { start: loadStart, end: os.loadavg().map((x) => round(x, 2)) };
  results.finished_at = new Date().toISOString();
  for (const b of Object.values(results.backfill)) delete b.memory;
  const dir = join(BENCH, "results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "latest.json"), JSON.stringify(results, null, 1) + "\n");
  writeFileSync(join(dir, "latest.md"), markdown(results) + cdcMarkdown(results.cdc, results.cdc_wide));
  console.log("\n" + markdown(results) + cdcMarkdown(results.cdc, results.cdc_wide));
}

try {
  await main();
  rmSync(WORK, { recursive: true, force: true });
} catch (error) {
  console.error(error);
  console.error(`wrangler log kept in ${LOG}`);
  process.exitCode = 1;
}
