// Runs the real worker under `wrangler dev` for end-to-end tests in Node (the approach of bench/lib/worker.mjs).
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** Tokens the started worker accepts unless `vars` says otherwise. */
export const E2E_TOKENS = { admin: "e2e-admin-token", client: "e2e-client-token" } as const;

export interface WorkerOptions {
  /** The project to serve (default: this repository), with its own `node_modules/wrangler`. */
  cwd?: string;
  /** Wrangler config, relative to `cwd` (default `wrangler.toml`). */
  config?: string;
  /** Worker vars and secrets, passed with `--var` (default: the E2E_TOKENS as the two auth tokens). */
  vars?: Record<string, string>;
  /** Default: a free port. */
  port?: number;
  /** Durable Object state; default: a fresh temporary directory, removed by `stop()`. */
  persistTo?: string;
  /** How long the worker may take to answer its first request (default 90 s; a cold build on a busy machine). */
  startTimeoutMs?: number;
  /** Keep the log (and a temporary persist dir) after `stop()`; also on when E2E_KEEP_FILES is set. */
  keepFiles?: boolean;
}

export interface RunningWorker {
  /** e.g. `http://127.0.0.1:41234`, no trailing slash. */
  url: string;
  /** wrangler's and workerd's output. */
  logFile: string;
  /** Ends wrangler and its workerd (the whole process group), then removes the temporary files. */
  stop(): Promise<void>;
}

/**
 * Starts `wrangler dev` on 127.0.0.1 in its own process group with a fresh `--persist-to`
 * directory, and resolves once the worker answers HTTP. Always pair it with `stop()`
 * (an `afterAll`); a process exit also ends the group, should a test run die first.
 */
export async function startWorker(options: WorkerOptions = {}): Promise<RunningWorker> {
  const port = options.port ?? (await freePort());
  const inspectorPort = await freePort(); // wrangler's default 9229 may be taken by another worker
  const scratch = mkdtempSync(join(tmpdir(), "e2e-worker-"));
  const persistTo = options.persistTo ?? join(scratch, "state");
  const logFile = join(scratch, "wrangler.log");
  const vars = options.vars ?? {
    ADMIN_AUTHORIZATION_TOKEN: E2E_TOKENS.admin,
    CLIENT_AUTHORIZATION_TOKEN: E2E_TOKENS.client,
  };
  const cwd = options.cwd ?? ROOT;
  const args = [
    join(cwd, "node_modules/wrangler/bin/wrangler.js"),
    "dev",
    "--config",
    options.config ?? "wrangler.toml",
    "--port",
    String(port),
    "--ip",
    "127.0.0.1",
    "--inspector-port",
    String(inspectorPort),
    "--persist-to",
    persistTo,
    "--show-interactive-dev-session=false",
    "--log-level",
    "info",
    ...Object.entries(vars).flatMap(([key, value]) => ["--var", `${key}:${value}`]),
  ];
  // wrangler needs the project's Node 22: the Node running the tests (npm scripts put it first on PATH).
  const child = spawn(process.execPath, args, {
    cwd,
    detached: true, // its own process group: stop() ends wrangler and workerd together
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", CI: "true" },
  });
  const log = createWriteStream(logFile, { flags: "a" });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const killOnExit = () => killGroup(child, "SIGKILL");
  process.once("exit", killOnExit);

  const stop = async () => {
    process.off("exit", killOnExit);
    await endGroup(child);
    await new Promise((resolve) => log.end(resolve));
    if (!(options.keepFiles ?? Boolean(process.env.E2E_KEEP_FILES))) rmSync(scratch, { recursive: true, force: true });
  };

  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilAnswering(url, child, options.startTimeoutMs ?? 90_000, logFile);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, logFile, stop };
}

/** Any HTTP answer (a 401 included) means the worker is up. */
async function waitUntilAnswering(url: string, child: ChildProcess, timeoutMs: number, logFile: string) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`wrangler dev exited (${child.exitCode ?? child.signalCode}):\n${tail(logFile)}`);
    }
    if (Date.now() > deadline) throw new Error(`wrangler dev did not answer within ${timeoutMs} ms:\n${tail(logFile)}`);
    try {
      await fetch(`${url}/status`, { signal: AbortSignal.timeout(2_000) });
      return;
    } catch {
      await sleep(250);
    }
  }
}

/** SIGTERM to the group, SIGKILL after 5 s, then wait until no process of the group is left. */
async function endGroup(child: ChildProcess): Promise<void> {
  if (!groupAlive(child)) return;
  killGroup(child, "SIGTERM");
  for (let i = 0; i < 50 && groupAlive(child); i++) await sleep(100);
  for (let i = 0; i < 50 && groupAlive(child); i++) {
    killGroup(child, "SIGKILL");
    await sleep(100);
  }
  if (groupAlive(child)) throw new Error(`process group ${child.pid} of wrangler dev did not end`);
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

function groupAlive(child: ChildProcess): boolean {
  try {
    process.kill(-child.pid!, 0);
    return true;
  } catch {
    return false;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function tail(file: string, lines = 40): string {
  if (!existsSync(file)) return "(no log)";
  return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
}
