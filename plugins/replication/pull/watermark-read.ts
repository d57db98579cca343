/**
 * Reading the source's clock for the late-commit watermark (watermark.ts), once
 * per run before its first page: the watermark only rises (work that starts later
 * stamps later values), so one read bounds every page of the run; a later read
 * would only let the cursor advance a little further.
 */
import type { SourceColumn, SourceConnection, SqlDialect, SqliteValue } from "../../../src/sources/types";
import type { JobSettings } from "../engine/settings";
import { decideWatermark, type LateCommitGuard, type SourceClock, trackingClock } from "./watermark";

/**
 * Every client session of this database with an open transaction (not only those
 * holding an xid: `now()` is the transaction's start, and the xid comes only with
 * its first write). Sessions the role may not see (other roles', without
 * pg_read_all_stats) show neither their kind nor their start, only their role:
 * they are counted, not guessed at (background processes have no role).
 * `timestamp` columns take the writers' wall time: the server's default TimeZone,
 * which `reset_val` still holds after this session set its own to UTC.
 */
const PG_CLOCK = `WITH open_work AS (
  SELECT min(xact_start) AS oldest, count(*) FILTER (WHERE backend_type IS NULL AND usesysid IS NOT NULL) AS hidden
    FROM pg_stat_activity
   WHERE datname = current_database() AND (backend_type = 'client backend' OR backend_type IS NULL)
     AND pid <> pg_backend_pid()
), zone AS (SELECT reset_val AS tz FROM pg_settings WHERE name = 'TimeZone')
SELECT oldest AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', oldest AT TIME ZONE zone.tz, now() AT TIME ZONE zone.tz, hidden
  FROM open_work, zone`;

/**
 * The oldest of: InnoDB transactions' starts; statements still running (MySQL's
 * NOW() is the statement's start, which precedes its InnoDB transaction, e.g. while
 * it waits for a metadata lock); and now. innodb_trx is a cache refreshed at most
 * every 0.1 s and keeps whole seconds: hence now less 0.1 s, and 0.15 s more off
 * all of them for a statement that took its NOW() just before its transaction
 * began and has ended since. A statement's start is its elapsed time before now:
 * MariaDB's PROCESSLIST.TIME_MS to the millisecond, MySQL's TIME to the second.
 * Reading innodb_trx needs the PROCESS privilege, which also shows every session.
 * DATETIME columns take the writers' wall time: the server's global time_zone.
 * The first column says whether the cache was filled during this very statement:
 * InnoDB refreshes it only when 0.1 s have passed since it was last read, so a
 * session that reads it more often keeps it stale (a second job on the server, a
 * monitoring agent). Then it lists this session's transaction with this statement
 * as its query, which `nonce` tells from the same statement of an earlier run
 * (the session is kept between runs); the nonce comes early, since the cache keeps
 * only the first 1,024 characters of a query.
 */
function mysqlClock(statementStart: string, nonce: string): string {
  return `SELECT (SELECT COUNT(*) FROM information_schema.innodb_trx
           WHERE trx_mysql_thread_id = CONNECTION_ID() AND trx_query LIKE '%${nonce}%'),
  CAST(MIN(t) - INTERVAL 150000 MICROSECOND AS DATETIME(6)), NOW(6),
  CAST(CONVERT_TZ(MIN(t) - INTERVAL 150000 MICROSECOND, '+00:00', @@global.time_zone) AS DATETIME(6)),
  CAST(CONVERT_TZ(NOW(6), '+00:00', @@global.time_zone) AS DATETIME(6))
  FROM (SELECT NOW(6) - INTERVAL 100000 MICROSECOND AS t
        UNION ALL
        SELECT trx_started FROM information_schema.innodb_trx WHERE trx_mysql_thread_id <> CONNECTION_ID()
        UNION ALL
        SELECT ${statementStart} FROM information_schema.PROCESSLIST
         WHERE COMMAND IN ('Query', 'Execute') AND ID <> CONNECTION_ID()) AS open_work`;
}
const MARIADB_STATEMENT_START = "NOW(6) - INTERVAL CEIL(TIME_MS * 1000) + 1000 MICROSECOND";
const MYSQL_STATEMENT_START = "NOW(6) - INTERVAL TIME + 1 SECOND";

/** How this run guards against late commits, reading the source's clock when the job's settings ask for it. */
export async function lateCommitGuard(
  source: SourceConnection,
  dialect: SqlDialect,
  settings: Pick<JobSettings, "tracking_type" | "lookback_seconds" | "late_commits">,
  tracking: SourceColumn,
): Promise<LateCommitGuard> {
  if (settings.tracking_type !== "timestamp" || settings.lookback_seconds <= 0) return { kind: "none" };
  // Chosen for tracking values an application stamps with its own clock, which no watermark covers.
  if (settings.late_commits === "lookback") return { kind: "lookback", warning: null };
  const fallback = (reason: string): LateCommitGuard => ({
    kind: "lookback",
    warning: `late commits: ${reason}; each run re-reads lookback_seconds (${settings.lookback_seconds}) behind its cursor instead`,
  });
  const column = trackingClock(dialect.name, tracking.sourceType);
  if (!column) return fallback(`the tracking column's type (${tracking.sourceType}) has no watermark`);
  let clock: SourceClock | string;
  try {
    clock = dialect.name === "postgresql" ? await readPgClock(source) : await readMysqlClock(source);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    clock =
      dialect.name === "mysql" && /PROCESS/i.test(message)
        ? "the source's role lacks the PROCESS privilege, which reading information_schema.innodb_trx needs"
        : `the source's open transactions could not be read (${message.slice(0, 300)})`;
  }
  if (typeof clock === "string") return fallback(clock);
  const decided = decideWatermark(clock, column, settings.lookback_seconds);
  if ("unavailable" in decided) return fallback(decided.unavailable);
  return { kind: "watermark", ...decided };
}

async function readPgClock(source: SourceConnection): Promise<SourceClock | string> {
  const [oldestUtc, nowUtc, oldestLocal, nowLocal, hidden] = (await source.query(PG_CLOCK)).rows[0] ?? [];
  if (Number(hidden) > 0) {
    return "the source's role cannot see when other roles' transactions started (grant it pg_read_all_stats)";
  }
  return clockOf(oldestUtc, nowUtc, oldestLocal, nowLocal);
}

/** InnoDB refreshes its innodb_trx cache only once this long has passed since it was last read. */
const INNODB_TRX_CACHE_MS = 100;

async function readMysqlClock(source: SourceConnection): Promise<SourceClock | string> {
  const nonce = `starbase_clock_${crypto.randomUUID().replaceAll("-", "")}`;
  let row: SqliteValue[] = [];
  // A transaction of this session's own, which a fresh innodb_trx cache lists.
  await source.query("START TRANSACTION WITH CONSISTENT SNAPSHOT");
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      // Read stale, once more after the cache may refresh: another job's read makes it stale for 0.1 s.
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, INNODB_TRX_CACHE_MS + 10));
      row = (await readMysqlClockRow(source, nonce)) ?? [];
      if (Number(row[0]) > 0) break;
    }
  } catch (error) {
    await source.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
  await source.query("COMMIT");
  const [fresh, oldestUtc, nowUtc, oldestLocal, nowLocal] = row;
  if (!(Number(fresh) > 0)) {
    return (
      "information_schema.innodb_trx was stale for this run (InnoDB refreshes it only when 0.1 s pass between " +
      "reads, and another session reads it more often)"
    );
  }
  return clockOf(oldestUtc, nowUtc, oldestLocal, nowLocal);
}

/** MariaDB's statement, or MySQL's (no PROCESSLIST.TIME_MS) where MariaDB's fails. */
async function readMysqlClockRow(source: SourceConnection, nonce: string): Promise<SqliteValue[] | undefined> {
  try {
    return (await source.query(mysqlClock(MARIADB_STATEMENT_START, nonce))).rows[0];
  } catch (error) {
    if (!/TIME_MS/.test(error instanceof Error ? error.message : String(error))) throw error;
    return (await source.query(mysqlClock(MYSQL_STATEMENT_START, nonce))).rows[0];
  }
}

function clockOf(
  oldestUtc: SqliteValue | undefined,
  nowUtc: SqliteValue | undefined,
  oldestLocal: SqliteValue | undefined,
  nowLocal: SqliteValue | undefined,
): SourceClock | string {
  const text = (v: SqliteValue | undefined) => (typeof v === "string" ? v : null);
  const now = text(nowUtc);
  if (now === null) return "the source did not answer its current time";
  return { oldestUtc: text(oldestUtc), nowUtc: now, oldestLocal: text(oldestLocal), nowLocal: text(nowLocal) };
}
