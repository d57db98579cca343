// Profiling aid (not part of `npm run bench`): times the limit worker's write and read
// paths in variants, e.g. `npx node bench/profile.mjs write` or `... read`.
// Read variants print wall time and the CPU time of workerd and of the local MariaDB.
// CPU_PROFILE=file.cpuprofile records a V8 CPU profile of the isolate through the inspector
// (from the last repeat of the first variant; open it in Chrome DevTools) and prints the
// functions with the most self time.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { connectInspector, printTopFunctions } from "./lib/inspector.mjs";
import { bundleWorker, call, cpuSecondsOf, startWorker } from "./lib/worker.mjs";

const BENCH = dirname(fileURLToPath(import.meta.url));
const N = Number(process.env.BENCH_ROWS ?? 100_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 10_000);
const what = process.argv[2] ?? "write";
const dir = mkdtempSync(join(os.tmpdir(), "bench-profile-"));
const config = bundleWorker({ cwd: dirname(BENCH), config: "bench/wrangler.toml", outDir: join(dir, "build") });
const worker = await startWorker({
  cwd: dirname(BENCH),
  config,
  port: 8798,
  persistTo: join(dir, "state"),
  log: join(dir, "log"),
  noBundle: true,
  inspectorPort: 9298,
});
const PROFILE = process.env.CPU_PROFILE;
const inspector = PROFILE ? await connectInspector(9298) : null;
if (inspector) {
  await inspector.send("Profiler.enable");
  await inspector.send("Profiler.setSamplingInterval", { interval: 200 });
}
const cpuSeconds = () => worker.workerdPids().reduce((sum, pid) => sum + cpuSecondsOf(pid), 0);
/** Local MariaDB servers (another may run beside the one on 3306): their share of a MySQL read. */
const comm = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return ""; // ended meanwhile
  }
};
const mariadbPids = readdirSync("/proc").filter((p) => /^\d+$/.test(p) && comm(p) === "mariadbd");
const serverCpu = () => mariadbPids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0);
let lastCpu = 0;
let lastServerCpu = 0;
let lastResult = null;
const timed = async (path, body, repeat = 3) => {
  let best = Infinity;
  for (let i = 0; i < repeat; i++) {
    if (inspector && i === repeat - 1) await inspector.send("Profiler.start"); // the warm, last repeat
    const t0 = performance.now();
    const c0 = cpuSeconds();
    const s0 = serverCpu();
    lastResult = await call(worker.url, "POST", path, { body });
    const wall = performance.now() - t0;
    if (wall < best) [best, lastCpu, lastServerCpu] = [wall, cpuSeconds() - c0, serverCpu() - s0];
  }
  return best / 1000;
};
try {
  if (what === "write") {
    const gen = 0;
    await timed("/__bench/write", { rows: N, batch: BATCH, mode: "prepare" }, 1);
    const line = (name, s) =>
      console.log(name.padEnd(28), `${(s * 1000).toFixed(0)} ms`, `${Math.round(N / s)} rows/s`);
    // WRITE_VARIANTS="commit,plugin": only the variants whose names contain one of these.
    const ONLY = process.env.WRITE_VARIANTS?.split(",");
    for (const [name, body] of Object.entries({
      "encode (planWriteBatches)": { mode: "encode" },
      "encode (JSON.stringify)": { mode: "encode", variant: "stringify" },
      "upsert (plugin)": { mode: "write" },
      "upsert + bare stringify": { mode: "write", variant: "stringify" },
      "plain insert": { mode: "write", variant: "insert" },
      "bound VALUES, 11 rows": { mode: "write", variant: "values" },
      "upsert + hash column": { mode: "write", hashColumn: true },
      "upsert, commit per 2,000": { mode: "write", commitRows: 2000 },
      "upsert, commit per 4,500": { mode: "write", commitRows: 4500 },
      "upsert + hash, commit 2,000": { mode: "write", hashColumn: true, commitRows: 2000 },
      "jsonb extract, no insert": { mode: "write", variant: "extract" },
    }).filter(([name]) => !ONLY || ONLY.some((part) => name.includes(part))))
      line(`${name} `, (await timed("/__bench/write", { rows: N, batch: BATCH, ...body })) - gen);
  } else {
    for (const dialect of (process.env.BENCH_SOURCES ?? "postgresql,mysql").split(",")) {
      const source =
        dialect === "postgresql"
          ? { dialect, host: "127.0.0.1", port: 5432, user: "postgres", password: "", database: "test" }
          : { dialect, host: "127.0.0.1", port: 3306, user: "root", password: "", database: "test" };
      for (const variant of (process.env.READ_VARIANTS ?? "source").split(",")) {
        const s = await timed(
          "/__bench/read",
          { source, table: process.env.BENCH_TABLE ?? "bench_rows", batch: BATCH, variant },
          2,
        );
        console.log(
          dialect,
          variant.padEnd(12),
          `${(s * 1000).toFixed(0)} ms`,
          `(CPU: workerd ${lastCpu.toFixed(2)} s, mariadbd ${lastServerCpu.toFixed(2)} s)`,
          `${Math.round(lastResult.rows / s)} rows/s`,
        );
      }
    }
  }
  if (inspector) await saveProfile((await inspector.send("Profiler.stop")).profile);
} finally {
  inspector?.close();
  await worker.stop();
}

/** Writes the profile and prints the 25 functions with the most self time. */
function saveProfile(profile) {
  writeFileSync(PROFILE, JSON.stringify(profile));
  printTopFunctions(profile);
}
