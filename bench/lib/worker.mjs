// Runs a worker in workerd through `wrangler dev`, talks to it over HTTP, and samples its memory.
import { execFileSync, spawn } from "node:child_process";
import { createWriteStream, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Polls a job's runs until one reports its copy done, and answers them; throws when a run failed or
 * after `timeoutMs`. `admin(method, path)` answers the worker's JSON (as withFreshWorker's admin does).
 */
export async function awaitCopy(admin, job, { timeoutMs = 600_000, everyMs = 50 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const runs = (await admin("GET", `/replication/jobs/${job}/runs`)).result;
    const failed = runs.find((r) => r.error);
    if (failed) throw new Error(`run ${failed.id} of ${job} failed: ${failed.error}`);
    if (runs.some((r) => r.done && r.ended_at)) return runs;
    if (Date.now() > deadline) throw new Error(`${job} did not finish its copy within ${timeoutMs / 1000} s`);
    await sleep(everyMs);
  }
}

/**
 * Bundles the worker of `config` once into `outDir` and writes a copy of the
 * config that points at the bundle. `wrangler dev --no-bundle` on that copy
 * does not reload when someone edits src/ or plugins/ during a run. Minified as the config says,
 * unless `minify` is false (CPU and allocation profiles then name each function's line).
 */
export function bundleWorker({ cwd, config, outDir, log, minify }) {
  const flags = minify === false ? ["--minify=false"] : [];
  execFileSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", outDir, "--config", config, ...flags], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", CI: "true" },
  });
  const entry = readdirSync(outDir).find((f) => f.endsWith(".js"));
  const text = readFileSync(join(cwd, config), "utf8").replace(/^main\s*=.*$/m, `main = "${entry}"`);
  const copy = join(outDir, "wrangler.toml");
  writeFileSync(copy, text);
  void log;
  return copy;
}

/**
 * Starts `wrangler dev` for `config` with a fresh `persistTo` dir. Tokens are
 * passed with --var so no .dev.vars is needed. Resolves once the worker answers.
 * With `inspectorPort`, the isolate's inspector listens there (see inspector.mjs).
 */
export async function startWorker({ cwd, config, port, persistTo, vars = {}, log, noBundle = false, inspectorPort }) {
  const args = [
    "wrangler",
    "dev",
    "--config",
    config,
    ...(noBundle ? ["--no-bundle"] : []),
    ...(inspectorPort ? ["--inspector-port", String(inspectorPort)] : []),
    "--port",
    String(port),
    "--ip",
    "127.0.0.1",
    "--persist-to",
    persistTo,
    "--show-interactive-dev-session=false",
    "--log-level",
    process.env.BENCH_LOG_LEVEL ?? "warn",
  ];
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  const child = spawn("npx", args, {
    cwd,
    detached: true, // own process group: stop() ends wrangler and its workerd together
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      WRANGLER_SEND_METRICS: "false",
      CI: "true",
      // wrangler dev's local observability streams every invocation and span to a collector worker
      // that runs on the Durable Object's own thread: ~1.5 ms of that thread per /query here (about
      // 40% of a point read's cost), which production does not pay. BENCH_LOCAL_OBSERVABILITY=1 keeps it.
      X_LOCAL_OBSERVABILITY: process.env.BENCH_LOCAL_OBSERVABILITY === "1" ? "true" : "false",
    },
  });
  const out = createWriteStream(log, { flags: "a" });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  let exited = null;
  child.on("exit", (code) => (exited = code ?? -1));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited !== null) throw new Error(`wrangler dev exited (${exited}); see ${log}`);
    if (Date.now() > deadline) throw new Error(`wrangler dev did not answer within 60 s; see ${log}`);
    try {
      await fetch(url, { signal: AbortSignal.timeout(2000) });
      break;
    } catch {
      await sleep(200);
    }
  }
  return {
    url,
    pid: child.pid,
    workerdPids: () => descendants(child.pid).filter((pid) => comm(pid) === "workerd"),
    async stop() {
      if (exited !== null) return;
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {}
      for (let i = 0; i < 50 && exited === null; i++) await sleep(100);
      if (exited === null) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {}
      }
      out.end();
    },
  };
}

function comm(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
}

/** Every process whose parent chain leads to `root`. */
function descendants(root) {
  const parent = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parent.set(Number(name), ppid);
    } catch {}
  }
  const found = [];
  for (const pid of parent.keys()) {
    for (let p = parent.get(pid); p && p > 1; p = parent.get(p)) {
      if (p === root) {
        found.push(pid);
        break;
      }
    }
  }
  return found;
}

/**
 * VmRSS, VmHWM and RssAnon of a process, in MiB. RssAnon is memory the process
 * allocated (JS heaps, SQLite's own caches); RSS also counts file pages of the
 * database being written, which the kernel may reclaim.
 */
export function memoryOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
    return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024, anon: kb("RssAnon") / 1024 };
  } catch {
    return { rss: 0, hwm: 0, anon: 0 };
  }
}

/** CPU seconds (user + system) a process has used so far: steadier than wall time on a busy machine. */
export function cpuSecondsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const [utime, stime] = stat
      .slice(stat.lastIndexOf(")") + 2)
      .split(" ")
      .slice(11, 13)
      .map(Number);
    return (utime + stime) / 100;
  } catch {
    return 0;
  }
}

/** Samples the summed RSS of `pids()` every `everyMs` until stopped; also counts their CPU seconds meanwhile. */
export function sampleMemory(pids, everyMs = 100) {
  const list = pids();
  const cpu = () => list.reduce((s, pid) => s + cpuSecondsOf(pid), 0);
  const cpuBefore = cpu();
  const sum = (key) => list.reduce((s, pid) => s + memoryOf(pid)[key], 0);
  const before = sum("rss");
  const anonBefore = sum("anon");
  let peak = before;
  let anonPeak = anonBefore;
  let samples = 0;
  const timer = setInterval(() => {
    const rss = sum("rss");
    const anon = sum("anon");
    samples++;
    if (rss > peak) peak = rss;
    if (anon > anonPeak) anonPeak = anon;
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      const after = list.reduce((s, pid) => s + memoryOf(pid).rss, 0);
      const hwm = list.reduce((s, pid) => s + memoryOf(pid).hwm, 0);
      return {
        rss_before_mib: round1(before),
        rss_peak_mib: round1(Math.max(peak, after)),
        rss_after_mib: round1(after),
        anon_before_mib: round1(anonBefore),
        anon_peak_mib: round1(Math.max(anonPeak, sum("anon"))),
        vm_hwm_mib: round1(hwm),
        samples,
        processes: list.length,
        cpu_seconds: Math.round((cpu() - cpuBefore) * 100) / 100,
      };
    },
  };
}

const round1 = (x) => Math.round(x * 10) / 10;

/** JSON over HTTP; throws on a non-2xx answer with its body. */
export async function call(base, method, path, { token, body, timeoutMs = 600_000 } = {}) {
  const res = await fetch(base + path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  if (!res.ok) throw new Error(`${method} ${path} -> ${res.status}: ${text.slice(0, 500)}`);
  return json;
}

export function joinPath(...parts) {
  return join(...parts);
}

/**
 * For a bench module run on its own (`node bench/cdc.mjs`): bundles the project's worker, starts
 * it on `port` with fresh state and the bench tokens, and calls `measure({ admin, log })`, where
 * `admin(method, path, body)` calls the worker as the admin role. Stops the worker afterwards.
 */
export async function withFreshWorker({ root, name, port, inspectorPort, minify }, measure) {
  const { mkdtempSync, rmSync } = await import("node:fs");
  const { default: os } = await import("node:os");
  const work = mkdtempSync(join(os.tmpdir(), `starbase-bench-${name}-`));
  const token = "bench-admin-token";
  const config = bundleWorker({ cwd: root, config: "wrangler.toml", outDir: join(work, "build"), minify });
  const worker = await startWorker({
    cwd: root,
    config,
    port,
    inspectorPort,
    persistTo: join(work, "state"),
    vars: { ADMIN_AUTHORIZATION_TOKEN: token, CLIENT_AUTHORIZATION_TOKEN: "bench-client-token" },
    log: join(work, "wrangler.log"),
    noBundle: true,
  });
  try {
    const log = (...args) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...args);
    return await measure({
      admin: (method, path, body) => call(worker.url, method, path, { token, body }),
      log,
      url: worker.url,
      clientToken: "bench-client-token",
    });
  } finally {
    await worker.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
