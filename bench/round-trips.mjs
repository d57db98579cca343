// What a source's round trips cost a run: the source reached through a proxy that holds every chunk
// DELAY_MS (10) in each direction, so each round trip takes 2 x DELAY_MS. A job on bench_rows_small
// (made by `npm run bench`) copies the table, then TICKS (12) runs are started by hand with no
// changes at the source. `node bench/round-trips.mjs [postgresql|mysql]` prints each run's
// duration_ms and the median.
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { delayingProxy } from "./lib/delaying-proxy.mjs";
import * as src from "./lib/sources.mjs";
import { awaitCopy, withFreshWorker } from "./lib/worker.mjs";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const DELAY_MS = Number(process.env.DELAY_MS ?? 10);
const TICKS = Number(process.env.TICKS ?? 12);
const dialect = process.argv[2] ?? "postgresql";
const server = dialect === "postgresql" ? src.PG : src.MY;

const proxy = await delayingProxy(server, DELAY_MS);
try {
  const durations = await withFreshWorker({ root: ROOT, name: "round-trips", port: 8814 }, async ({ admin }) => {
    await admin("POST", "/replication/jobs", {
      name: "round_trips",
      source: { dialect, ...server, host: "127.0.0.1", port: proxy.port },
      table_name: "bench_rows_small",
      tracking_col: "updated_at",
      tracking_type: "timestamp",
      cron_tab: "0 0 1 1 *",
    });
    await awaitCopy(admin, "round_trips");
    const list = [];
    for (let i = 0; i < TICKS; i++)
      list.push((await admin("POST", "/replication/jobs/round_trips/run")).result.duration_ms);
    return list;
  });
  const sorted = [...durations].sort((a, b) => a - b);
  const median = (sorted[(sorted.length - 1) >> 1] + sorted[sorted.length >> 1]) / 2;
  console.log(JSON.stringify({ dialect, delay_ms_each_way: DELAY_MS, runs_ms: durations, median_ms: median }));
} finally {
  proxy.close();
}
