// Profiling aid (not part of `npm run bench`): one backfill of bench_rows (the bench's table, made by
// `npm run bench`) in a fresh worker, `npx node bench/profile-backfill.mjs [postgresql|mysql]`.
// Prints the functions with the most self time in a CPU profile of the isolate (CPU_PROFILE=file
// keeps it); with MODE=latency instead, the latency of a client's point SELECT sent every 10 ms during
// the backfill (bench/lib/query-latency.mjs); with MODE=time, only the backfill's duration (for perf).
// READERS=1 sends that reader's queries while profiling too; HEAP=1 samples the isolate's heap too
// (HEAP_SERIES=1 prints every sample, MiB every 100 ms). ALLOC=live|minor|major prints the allocation
// sites of a sampling heap profile: what is live at the end, or also what scavenges collected
// (died young), or also what full collections collected (garbage that had been promoted). RUN_TIMES=1 prints each run's start, end (ms
// after the job's creation) and rows, and the reader's figures as JSON (every slow answer, SLOW_MS).
// After the copy: THEN=verify verifies the replica while the reader reads; THEN=reads pauses the job
// and profiles the reader alone for 10 s (READS_EVERY_MS, READS_INTERVAL_US; READS_PROFILE=0 without
// the profiler), printing the workerd CPU per read.
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { connectInspector, printTopAllocations, printTopFunctions, sampleHeap } from "./lib/inspector.mjs";
import { sampleQueryLatency } from "./lib/query-latency.mjs";
import { awaitCopy, bundleWorker, call, cpuSecondsOf, startWorker } from "./lib/worker.mjs";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const dialect = process.argv[2] ?? "postgresql";
const table = process.env.BENCH_TABLE ?? "bench_rows";
const ADMIN = "profile-admin";
const dir = mkdtempSync(join(os.tmpdir(), "bench-profile-backfill-"));
const MODE = process.env.MODE ?? "profile";
const ALLOC = process.env.ALLOC;
// Profiles are read by function and line: those runs take the worker unminified.
const config = bundleWorker({
  cwd: ROOT,
  config: "wrangler.toml",
  outDir: join(dir, "build"),
  minify: MODE === "profile" || ALLOC ? false : undefined,
});
const worker = await startWorker({
  cwd: ROOT,
  config,
  port: 8799,
  persistTo: join(dir, "state"),
  log: join(dir, "log"),
  noBundle: true,
  inspectorPort: 9299,
  vars: { ADMIN_AUTHORIZATION_TOKEN: ADMIN, CLIENT_AUTHORIZATION_TOKEN: "profile-client" },
});
const LATENCY = MODE === "latency" || process.env.READERS === "1";
const inspector = MODE === "profile" || process.env.HEAP || ALLOC ? await connectInspector(9299) : null;
// HEAP=live: each sample after a full collection (what is live, at the cost of the copy's speed).
const heap =
  process.env.HEAP === "1" || process.env.HEAP === "live"
    ? sampleHeap(inspector, process.env.HEAP === "live" ? 250 : 100, {
        series: process.env.HEAP_SERIES === "1",
        live: process.env.HEAP === "live",
      })
    : null;
const source =
  dialect === "postgresql"
    ? { dialect, host: "127.0.0.1", port: 5432, user: "postgres", password: "", database: "test" }
    : { dialect, host: "127.0.0.1", port: 3306, user: "root", password: "", database: "test" };
try {
  if (MODE === "profile") await inspector?.send("Profiler.enable");
  if (MODE === "profile") await inspector?.send("Profiler.setSamplingInterval", { interval: 200 });
  if (MODE === "profile") await inspector?.send("Profiler.start");
  if (ALLOC)
    await inspector.send("HeapProfiler.startSampling", {
      samplingInterval: 16 * 1024,
      includeObjectsCollectedByMinorGC: ALLOC === "minor",
      includeObjectsCollectedByMajorGC: ALLOC === "major",
    });
  const queries = LATENCY
    ? startReader() // SLOW_MS=50: also the answers slower than that, as [ms after the first request, latency].
    : null;
  const cpu0 = workerdCpu();
  const t0 = performance.now();
  const wall0 = Date.now();
  await call(worker.url, "POST", "/replication/jobs", {
    token: ADMIN,
    body: {
      name: "profiled",
      source,
      table_name: table,
      tracking_col: "updated_at",
      tracking_type: "timestamp",
      cron_tab: "* * * * * *",
      batch_size: 10000,
    },
  });
  const runs = await awaitCopy((method, path) => call(worker.url, method, path, { token: ADMIN }), "profiled");
  console.log(
    runs.reduce((s, r) => s + r.rows, 0),
    "rows",
  );
  if (process.env.RUN_TIMES)
    console.log(
      JSON.stringify(runs.map((r) => [Date.parse(r.started_at) - wall0, Date.parse(r.ended_at) - wall0, r.rows])),
    );
  console.log(`${((performance.now() - t0) / 1000).toFixed(2)} s, workerd CPU ${(workerdCpu() - cpu0).toFixed(2)} s`);
  if (queries) {
    const q = await queries.stop();
    console.log(process.env.RUN_TIMES ? JSON.stringify(q) : q);
  }
  if (heap) console.log(await heap.stop());
  if (ALLOC) printTopAllocations((await inspector.send("HeapProfiler.stopSampling")).profile, 30);
  if (MODE === "profile") printProfile((await inspector.send("Profiler.stop")).profile);
  if (process.env.THEN === "verify") await verifyWithReader();
  if (process.env.THEN === "reads") await profileReads();
} finally {
  inspector?.close();
  await worker.stop();
}

/** THEN=verify: after the copy, a verify of the whole replica while the client reads every 10 ms. */
async function verifyWithReader() {
  await call(worker.url, "POST", "/replication/jobs/profiled/pause", { token: ADMIN });
  const readers = startReader();
  await sleep(1000);
  const verify = (await call(worker.url, "POST", "/replication/jobs/profiled/verify", { token: ADMIN })).result;
  await sleep(500);
  console.log("verify", JSON.stringify(verify), await readers.stop());
}

/** THEN=reads: after the copy, the job paused, only the reader for 10 s, profiled: what one read costs the isolate. */
async function profileReads() {
  await call(worker.url, "POST", "/replication/jobs/profiled/pause", { token: ADMIN });
  // READS_PROFILE=0: the same without the profiler, whose sampling costs the isolate too.
  const reads = process.env.READS_PROFILE === "0" ? null : (inspector ?? (await connectInspector(9299)));
  await reads?.send("Profiler.enable");
  await reads?.send("Profiler.setSamplingInterval", { interval: Number(process.env.READS_INTERVAL_US ?? 100) });
  await reads?.send("Profiler.start");
  const cpu0 = workerdCpu();
  const readers = startReader({ everyMs: Number(process.env.READS_EVERY_MS ?? 10) });
  await sleep(10_000);
  const q = await readers.stop();
  // Both workerd processes: wrangler's proxy in front of the worker costs CPU too.
  const perRead = ((workerdCpu() - cpu0) * 1000) / q.answered;
  console.log("reads", q, `workerd CPU (both processes) per read ${perRead.toFixed(2)} ms`);
  if (reads) printProfile((await reads.send("Profiler.stop")).profile);
}

/** A client's point SELECT through /query every 10 ms (bench/lib/query-latency.mjs). */
function startReader(options = {}) {
  return sampleQueryLatency(worker.url, "profile-client", {
    sql: `SELECT * FROM ${table} WHERE id = ?`,
    params: () => [1 + Math.floor(Math.random() * 100_000)],
    slowMs: process.env.SLOW_MS ? Number(process.env.SLOW_MS) : null,
    ...options,
  });
}

function workerdCpu() {
  return worker.workerdPids().reduce((sum, pid) => sum + cpuSecondsOf(pid), 0);
}

function printProfile(profile) {
  if (process.env.CPU_PROFILE) writeFileSync(process.env.CPU_PROFILE, JSON.stringify(profile));
  printTopFunctions(profile, 40);
}
