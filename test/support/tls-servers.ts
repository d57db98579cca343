/**
 * Real TLS servers for the TLS tests (Node side, driven over HTTP by tests in workerd):
 *
 * - The shared PostgreSQL gets TLS through `ALTER SYSTEM` and a reload, never a restart, so
 *   plain connections keep working throughout. Several test runs may share that server: a run
 *   holds an advisory lock from its first change until it has restored the original settings.
 * - A second MariaDB, with its own data directory and port and `require_secure_transport`, is
 *   started the first time a test asks for it and stopped when the run ends.
 *
 *   POST /postgresql/state?to=off|public|private   TLS off, or on with that CA's server certificate
 *   POST /postgresql/restore                        the settings found before the first change
 *   POST /mysql/start                               {port, user, password} of the TLS MariaDB
 *   POST /mysql/ca?to=public|private                serve that CA's server certificate (FLUSH SSL)
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createNetServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import mysql from "mysql2/promise";
import pg from "pg";
import type { CaName, TlsMaterial } from "./tls-material";

export interface TlsServers {
  controlPort: number;
  close(): Promise<void>;
}

export async function startTlsServers(material: TlsMaterial): Promise<TlsServers> {
  const postgres = new PostgresTls(material);
  const mariadb = new MariadbTls(material);
  const routes: Record<string, (query: URLSearchParams) => Promise<unknown>> = {
    "/postgresql/state": (query) => postgres.set(stateParam(query.get("to"))),
    "/postgresql/restore": () => postgres.restore(),
    "/mysql/start": () => mariadb.start(),
    "/mysql/ca": async (query) => mariadb.serve(caParam(query.get("to"))),
  };
  const control: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const route = req.method === "POST" ? routes[url.pathname] : undefined;
    if (!route) {
      res.writeHead(404).end();
      return;
    }
    route(url.searchParams).then(
      (result) => res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(result ?? {})),
      (error: unknown) => res.writeHead(500).end(error instanceof Error ? error.message : String(error)),
    );
  });
  await new Promise<void>((resolve) => control.listen(0, "127.0.0.1", resolve));
  return {
    controlPort: (control.address() as { port: number }).port,
    async close() {
      // Keep-alive connections from workerd would otherwise hold the process open.
      control.close();
      control.closeAllConnections();
      await Promise.allSettled([postgres.restore(), mariadb.stop()]);
    },
  };
}

function stateParam(value: string | null): "off" | CaName {
  if (value === "off" || value === "public" || value === "private") return value;
  throw new Error(`unknown TLS state ${value}`);
}

function caParam(value: string | null): CaName {
  if (value === "public" || value === "private") return value;
  throw new Error(`unknown CA ${value}`);
}

const PG = { host: "127.0.0.1", port: 5432, user: "postgres", database: "test" };
/** Every run of these tests takes this advisory lock before changing the server's TLS settings. */
const PG_LOCK = 0x57a7b45e;
const PG_LOCK_TIMEOUT = "60s";
const PG_SETTINGS = ["ssl", "ssl_cert_file", "ssl_key_file"] as const;
/** Files this code writes into the data directory; a setting naming one is a leftover of a crashed run. */
const PG_FILE_PREFIX = "starbase-test-tls-";

type PgSetting = (typeof PG_SETTINGS)[number];

class PostgresTls {
  private lock?: pg.Client;
  private original?: Record<PgSetting, { value: string; fromAutoConf: boolean }>;
  private dataDirectory?: string;

  constructor(private readonly material: TlsMaterial) {}

  async set(state: "off" | CaName): Promise<{ state: string }> {
    await this.acquire();
    await this.apply(
      state === "off"
        ? [{ name: "ssl", value: "off" }]
        : [
            { name: "ssl_cert_file", value: this.fileName(state, "crt") },
            { name: "ssl_key_file", value: this.fileName(state, "key") },
            { name: "ssl", value: "on" },
          ],
    );
    const ssl = (await pgQuery("SELECT current_setting('ssl') AS ssl"))[0]?.ssl;
    if (ssl !== (state === "off" ? "off" : "on")) throw new Error(`PostgreSQL still has ssl = ${String(ssl)}`);
    return { state };
  }

  /** Puts back the settings found before the first change, then releases the lock. Safe to call twice. */
  async restore(): Promise<void> {
    const lock = this.lock;
    if (!lock || !this.original) return;
    const original = this.original;
    await this.apply(
      PG_SETTINGS.map((name) => ({ name, value: original[name].fromAutoConf ? original[name].value : undefined })),
    );
    for (const ca of ["public", "private"] as const) {
      for (const kind of ["crt", "key"] as const)
        rmSync(join(this.dataDirectory!, this.fileName(ca, kind)), { force: true });
    }
    this.lock = undefined;
    this.original = undefined;
    await lock.query("SELECT pg_advisory_unlock($1)", [PG_LOCK]).catch(() => undefined);
    await lock.end().catch(() => undefined);
  }

  private fileName(ca: CaName, kind: "crt" | "key"): string {
    return `${PG_FILE_PREFIX}${ca}.${kind}`;
  }

  /** Takes the lock (waiting for another run to restore), records the settings, writes the certificate files. */
  private async acquire(): Promise<void> {
    if (this.lock) return;
    const lock = new pg.Client({ ...PG, application_name: "test-tls-lock" });
    lock.on("error", () => undefined);
    await lock.connect();
    try {
      await lock.query(`SET lock_timeout = '${PG_LOCK_TIMEOUT}'`);
      await lock.query("SELECT pg_advisory_lock($1)", [PG_LOCK]);
    } catch (error) {
      await lock.end().catch(() => undefined);
      throw new Error(`another test run kept PostgreSQL's TLS settings for over ${PG_LOCK_TIMEOUT}: ${String(error)}`);
    }
    const rows = await lock.query<{ name: PgSetting; setting: string; sourcefile: string | null }>(
      "SELECT name, setting, sourcefile FROM pg_settings WHERE name = ANY($1)",
      [PG_SETTINGS],
    );
    const leftover = rows.rows.some((row) => row.setting.startsWith(PG_FILE_PREFIX));
    this.original = Object.fromEntries(
      rows.rows.map((row) => [
        row.name,
        { value: row.setting, fromAutoConf: !leftover && (row.sourcefile ?? "").endsWith("postgresql.auto.conf") },
      ]),
    ) as Record<PgSetting, { value: string; fromAutoConf: boolean }>;
    this.dataDirectory = (
      await lock.query<{ dir: string }>("SELECT current_setting('data_directory') AS dir")
    ).rows[0]!.dir;
    this.lock = lock;
    try {
      this.writeCertificates(this.dataDirectory);
    } catch (error) {
      await this.restore();
      throw error;
    }
  }

  /**
   * PostgreSQL reads the key only if the server's user owns it with mode 600, so the files go
   * into the data directory with its owner: this needs the tests to run as root or postgres.
   */
  private writeCertificates(dataDirectory: string): void {
    const owner = statSync(dataDirectory);
    for (const ca of ["public", "private"] as const) {
      const files = { crt: this.material.server[ca].cert, key: this.material.server[ca].key };
      for (const kind of ["crt", "key"] as const) {
        const target = join(dataDirectory, this.fileName(ca, kind));
        try {
          copyFileSync(files[kind], target);
          chmodSync(target, 0o600);
          if (process.getuid?.() === 0) chownSync(target, owner.uid, owner.gid);
        } catch (error) {
          throw new Error(
            `cannot write ${target} (the TLS tests must run as root or as PostgreSQL's user): ${String(error)}`,
          );
        }
      }
    }
  }

  /** ALTER SYSTEM (undefined resets), reload, and wait until new sessions see the reloaded configuration. */
  private async apply(settings: Array<{ name: PgSetting; value: string | undefined }>): Promise<void> {
    const lock = this.lock!;
    for (const { name, value } of settings) {
      // ALTER SYSTEM takes no parameters; the values are ours (file names, on/off) or the server's own.
      const literal = value === undefined ? undefined : `'${value.replaceAll("'", "''")}'`;
      await lock.query(literal === undefined ? `ALTER SYSTEM RESET ${name}` : `ALTER SYSTEM SET ${name} = ${literal}`);
    }
    const before = (await lock.query<{ t: string }>("SELECT clock_timestamp()::text AS t, pg_reload_conf()")).rows[0]!
      .t;
    const deadline = Date.now() + 10_000;
    // The postmaster reloads (settings and TLS context) before it forks the next session.
    while (!(await pgQuery(`SELECT pg_conf_load_time() > '${before}'::timestamptz AS reloaded`))[0]!.reloaded) {
      if (Date.now() > deadline) throw new Error("PostgreSQL did not reload its configuration within 10 s");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** One statement on a fresh plain session (a new session shows the postmaster's current configuration). */
async function pgQuery(sql: string): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client({ ...PG, application_name: "test-tls-check" });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Each run's MariaDB lives in `<tmp>/starbase-tls-mariadb/<vitest pid>`, so a later run can clean up after a crashed one. */
const MARIADB_ROOT = join(tmpdir(), "starbase-tls-mariadb");
const MARIADB_USER = "starbase";
/** mariadbd lives in an sbin directory, which a non-root PATH may lack. */
const MARIADB_ENV = { ...process.env, PATH: `${process.env.PATH ?? ""}:/usr/local/sbin:/usr/sbin:/sbin` };

class MariadbTls {
  private starting?: Promise<{ port: number; user: string; password: string }>;
  private child?: ChildProcess;
  private readonly dir = join(MARIADB_ROOT, String(process.pid));
  private readonly password = `Tls-${Math.random().toString(36).slice(2, 10)}`;

  constructor(private readonly material: TlsMaterial) {}

  start(): Promise<{ port: number; user: string; password: string }> {
    this.starting ??= this.launch();
    return this.starting;
  }

  /** Replaces the served certificate and has the server read it again. */
  async serve(ca: CaName): Promise<void> {
    await this.start();
    copyFileSync(this.material.server[ca].cert, join(this.dir, "server.crt"));
    copyFileSync(this.material.server[ca].key, join(this.dir, "server.key"));
    await this.admin((connection) => connection.query("FLUSH SSL"));
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]);
      clearTimeout(timer);
      if (child.exitCode === null) child.kill("SIGKILL");
    }
    rmSync(this.dir, { recursive: true, force: true });
    if (existsSync(MARIADB_ROOT) && readdirSync(MARIADB_ROOT).length === 0) rmSync(MARIADB_ROOT, { recursive: true });
  }

  private async launch(): Promise<{ port: number; user: string; password: string }> {
    removeAbandonedInstances();
    const data = join(this.dir, "data");
    mkdirSync(this.dir, { recursive: true });
    copyFileSync(this.material.server.public.cert, join(this.dir, "server.crt"));
    copyFileSync(this.material.server.public.key, join(this.dir, "server.key"));
    const small = ["--innodb-log-file-size=4M", "--innodb-buffer-pool-size=16M"];
    const user = `--user=${userInfo().username}`;
    await promisify(execFile)(
      "mariadb-install-db",
      ["--no-defaults", `--datadir=${data}`, user, "--skip-test-db", "--skip-name-resolve", ...small],
      { env: MARIADB_ENV },
    ).catch((error: unknown) => {
      throw new Error(`mariadb-install-db failed (the TLS tests need MariaDB's server package): ${String(error)}`);
    });
    const init = join(this.dir, "init.sql");
    const sql = [
      // install-db creates anonymous users, which would match before ours.
      "DELETE FROM mysql.global_priv WHERE User = '';",
      "FLUSH PRIVILEGES;",
      "CREATE DATABASE IF NOT EXISTS test;",
      `CREATE USER '${MARIADB_USER}'@'%' IDENTIFIED BY '${this.password}';`,
      `GRANT ALL ON *.* TO '${MARIADB_USER}'@'%';`,
      "",
    ].join("\n");
    writeFileSync(init, sql);
    const port = await freePort();
    this.child = spawn(
      "mariadbd",
      [
        "--no-defaults",
        `--datadir=${data}`,
        user,
        `--port=${port}`,
        "--bind-address=127.0.0.1",
        `--socket=${join(this.dir, "mysqld.sock")}`,
        `--pid-file=${join(this.dir, "mariadbd.pid")}`,
        `--log-error=${join(this.dir, "error.log")}`,
        `--init-file=${init}`,
        `--ssl-cert=${join(this.dir, "server.crt")}`,
        `--ssl-key=${join(this.dir, "server.key")}`,
        "--require-secure-transport=ON",
        "--skip-name-resolve",
        "--skip-log-bin",
        ...small,
      ],
      { stdio: "ignore", env: MARIADB_ENV },
    );
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await this.admin((connection) => connection.query("SELECT 1"));
        return { port, user: MARIADB_USER, password: this.password };
      } catch (error) {
        if (this.child.exitCode !== null || Date.now() > deadline) {
          const log = existsSync(join(this.dir, "error.log")) ? readFileSync(join(this.dir, "error.log"), "utf8") : "";
          throw new Error(`the TLS MariaDB did not start: ${String(error)}\n${log.slice(-2000)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  /** Over the Unix socket, which `require_secure_transport` counts as secure. */
  private async admin<T>(work: (connection: mysql.Connection) => Promise<T>): Promise<T> {
    const connection = await mysql.createConnection({
      socketPath: join(this.dir, "mysqld.sock"),
      user: MARIADB_USER,
      password: this.password,
    });
    try {
      return await work(connection);
    } finally {
      await connection.end().catch(() => undefined);
    }
  }
}

/** Stops the MariaDB of an earlier run whose process is gone (it crashed before its teardown), and removes its files. */
function removeAbandonedInstances(): void {
  if (!existsSync(MARIADB_ROOT)) return;
  for (const entry of readdirSync(MARIADB_ROOT)) {
    const owner = Number(entry);
    if (!Number.isInteger(owner) || owner === process.pid || isAlive(owner)) continue;
    const dir = join(MARIADB_ROOT, entry);
    const pidFile = join(dir, "mariadbd.pid");
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8").trim()) : NaN;
    // Only a mariadbd serving that very directory: the pid may have been reused.
    if (Number.isInteger(pid) && isAlive(pid) && readCommandLine(pid).includes(dir)) process.kill(pid, "SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readCommandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return "";
  }
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
