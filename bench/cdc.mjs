// Change capture (mode cdc) in `npm run bench`: a PostgreSQL job on `bench_cdc` (BENCH_CDC_ROWS rows,
// the benchmark's 8 columns) applies a backlog of BENCH_CDC_CHANGES single-row updates, each its own
// transaction, then ticks of BENCH_CHANGES updates. bench/run.mjs calls `cdcBench` with a running worker.
import { setTimeout as sleep } from "node:timers/promises";
import { sampleHeap } from "./lib/inspector.mjs";
import { sampleQueryLatency } from "./lib/query-latency.mjs";
import * as src from "./lib/sources.mjs";

const ROWS = Number(process.env.BENCH_CDC_ROWS ?? 100_000);
const CHANGES = Number(process.env.BENCH_CDC_CHANGES ?? 1_000_000);
const TICK_CHANGES = Number(process.env.BENCH_CHANGES ?? 1_000);
const TICKS = Number(process.env.BENCH_TICKS ?? 3);
const TABLE = "bench_cdc";
const JOB = "bench_cdc";
const round = (x, d = 0) => Math.round(x * 10 ** d) / 10 ** d;
const now = () => Number(process.hrtime.bigint()) / 1e6;

/** `count` single-row updates, each committed on its own (asynchronous commit: generating them is not measured). */
async function updateRows(client, count, from) {
  await client.query(`CREATE OR REPLACE PROCEDURE bench_cdc_updates(n int, base int) LANGUAGE plpgsql AS $$
    BEGIN
      FOR i IN 1..n LOOP
        UPDATE ${TABLE} SET name = 'cdc ' || (base + i), updated_at = clock_timestamp(), score = base + i
         WHERE id = ((base + i)::int8 * 7919) % ${ROWS} + 1;
        COMMIT;
      END LOOP;
    END $$`);
  await client.query("SET synchronous_commit = off");
  await client.query(`CALL bench_cdc_updates(${count}, ${from})`);
  // A slot is read up to the flushed WAL: wait until the last commit is flushed (the insert position,
  // not pg_current_wal_lsn(), which is where WAL is written so far and may be behind an asynchronous commit).
  const { rows } = await client.query("SELECT pg_current_wal_insert_lsn() AS lsn");
  while (
    (await client.query("SELECT pg_current_wal_flush_lsn() >= $1::pg_lsn AS ok", [rows[0].lsn])).rows[0].ok !== true
  ) {
    await sleep(20);
  }
}

/** TICK_CHANGES single-row updates, then one run of the job. */
async function tick(admin, from) {
  await src.withPg((c) => updateRows(c, TICK_CHANGES, from));
  const t0 = now();
  const run = (await admin("POST", `/replication/jobs/${JOB}/run`)).result;
  return { rows: run.rows, done: run.done, duration_ms: run.duration_ms, round_trip_ms: round(now() - t0, 1) };
}

/** Runs the job every second until its slot's restart_lsn reaches the WAL position of now (at most 60 s). */
async function settleRestart(admin, slot) {
  const t0 = now();
  const target = (await src.withPg((c) => c.query("SELECT pg_current_wal_insert_lsn() AS lsn"))).rows[0].lsn;
  for (;;) {
    await admin("POST", `/replication/jobs/${JOB}/run`);
    const { rows } = await src.withPg((c) =>
      c.query("SELECT restart_lsn >= $2::pg_lsn AS ok FROM pg_replication_slots WHERE slot_name = $1", [slot, target]),
    );
    if (rows[0]?.ok || now() - t0 > 60_000)
      return { seconds: round((now() - t0) / 1000, 1), settled: rows[0]?.ok === true };
    await sleep(1000);
  }
}

/** Manual runs until one reports done; answers the runs and the wall time from the first request to the last answer. */
async function runUntilDone(admin, job = JOB) {
  const runs = [];
  const t0 = now();
  for (;;) {
    const r0 = now();
    const run = (await admin("POST", `/replication/jobs/${job}/run`)).result;
    runs.push({
      rows: run.rows,
      pages: run.pages,
      duration_ms: run.duration_ms,
      round_trip_ms: round(now() - r0, 1),
      done: run.done,
    });
    if (run.done) return { runs, ms: now() - t0 };
  }
}

async function verify(admin) {
  const [expected, got] = await Promise.all([
    src.withPg((c) => src.pgChecksum(c, TABLE)),
    admin("POST", "/query", { sql: src.replicaChecksumSql(JOB), params: [] }).then((r) => r.result[0]),
  ]);
  const ok = Object.keys(expected).every((k) => String(expected[k]) === String(got[k]));
  if (!ok) throw new Error(`cdc replica differs from the source: ${JSON.stringify({ expected, got })}`);
  return ok;
}

/** A paused cdc job named after its table (runs are made by hand); its slot is made at once. */
function createPausedCdcJob(admin, table, settings = {}) {
  return admin("POST", "/replication/jobs", {
    name: table,
    mode: "cdc",
    source: { dialect: "postgresql", ...src.PG },
    table_name: table,
    cron_tab: "0 0 1 1 *",
    active: false,
    ...settings,
  });
}

/**
 * `admin(method, path, body)` calls the worker with the admin token; `log` prints progress.
 * The job is always deleted at the end: its slot would pin WAL on the server.
 */
export async function cdcBench({ admin, log, url, clientToken, aroundApply }) {
  await src.withPg((c) => src.ensurePgTable(c, TABLE, ROWS));
  await src.withPg((c) => c.query(`UPDATE ${TABLE} SET name = 'name ' || md5(id::text) WHERE name LIKE 'cdc %'`));
  await createPausedCdcJob(admin, TABLE, { batch_size: 10_000 });
  try {
    log(`cdc: snapshot of ${ROWS} rows`);
    const snapshot = await runUntilDone(admin);
    log(`cdc: ${CHANGES} single-row update transactions at the source`);
    const g0 = now();
    await src.withPg((c) => updateRows(c, CHANGES, 0));
    const generateSeconds = (now() - g0) / 1000;
    const slot = (await admin("GET", `/replication/jobs/${JOB}`)).result.status.cdc.slot;
    const backlog = await src.withPg(async (c) => {
      const r = await c.query(
        `SELECT (pg_current_wal_lsn() - confirmed_flush_lsn)::int8 AS bytes FROM pg_replication_slots WHERE slot_name = $1`,
        [slot],
      );
      return Number(r.rows[0].bytes);
    });
    log(`cdc: applying the backlog (${round(backlog / 1024 ** 2)} MiB of WAL)`);
    // CDC_READERS=1 (`node bench/cdc.mjs` alone): a client's point SELECT every 10 ms meanwhile; the
    // readers' requests take CPU the apply would otherwise get, so its rate is not the table's then.
    const readers =
      process.env.CDC_READERS === "1"
        ? sampleQueryLatency(url, clientToken, {
            sql: `SELECT * FROM ${JOB} WHERE id = ?`,
            params: () => [1 + Math.floor(Math.random() * ROWS)],
            slowMs: process.env.SLOW_MS ? Number(process.env.SLOW_MS) : null,
          })
        : null;
    await aroundApply?.start();
    let apply;
    try {
      apply = await runUntilDone(admin);
    } finally {
      // A failed apply's profile is printed too, and the inspector's socket closed.
      await aroundApply?.stop();
    }
    const queryLatency = await readers?.stop();
    const applied = apply.runs.reduce((n, r) => n + r.rows, 0);
    const verified = await verify(admin);

    // The slot's restart point only moves to a running-transactions record PostgreSQL writes in the WAL
    // (its background writer does every 15 s after activity, and checkpoints do): until then, every
    // peek and advance decodes the backlog's WAL again. Ticks are measured once it has moved past.
    const cold = await tick(admin, CHANGES);
    const settled = await settleRestart(admin, slot);
    log(`cdc: ${TICKS} ticks of ${TICK_CHANGES} changes (restart point settled after ${settled.seconds} s)`);
    const ticks = [];
    for (let i = 0; i < TICKS; i++) ticks.push(await tick(admin, CHANGES + (i + 1) * TICK_CHANGES));
    await verify(admin);
    const sorted = ticks.map((t) => t.duration_ms).sort((a, b) => a - b);
    return {
      rows: ROWS,
      snapshot: {
        ms: round(snapshot.ms),
        rows_per_second: round(ROWS / (snapshot.ms / 1000)),
        runs: snapshot.runs.length,
      },
      backlog: {
        changes: CHANGES,
        wal_bytes: backlog,
        generate_seconds: round(generateSeconds, 1),
        applied,
        seconds: round(apply.ms / 1000, 2),
        changes_per_second: round(applied / (apply.ms / 1000)),
        runs: apply.runs,
        verified,
        ...(queryLatency ? { query_latency: queryLatency } : {}),
      },
      ticks: {
        changes: TICK_CHANGES,
        ticks,
        median_duration_ms: sorted[Math.floor(sorted.length / 2)],
        max_duration_ms: sorted.at(-1),
      },
    };
  } finally {
    await admin("DELETE", `/replication/jobs/${JOB}?drop_table=true`);
  }
}

const WIDE_ROWS = Number(process.env.BENCH_CDC_WIDE_ROWS ?? 100);
const WIDE_TABLE = "bench_cdc_wide";

/**
 * Change capture of rows near the Durable Object's 2 MB row limit: a job on WIDE_ROWS rows whose
 * `name` is about 1.9 MB, each row then updated with a new one in a transaction of its own; the
 * isolate's JavaScript heap (`inspector`, 100 ms samples) while the job applies them, and the
 * plugin's verify of the replica (the row hashes change capture computed against the source's).
 */
export async function cdcWideBench({ admin, log, inspector }) {
  // The bench's table shape with wide names, made anew (it is dropped at the end: its rows change).
  await src.withPg((c) => src.ensurePgTable(c, WIDE_TABLE, WIDE_ROWS, { nameRepeats: src.WIDE_NAME_REPEATS }));
  await createPausedCdcJob(admin, WIDE_TABLE);
  try {
    log(`cdc: ${WIDE_ROWS} updates of rows of about 1.9 MB`);
    await runUntilDone(admin, WIDE_TABLE);
    await src.withPg(async (c) => {
      for (let id = 1; id <= WIDE_ROWS; id++)
        await c.query(
          `UPDATE ${WIDE_TABLE} SET name = 'new ' || repeat(md5((id + 1)::text), ${src.WIDE_NAME_REPEATS}), score = 1 WHERE id = $1`,
          [id],
        );
    });
    const bytes = Number(
      (await src.withPg((c) => c.query(`SELECT sum(octet_length(name))::int8 AS b FROM ${WIDE_TABLE}`))).rows[0].b,
    );
    const heap = sampleHeap(inspector, 100);
    let apply;
    let memory;
    try {
      apply = await runUntilDone(admin, WIDE_TABLE);
    } finally {
      memory = await heap.stop();
    }
    const check = (await admin("POST", `/replication/jobs/${WIDE_TABLE}/verify`)).result;
    if (check.missing + check.extra + check.differing !== 0 || check.source_rows !== WIDE_ROWS)
      throw new Error(`cdc wide replica differs from the source: ${JSON.stringify(check)}`);
    return {
      rows: WIDE_ROWS,
      mb: round(bytes / 1e6, 1),
      seconds: round(apply.ms / 1000, 2),
      mb_per_second: round(bytes / 1e6 / (apply.ms / 1000), 1),
      runs: apply.runs.length,
      heap_peak_mib: memory.heap_peak_mib,
      verified: true,
    };
  } finally {
    await admin("DELETE", `/replication/jobs/${WIDE_TABLE}?drop_table=true`);
    await src.withPg((c) => c.query(`DROP TABLE IF EXISTS ${WIDE_TABLE}`));
  }
}

/** The summary keys of change capture. */
export function cdcSummary(cdc) {
  return { cdc_apply_changes_per_s: cdc.backlog.changes_per_second, cdc_1k_ms: cdc.ticks.median_duration_ms };
}

/** Lines of the results table. */
export function cdcMarkdown(cdc, wide) {
  if (!cdc) return "";
  return [
    "",
    `Change capture (mode cdc) on \`${TABLE}\` (${cdc.rows.toLocaleString("en-US")} rows):`,
    "",
    "| measure | PostgreSQL | target |",
    "| --- | ---: | --- |",
    `| backlog of ${cdc.backlog.changes.toLocaleString("en-US")} single-row update transactions: changes applied/s | ${cdc.backlog.changes_per_second.toLocaleString("en-US")} (${cdc.backlog.seconds} s, ${cdc.backlog.runs.length} runs) | ≥ 50,000 |`,
    `| tick with ${cdc.ticks.changes.toLocaleString("en-US")} changes: duration_ms (median / max of ${cdc.ticks.ticks.length}) | ${cdc.ticks.median_duration_ms} / ${cdc.ticks.max_duration_ms} | ≤ 50 ms |`,
    `| snapshot copy, rows/s | ${cdc.snapshot.rows_per_second.toLocaleString("en-US")} | |`,
    ...(wide
      ? [
          `| JavaScript heap peak, ${wide.rows} single-row updates of rows of about 1.9 MB (${wide.mb_per_second} MB/s) | ${wide.heap_peak_mib} MiB | |`,
        ]
      : []),
    "",
  ].join("\n");
}

// `node bench/cdc.mjs`: this benchmark alone, on a fresh worker (the numbers land in the console only).
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop())) {
  const { dirname } = await import("node:path");
  const { fileURLToPath } = await import("node:url");
  const { withFreshWorker } = await import("./lib/worker.mjs");
  const root = dirname(dirname(fileURLToPath(import.meta.url)));
  // CDC_PROFILE=1: a CPU profile of the backlog's apply (the worker unminified), its top functions printed.
  const profiled = process.env.CDC_PROFILE === "1";
  const inspectorPort = profiled ? 9298 : undefined;
  const result = await withFreshWorker(
    {
      root,
      name: "cdc",
      port: Number(process.env.BENCH_PORT ?? 8797),
      inspectorPort,
      minify: profiled ? false : undefined,
    },
    (context) => cdcBench({ ...context, aroundApply: profiled ? applyProfiler(inspectorPort) : undefined }),
  );
  console.log(JSON.stringify({ ...result, summary: cdcSummary(result) }, null, 1));
}

/** Starts the isolate's CPU profiler before the backlog's apply and prints its top functions after. */
function applyProfiler(port) {
  let inspector;
  return {
    async start() {
      const { connectInspector } = await import("./lib/inspector.mjs");
      inspector = await connectInspector(port);
      await inspector.send("Profiler.enable");
      await inspector.send("Profiler.setSamplingInterval", { interval: 200 });
      await inspector.send("Profiler.start");
      if (process.env.CDC_ALLOC === "1")
        await inspector.send("HeapProfiler.startSampling", {
          samplingInterval: 16 * 1024,
          includeObjectsCollectedByMinorGC: true,
          includeObjectsCollectedByMajorGC: true,
        });
    },
    async stop() {
      const { printTopFunctions } = await import("./lib/inspector.mjs");
      const { profile } = await inspector.send("Profiler.stop");
      if (process.env.CPU_PROFILE)
        (await import("node:fs")).writeFileSync(process.env.CPU_PROFILE, JSON.stringify(profile));
      printTopFunctions(profile, 40);
      if (process.env.CDC_ALLOC === "1") {
        const { printTopAllocations } = await import("./lib/inspector.mjs");
        printTopAllocations((await inspector.send("HeapProfiler.stopSampling")).profile, 30);
      }
      inspector.close();
    },
  };
}
