// Reads during steady replication: a job on bench_rows_small (made by `npm run bench`) runs on cron
// every second while the source updates TICK_WRITES rows a second at random keys (so each run
// writes rows scattered over the replica) and a client sends a point SELECT every 10 ms.
// `node bench/tick-latency.mjs` prints the readers' latency and the runs' durations.
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { sampleQueryLatency } from "./lib/query-latency.mjs";
import * as src from "./lib/sources.mjs";
import { awaitCopy, withFreshWorker } from "./lib/worker.mjs";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const TABLE = "bench_rows_small";
const ROWS = 100_000;
const WRITES = Number(process.env.TICK_WRITES ?? 1000);
const SECONDS = Number(process.env.TICK_SECONDS ?? 10);

const result = await withFreshWorker({ root: ROOT, name: "ticks", port: 8813 }, async ({ admin, url, clientToken }) => {
  await admin("POST", "/replication/jobs", {
    name: "ticks",
    source: { dialect: "postgresql", ...src.PG },
    table_name: TABLE,
    tracking_col: "updated_at",
    tracking_type: "timestamp",
    cron_tab: "* * * * * *",
  });
  await awaitCopy(admin, "ticks");
  const readers = sampleQueryLatency(url, clientToken, {
    sql: `SELECT * FROM ${TABLE} WHERE id = ?`,
    params: () => [1 + Math.floor(Math.random() * ROWS)],
    slowMs: 40,
  });
  const t0 = Date.now();
  await src.withPg(async (c) => {
    for (let i = 0; Date.now() - t0 < SECONDS * 1000; i++) {
      const ids = Array.from({ length: WRITES / 10 }, () => 1 + Math.floor(Math.random() * ROWS)).join(",");
      await c.query(`UPDATE ${TABLE} SET updated_at = clock_timestamp(), name = 'tick ' || id WHERE id IN (${ids})`);
      await sleep(Math.max(0, t0 + (i + 1) * 100 - Date.now()));
    }
  });
  const latency = await readers.stop();
  const runs = (await admin("GET", "/replication/jobs/ticks/runs")).result.filter(
    (r) => Date.parse(r.started_at) >= t0,
  );
  const ms = runs.map((r) => Date.parse(r.ended_at) - Date.parse(r.started_at)).sort((a, b) => a - b);
  return {
    latency,
    runs: runs.length,
    rows_per_run_median: runs.map((r) => r.rows).sort((a, b) => a - b)[Math.floor(runs.length / 2)],
    run_ms_median: ms[Math.floor(ms.length / 2)],
  };
});
console.log(JSON.stringify(result));
