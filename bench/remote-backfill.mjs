// A backfill from a source a round trip away: `npx node bench/remote-backfill.mjs [postgresql|mysql]`
// copies BENCH_TABLE (bench_rows_small; bench_rows for 1,000,000 rows; made by `npm run bench`) in a
// fresh worker, through a proxy that holds every chunk DELAY_MS (10) in each direction, and prints
// the time from the job's creation to the end of its copy.
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { delayingProxy } from "./lib/delaying-proxy.mjs";
import * as src from "./lib/sources.mjs";
import { awaitCopy, withFreshWorker } from "./lib/worker.mjs";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const DELAY_MS = Number(process.env.DELAY_MS ?? 10);
const TABLE = process.env.BENCH_TABLE ?? "bench_rows_small";
const dialect = process.argv[2] ?? "postgresql";
const target = dialect === "postgresql" ? src.PG : src.MY;

const proxy = await delayingProxy(target, DELAY_MS);
try {
  const copy = await withFreshWorker({ root: ROOT, name: "remote-backfill", port: 8815 }, async ({ admin }) => {
    const t0 = performance.now();
    await admin("POST", "/replication/jobs", {
      name: "remote",
      source: { dialect, ...target, host: "127.0.0.1", port: proxy.port },
      table_name: TABLE,
      tracking_col: "updated_at",
      tracking_type: "timestamp",
      cron_tab: "0 0 1 1 *",
      batch_size: 10000,
    });
    const runs = await awaitCopy(admin, "remote");
    const seconds = (performance.now() - t0) / 1000;
    const rows = runs.reduce((sum, run) => sum + run.rows, 0);
    return { seconds: Number(seconds.toFixed(2)), rows, pages: runs.reduce((sum, run) => sum + run.pages, 0) };
  });
  console.log(
    JSON.stringify({
      dialect,
      table: TABLE,
      delay_ms_each_way: DELAY_MS,
      ...copy,
      rows_per_s: Math.round(copy.rows / copy.seconds),
    }),
  );
} finally {
  proxy.close();
}
