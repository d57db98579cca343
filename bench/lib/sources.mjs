// Source tables for the benchmark, and the plain-driver read limits (no plugin).
// Tables are re-used across runs when they already hold the expected rows.
import { spawn } from "node:child_process";
import mysql from "mysql2/promise";
import pg from "pg";

export const PG = { host: "127.0.0.1", port: 5432, user: "postgres", password: "", database: "test" };
export const MY = { host: "127.0.0.1", port: 3306, user: "root", password: "", database: "test" };
const VERSION = "bench-v1";

export async function pgClient() {
  const client = new pg.Client(PG);
  await client.connect();
  return client;
}

export async function myClient() {
  return mysql.createConnection({ ...MY, multipleStatements: false });
}

/** `nameRepeats` for wide rows: a `name` of about 1.9 MB, near the Durable Object's 2 MB row limit. */
export const WIDE_NAME_REPEATS = 59_375;

/**
 * 8 mixed columns; updated_at one second apart ending 2025-01-01 (so the
 * default 300 s lookback of an incremental run re-reads ~300 old rows). With `nameRepeats`, each
 * row's `name` is `'name '` and its md5 repeated that many times (32 characters each): wide rows,
 * near the Durable Object's 2 MB row limit at 59,375.
 */
export async function ensurePgTable(client, table, rows, { index = true, nameRepeats = 1 } = {}) {
  const marker = `${VERSION} ${rows} ${index ? "indexed" : "no-index"}${nameRepeats > 1 ? ` name x${nameRepeats}` : ""}`;
  const name = (id) =>
    nameRepeats > 1 ? `'name ' || repeat(md5(${id}::text), ${nameRepeats})` : `'name ' || md5(${id}::text)`;
  const found = await client.query(
    `SELECT obj_description(c.oid, 'pg_class') AS d FROM pg_class c WHERE c.relname = $1 AND c.relkind = 'r'`,
    [table],
  );
  if (found.rows[0]?.d === marker) {
    // Undo the previous run's incremental changes so every run starts from the same data.
    await client.query(
      `UPDATE ${table} SET updated_at = timestamptz '2025-01-01 00:00:00+00' - (${rows} - id) * interval '1 second' + (id % 997) * interval '1 microsecond',
                           name = ${name("id")}
        WHERE updated_at >= timestamptz '2025-01-01 00:00:00+00'`,
    );
    return { created: false };
  }
  await client.query(`DROP TABLE IF EXISTS ${table}`);
  await client.query(`CREATE TABLE ${table} (
      id bigint PRIMARY KEY,
      updated_at timestamptz(6) NOT NULL,
      name text NOT NULL,
      amount numeric(12,2),
      active boolean,
      payload json,
      score double precision,
      code varchar(16))`);
  await client.query(`INSERT INTO ${table}
      SELECT g,
             timestamptz '2025-01-01 00:00:00+00' - (${rows} - g) * interval '1 second' + (g % 997) * interval '1 microsecond',
             ${name("g")},
             (g % 100000) / 100.0,
             g % 3 = 0,
             json_build_object('n', g, 'tag', 't' || (g % 50)),
             g * 0.001 + 0.5,
             'C' || (g % 9973)
        FROM generate_series(1, ${rows}) g`);
  if (index) await client.query(`CREATE INDEX ${table}_updated_at_id ON ${table} (updated_at, id)`);
  await client.query(`VACUUM ANALYZE ${table}`);
  await client.query(`COMMENT ON TABLE ${table} IS '${marker}'`);
  return { created: true };
}

/** As ensurePgTable (`nameRepeats` included); `name` is LONGTEXT for wide rows. */
export async function ensureMyTable(conn, table, rows, { index = true, nameRepeats = 1 } = {}) {
  const marker = `${VERSION} ${rows} ${index ? "indexed" : "no-index"}${nameRepeats > 1 ? ` name x${nameRepeats}` : ""}`;
  const name = (id) =>
    nameRepeats > 1 ? `CONCAT('name ', REPEAT(MD5(${id}), ${nameRepeats}))` : `CONCAT('name ', MD5(${id}))`;
  const [found] = await conn.query(
    `SELECT TABLE_COMMENT AS d FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`,
    [table],
  );
  if (found[0]?.d === marker) {
    await conn.query(
      `UPDATE ${table} SET updated_at = TIMESTAMP'2025-01-01 00:00:00' - INTERVAL (${rows} - id) SECOND + INTERVAL (id % 997) MICROSECOND,
                           name = ${name("id")}
        WHERE updated_at >= TIMESTAMP'2025-01-01 00:00:00'`,
    );
    return { created: false };
  }
  await conn.query(`DROP TABLE IF EXISTS ${table}`);
  await conn.query(`CREATE TABLE ${table} (
      id BIGINT PRIMARY KEY,
      updated_at DATETIME(6) NOT NULL,
      name ${nameRepeats > 1 ? "LONGTEXT" : "TEXT"} NOT NULL,
      amount DECIMAL(12,2),
      active BOOLEAN,
      payload JSON,
      score DOUBLE,
      code VARCHAR(16)) ENGINE=InnoDB COMMENT='building'`);
  await conn.query(`INSERT INTO ${table}
      SELECT seq,
             TIMESTAMP'2025-01-01 00:00:00' - INTERVAL (${rows} - seq) SECOND + INTERVAL (seq % 997) MICROSECOND,
             ${name("seq")},
             (seq % 100000) / 100,
             seq % 3 = 0,
             JSON_OBJECT('n', seq, 'tag', CONCAT('t', seq % 50)),
             seq * 0.001 + 0.5,
             CONCAT('C', seq % 9973)
        FROM seq_1_to_${rows}`);
  if (index) await conn.query(`CREATE INDEX ${table}_updated_at_id ON ${table} (updated_at, id)`);
  await conn.query(`ANALYZE TABLE ${table}`);
  await conn.query(`ALTER TABLE ${table} COMMENT='${marker}'`);
  return { created: true };
}

/** Text bytes of all 8 columns, summed: the "MB" in MB/s (the same definition for both sources). */
export async function pgTextBytes(client, table) {
  const r = await client.query(`SELECT sum(octet_length(id::text) + octet_length(updated_at::text) + octet_length(name)
      + coalesce(octet_length(amount::text), 0) + 1 + coalesce(octet_length(payload::text), 0)
      + coalesce(octet_length(score::text), 0) + coalesce(octet_length(code), 0))::int8 AS b FROM ${table}`);
  return Number(r.rows[0].b);
}

export async function myTextBytes(conn, table) {
  const [r] =
    await conn.query(`SELECT CAST(sum(length(id) + length(updated_at) + length(name) + coalesce(length(amount), 0)
      + 1 + coalesce(length(payload), 0) + coalesce(length(score), 0) + coalesce(length(code), 0)) AS UNSIGNED) AS b FROM ${table}`);
  return Number(r[0].b);
}

/** Figures the replica must match: count, sums over 4 columns, the newest updated_at, as ISO text. */
export async function pgChecksum(client, table) {
  const r = await client.query(`SELECT count(*)::int8 AS n, sum(id)::int8 AS ids, sum(length(name))::int8 AS names,
      sum(active::int)::int8 AS active, sum(round(amount * 100))::int8 AS cents,
      to_char(max(updated_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS newest FROM ${table}`);
  const row = r.rows[0];
  return { n: +row.n, ids: +row.ids, names: +row.names, active: +row.active, cents: +row.cents, newest: row.newest };
}

export async function myChecksum(conn, table) {
  const [r] =
    await conn.query(`SELECT count(*) AS n, CAST(sum(id) AS SIGNED) AS ids, CAST(sum(length(name)) AS SIGNED) AS names,
      CAST(sum(active) AS SIGNED) AS active, CAST(sum(round(amount * 100)) AS SIGNED) AS cents,
      DATE_FORMAT(max(updated_at), '%Y-%m-%dT%H:%i:%s.%f') AS newest FROM ${table}`);
  const row = r[0];
  return { n: +row.n, ids: +row.ids, names: +row.names, active: +row.active, cents: +row.cents, newest: row.newest };
}

/** The same figures over the replica in the Durable Object's SQLite. */
export function replicaChecksumSql(table) {
  return `SELECT count(*) AS n, sum(id) AS ids, sum(length(name)) AS names, sum(active) AS active,
      sum(CAST(round(CAST(amount AS REAL) * 100) AS INTEGER)) AS cents, max(updated_at) AS newest FROM "${table}"`;
}

const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;

/** A bare SELECT streamed row by row with the `pg` driver (identity type parsers, array rows). */
export async function pgDriverRead(table) {
  const client = new pg.Client({ ...PG, types: { getTypeParser: () => (v) => v } });
  await client.connect();
  const t0 = process.hrtime.bigint();
  let rows = 0;
  await new Promise((resolve, reject) => {
    const query = new pg.Query({
      text: `SELECT id, updated_at, name, amount, active, payload, score, code FROM ${table}`,
      rowMode: "array",
    });
    query.on("row", () => void rows++);
    query.on("end", resolve);
    query.on("error", reject);
    client.query(query);
  });
  const s = seconds(t0);
  await client.end();
  return { rows, seconds: s };
}

/** `COPY ... TO STDOUT` through psql into /dev/null: the server and wire alone. */
export async function pgCopyRead(table) {
  const t0 = process.hrtime.bigint();
  const out = await new Promise((resolve, reject) => {
    const child = spawn(
      "psql",
      [
        "-h",
        PG.host,
        "-p",
        String(PG.port),
        "-U",
        PG.user,
        "-d",
        PG.database,
        "-Atq",
        "-c",
        `\\copy (SELECT id, updated_at, name, amount, active, payload, score, code FROM ${table}) TO '/dev/null'`,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`psql exited ${code}: ${err}`))));
  });
  void out;
  const rows = Number((await withPg((c) => c.query(`SELECT count(*) AS n FROM ${table}`))).rows[0].n);
  return { rows, seconds: seconds(t0) };
}

/** A bare SELECT streamed row by row with mysql2 (array rows, the connector's value options). */
export async function myDriverRead(table) {
  const conn = await mysql.createConnection({
    ...MY,
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
    jsonStrings: true,
    decimalNumbers: false,
  });
  const t0 = process.hrtime.bigint();
  let rows = 0;
  await new Promise((resolve, reject) => {
    const stream = conn.connection
      .query({
        sql: `SELECT id, updated_at, name, amount, active, payload, score, code FROM ${table}`,
        rowsAsArray: true,
      })
      .stream();
    stream.on("data", () => void rows++);
    stream.on("end", resolve);
    stream.on("error", reject);
  });
  const s = seconds(t0);
  await conn.end();
  return { rows, seconds: s };
}

export async function withPg(fn) {
  const client = await pgClient();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function withMy(fn) {
  const conn = await myClient();
  try {
    return await fn(conn);
  } finally {
    await conn.end();
  }
}

/**
 * The first scan node of a PostgreSQL `EXPLAIN (ANALYZE, FORMAT JSON)` plan (`plan` is the JSON's
 * first element) and how it reads as one line: "Index Scan using bench_rows_pkey".
 */
export function pgFirstScan(plan) {
  const nodes = [];
  const walk = (n) => {
    nodes.push(n);
    for (const p of n.Plans ?? []) walk(p);
  };
  walk(plan.Plan);
  const node = nodes.find((n) => /Scan/.test(n["Node Type"]));
  return { node, label: `${node["Node Type"]}${node["Index Name"] ? ` using ${node["Index Name"]}` : ""}` };
}
