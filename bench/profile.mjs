// Profiling aid (not part of `npm run bench`): times the limit worker's write and read
// paths in variants, e.g. `npx node bench/profile.mjs write` or `... read`.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleWorker, call, startWorker } from "./lib/worker.mjs";

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
});
const timed = async (path, body, repeat = 3) => {
  let best = Infinity;
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    await call(worker.url, "POST", path, { body });
    best = Math.min(best, performance.now() - t0);
  }
  return best / 1000;
};
try {
  if (what === "write") {
    const gen = 0;
    await timed("/__bench/write", { rows: N, batch: BATCH, mode: "prepare" }, 1);
    const line = (name, s) =>
      console.log(name.padEnd(28), `${(s * 1000).toFixed(0)} ms`, `${Math.round(N / s)} rows/s`);
    for (const [name, body] of Object.entries({
      "encode (planWriteBatches)": { mode: "encode" },
      "encode (JSON.stringify)": { mode: "encode", variant: "stringify" },
      "upsert (plugin)": { mode: "write" },
      "upsert + bare stringify": { mode: "write", variant: "stringify" },
      "plain insert": { mode: "write", variant: "insert" },
      "upsert, ->> 0 paths": { mode: "write", variant: "dollar0" },
    }))
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
        console.log(dialect, variant.padEnd(12), `${(s * 1000).toFixed(0)} ms`);
      }
    }
  }
} finally {
  await worker.stop();
}
