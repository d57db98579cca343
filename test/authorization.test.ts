/**
 * The client role against the engine-level authorizer: every way we know of to
 * reach internal tables, credentials or replica rows, each refused with a 403
 * naming the rule, and each leaving the database exactly as it was (an admin
 * dump of every table and of sqlite_schema is compared before and after).
 * Then what the client role may do keeps working, and replication still runs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, CLIENT, sql, uniqueName } from "./helpers";
import { PG, pgExec } from "./support/sources";
import { jobBody, JobTracker, replicaCount, runJob, waitForFirstRun } from "./support/replication-api";

const tracker = new JobTracker();
const source = uniqueName("authz_src");
let job: string;
let replica: string;
let mine: string; // a table the client role owns

/** Every table's rows and the whole schema, as the admin sees them. */
async function snapshot(): Promise<string> {
  const tables = await sql<Array<{ name: string }>>(
    // _cf_ tables belong to the platform: not even the admin role may read them.
    "SELECT name FROM sqlite_schema WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' ORDER BY name",
  );
  const dump: Record<string, unknown> = {
    schema: (await sql("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name")).body.result,
  };
  for (const { name } of tables.body.result!) {
    const rows = await sql(`SELECT * FROM "${name.replaceAll('"', '""')}" ORDER BY rowid`);
    expect(rows.body.error).toBeUndefined();
    dump[name] = rows.body.result;
  }
  return JSON.stringify(dump);
}

beforeAll(async () => {
  await pgExec(`CREATE TABLE ${source} (id bigint PRIMARY KEY, note text, updated_at timestamptz(6) NOT NULL)`);
  await pgExec(`INSERT INTO ${source} SELECT g, 'n' || g, now() FROM generate_series(1, 5) g`);
  const body = jobBody("authz", { dialect: "postgresql", ...PG, password: "Inline-secret-pw-31" }, source);
  job = body.name as string;
  replica = body.target_table as string;
  await tracker.create(body);
  await waitForFirstRun(job);
  expect(await replicaCount(replica)).toBe(5);
  mine = uniqueName("mine");
  const created = await sql(`CREATE TABLE ${mine} (id INTEGER PRIMARY KEY, v TEXT)`, [], CLIENT);
  expect(created.body.error).toBeUndefined();
  await sql(`INSERT INTO ${mine} VALUES (1, 'one')`, [], CLIENT);
  // Something for the triggers and indexes below to be about.
  await sql("ANALYZE");
});

afterAll(async () => {
  await tracker.cleanup();
  await pgExec(`DROP TABLE IF EXISTS ${source}`);
});

type Attack = [label: string, request: () => { sql: string } | { transaction: Array<{ sql: string }> }, rule: RegExp];

const INTERNAL = /internal tables \(tmp_, sqlite_, _cf_\) are reserved for the admin role/;
const SCHEMA = /cannot read sqlite_schema/;
const REPLICA = /is the replica of replication job .*: the client role may read it but not change it/;
const TRIGGER = /cannot create or drop triggers/;
const KEYWORD = /is reserved for the admin role: the client role may run SELECT/;
const VIRTUAL = /virtual tables and table-valued functions other than json_each and json_tree/;

const one = (text: string) => () => ({ sql: text });

const attacks: Attack[] = [
  // Internal tables, every spelling and path.
  ["single-quoted name", one("SELECT * FROM 'tmp_replication_jobs'"), INTERNAL],
  ["double-quoted name", one('SELECT * FROM "tmp_replication_jobs"'), INTERNAL],
  ["bracketed name", one("SELECT * FROM [tmp_replication_jobs]"), INTERNAL],
  ["back-ticked, other case", one("SELECT * FROM `TMP_Replication_Jobs`"), INTERNAL],
  ["schema-qualified", one("SELECT * FROM main.tmp_replication_jobs"), INTERNAL],
  ["schema-qualified and quoted", one(`SELECT * FROM "main"."tmp_cron_tasks"`), INTERNAL],
  ["scalar subquery", one("SELECT (SELECT settings FROM tmp_replication_jobs LIMIT 1) AS s"), INTERNAL],
  ["CTE", one("WITH x AS (SELECT * FROM tmp_replication_jobs) SELECT * FROM x"), INTERNAL],
  ["IN subquery", () => ({ sql: `SELECT * FROM ${mine} WHERE id IN (SELECT rowid FROM tmp_cron_tasks)` }), INTERNAL],
  ["aggregate over an index", one("SELECT count(*) FROM tmp_migrations"), INTERNAL],
  ["forced index", one("SELECT * FROM tmp_cron_tasks INDEXED BY sqlite_autoindex_tmp_cron_tasks_1"), INTERNAL],
  ["json_each of a secret", one("SELECT * FROM json_each((SELECT settings FROM tmp_replication_jobs))"), INTERNAL],
  ["ANALYZE statistics", one("SELECT * FROM sqlite_stat1"), INTERNAL],
  [
    "copied into the client's table",
    () => ({ sql: `INSERT INTO ${mine} (v) SELECT settings FROM tmp_replication_jobs` }),
    INTERNAL,
  ],
  ["CREATE TABLE AS SELECT", one("CREATE TABLE stolen AS SELECT * FROM tmp_replication_jobs"), INTERNAL],
  ["a view that reads them", one("CREATE VIEW peek AS SELECT * FROM tmp_replication_jobs"), INTERNAL],
  ["a view over a view", one("CREATE VIEW peek2 AS SELECT * FROM (SELECT name FROM tmp_cron_tasks)"), INTERNAL],
  ["UPDATE, quoted", one("UPDATE 'tmp_cron_tasks' SET cron_tab = '* * * * * *'"), INTERNAL],
  ["DELETE, quoted", one("DELETE FROM 'tmp_replication_runs'"), INTERNAL],
  ["rewrite a stored column type", one(`UPDATE tmp_replication_jobs SET columns = '[]'`), INTERNAL],
  [
    "INSERT a job",
    one(
      "INSERT INTO tmp_replication_jobs (name, settings, columns, warnings, created_at) VALUES ('x', '{}', '[]', '[]', 0)",
    ),
    INTERNAL,
  ],
  [
    "REPLACE a task",
    one("REPLACE INTO tmp_cron_tasks (name, cron_tab, created_at, updated_at) VALUES ('x', '* * * * *', 0, 0)"),
    INTERNAL,
  ],
  ["CREATE TABLE, quoted", one("CREATE TABLE 'tmp_x' (a)"), INTERNAL],
  ["CREATE TABLE, other case", one("CREATE TABLE TMP_Y (a)"), INTERNAL],
  ["DROP an internal table", one("DROP TABLE tmp_migrations"), INTERNAL],
  ["ALTER an internal table", one("ALTER TABLE tmp_replication_jobs ADD COLUMN x"), INTERNAL],
  ["rename into the prefix", () => ({ sql: `ALTER TABLE ${mine} RENAME TO tmp_mine` }), INTERNAL],
  // The schema table lists them.
  ["sqlite_schema", one("SELECT name, sql FROM sqlite_schema"), SCHEMA],
  ["sqlite_master", one("SELECT * FROM sqlite_master WHERE name LIKE 'tmp%'"), SCHEMA],
  [
    "sqlite_schema in a subquery",
    () => ({ sql: `SELECT (SELECT count(*) FROM sqlite_master) AS n FROM ${mine}` }),
    SCHEMA,
  ],
  ["pragma_table_list", one("SELECT * FROM pragma_table_list"), VIRTUAL],
  ["pragma_table_info", one("SELECT * FROM pragma_table_info('tmp_replication_jobs')"), VIRTUAL],
  ["PRAGMA table_list", one("PRAGMA table_list"), KEYWORD],
  ["PRAGMA setter", one("PRAGMA foreign_keys = OFF"), KEYWORD],
  ["EXPLAIN", one("EXPLAIN SELECT * FROM tmp_migrations"), KEYWORD],
  ["ANALYZE", one("ANALYZE"), KEYWORD],
  ["VACUUM", one("VACUUM"), KEYWORD],
  ["ATTACH", one("ATTACH DATABASE ':memory:' AS other"), KEYWORD],
  // Replica tables: readable, never writable.
  [
    "INSERT into a replica",
    () => ({ sql: `INSERT INTO "${replica}" (id, note, updated_at) VALUES (99, 'forged', '2024-01-01')` }),
    REPLICA,
  ],
  ["UPDATE a replica", () => ({ sql: `UPDATE "${replica}" SET note = 'forged'` }), REPLICA],
  ["DELETE from a replica", () => ({ sql: `DELETE FROM "${replica}" WHERE id = 1` }), REPLICA],
  ["empty a replica", () => ({ sql: `DELETE FROM "${replica}"` }), REPLICA],
  ["DELETE through a CTE", () => ({ sql: `WITH x AS (SELECT 1) DELETE FROM "${replica}" RETURNING *` }), REPLICA],
  [
    "INSERT OR REPLACE from itself",
    () => ({ sql: `INSERT OR REPLACE INTO "${replica}" SELECT * FROM "${replica}"` }),
    REPLICA,
  ],
  ["DROP a replica", () => ({ sql: `DROP TABLE "${replica}"` }), REPLICA],
  ["ALTER a replica", () => ({ sql: `ALTER TABLE "${replica}" ADD COLUMN extra TEXT` }), REPLICA],
  ["rename a replica", () => ({ sql: `ALTER TABLE "${replica}" RENAME TO moved` }), REPLICA],
  ["index a replica", () => ({ sql: `CREATE INDEX on_replica ON "${replica}" (note)` }), REPLICA],
  [
    "foreign key to a replica",
    () => ({ sql: `CREATE TABLE child (id INTEGER REFERENCES "${replica}" (id) ON DELETE RESTRICT)` }),
    /foreign key may not reference/,
  ],
  // Triggers run with the rights of whoever fires them.
  [
    "trigger that aborts replication",
    () => ({ sql: `CREATE TRIGGER stop AFTER INSERT ON "${replica}" BEGIN SELECT RAISE(ABORT, 'no'); END` }),
    /./,
  ],
  [
    "trigger on the client's own table",
    () => ({ sql: `CREATE TRIGGER own AFTER INSERT ON ${mine} BEGIN DELETE FROM ${mine}; END` }),
    /./,
  ],
  [
    "external-content full-text index",
    one("CREATE VIRTUAL TABLE peek USING fts5(settings, content='tmp_replication_jobs')"),
    /cannot create virtual tables/,
  ],
  // Several statements in one text, and transactions: nothing runs.
  ["a write after a read", () => ({ sql: `SELECT 1; DELETE FROM "${replica}"` }), REPLICA],
  [
    "a read after a write",
    () => ({ sql: `INSERT INTO ${mine} (v) VALUES ('x'); SELECT * FROM tmp_migrations` }),
    INTERNAL,
  ],
  [
    "a transaction",
    () => ({
      transaction: [{ sql: `INSERT INTO ${mine} (v) VALUES ('y')` }, { sql: `UPDATE "${replica}" SET note = 'z'` }],
    }),
    REPLICA,
  ],
  [
    "DDL then a refused read",
    () => ({ transaction: [{ sql: "CREATE TABLE fresh (a)" }, { sql: "SELECT * FROM sqlite_master" }] }),
    SCHEMA,
  ],
];

describe("the client role is refused, and nothing changes", () => {
  it("has at least 40 attacks", () => {
    expect(attacks.length).toBeGreaterThanOrEqual(40);
  });

  it.each(attacks)("%s", async (_label, request, rule) => {
    const before = await snapshot();
    const res = await api("POST", "/query", { token: CLIENT, body: request() });
    expect(res.status, JSON.stringify(res.body)).toBe(403);
    expect(res.body.error).toMatch(rule);
    if (_label.startsWith("trigger")) expect(res.body.error).toMatch(TRIGGER);
    expect(await snapshot()).toBe(before);
  });

  it("answers the admin role in full", async () => {
    const res = await sql("SELECT count(*) AS n FROM tmp_replication_jobs");
    expect(res.body.result).toEqual([{ n: 1 }]);
  });
});

/**
 * Statements that end the transaction workerd keeps open around the object's writes: workerd
 * then restarts the object, failing every request and replication run in flight (a 500 before
 * these were refused). Each is refused before it runs, or rolled back by the check after it.
 */
describe("the client role cannot restart the database", () => {
  const MAX_ID = "9223372036854775807";
  const table = (prefix: string) => uniqueName(prefix);
  const as = async (token: string | undefined, text: string) => {
    const res = await sql(text, [], token);
    expect(res.body.error, text).toBeUndefined();
  };
  type Case = [
    label: string,
    setup: (t: string) => Promise<void>,
    attack: (t: string) => string,
    status: number,
    rule: RegExp,
  ];
  const autoincrement = async (t: string) => as(CLIENT, `CREATE TABLE ${t} (id INTEGER PRIMARY KEY AUTOINCREMENT, v)`);
  const cases: Case[] = [
    [
      "INSERT OR ROLLBACK on a conflict",
      async (t) => as(CLIENT, `CREATE TABLE ${t} (id INTEGER PRIMARY KEY, v); INSERT INTO ${t} VALUES (1, 1)`),
      (t) => `INSERT OR ROLLBACK INTO ${t} VALUES (1, 2)`,
      403,
      /ON CONFLICT ROLLBACK/,
    ],
    [
      "a table whose key resolves conflicts with ROLLBACK",
      // The client may make such a table, but not write it.
      async (t) => {
        await as(CLIENT, `CREATE TABLE ${t} (id INTEGER PRIMARY KEY ON CONFLICT ROLLBACK, v)`);
        await as(undefined, `INSERT INTO ${t} VALUES (1, 1)`);
      },
      (t) => `INSERT INTO ${t} VALUES (1, 2)`,
      403,
      /ON CONFLICT ROLLBACK/,
    ],
    [
      "NOT NULL ON CONFLICT ROLLBACK",
      async (t) => as(CLIENT, `CREATE TABLE ${t} (id INTEGER PRIMARY KEY, v NOT NULL ON CONFLICT ROLLBACK)`),
      (t) => `INSERT INTO ${t} VALUES (1, NULL)`,
      403,
      /ON CONFLICT ROLLBACK/,
    ],
    [
      "UPDATE OR ROLLBACK",
      async (t) =>
        as(CLIENT, `CREATE TABLE ${t} (id INTEGER PRIMARY KEY, v UNIQUE); INSERT INTO ${t} VALUES (1, 1), (2, 2)`),
      (t) => `UPDATE OR ROLLBACK ${t} SET v = 1 WHERE id = 2`,
      403,
      /ON CONFLICT ROLLBACK/,
    ],
    [
      "an admin's trigger that raises ROLLBACK",
      async (t) => {
        await as(undefined, `CREATE TABLE ${t} (id INTEGER PRIMARY KEY)`);
        await as(undefined, `CREATE TRIGGER ${t}_no BEFORE INSERT ON ${t} BEGIN SELECT RAISE(ROLLBACK, 'no'); END`);
      },
      (t) => `INSERT INTO ${t} VALUES (5)`,
      403,
      /RAISE\(ROLLBACK\)/,
    ],
    [
      "a deferred foreign key left violated",
      async (t) =>
        as(
          CLIENT,
          `CREATE TABLE ${t}_p (id INTEGER PRIMARY KEY); CREATE TABLE ${t} (id INTEGER PRIMARY KEY, p REFERENCES ${t}_p (id) DEFERRABLE INITIALLY DEFERRED)`,
        ),
      (t) => `INSERT INTO ${t} VALUES (1, 999)`,
      403,
      /DEFERRABLE INITIALLY DEFERRED/,
    ],
    [
      "an AUTOINCREMENT id at the largest, then a new one",
      autoincrement,
      (t) => `INSERT INTO ${t} (id, v) VALUES (${MAX_ID}, 1); INSERT INTO ${t} (v) VALUES (2)`,
      403,
      /may not raise the ids of AUTOINCREMENT table/,
    ],
    [
      "an AUTOINCREMENT key updated to the largest",
      async (t) => {
        await autoincrement(t);
        await as(CLIENT, `INSERT INTO ${t} (v) VALUES (1)`);
      },
      (t) => `UPDATE ${t} SET id = ${MAX_ID}`,
      403,
      /may not raise the ids of AUTOINCREMENT table/,
    ],
    [
      "sqlite_sequence set to the largest id",
      async (t) => {
        await autoincrement(t);
        await as(CLIENT, `INSERT INTO ${t} (v) VALUES (1)`);
      },
      (t) => `UPDATE sqlite_sequence SET seq = ${MAX_ID} WHERE name = '${t}'`,
      403,
      /may not raise the ids of AUTOINCREMENT table/,
    ],
    [
      "an AUTOINCREMENT key raised behind a column named rowid",
      async (t) => {
        await as(CLIENT, `CREATE TABLE ${t} (id INTEGER PRIMARY KEY AUTOINCREMENT, rowid, v)`);
        await as(CLIENT, `INSERT INTO ${t} (v) VALUES (1)`);
      },
      (t) => `UPDATE ${t} SET id = ${MAX_ID}`,
      403,
      /may not raise the ids of AUTOINCREMENT table/,
    ],
    [
      "an AUTOINCREMENT key raised after deleting its counter",
      async (t) => {
        await autoincrement(t);
        await as(CLIENT, `INSERT INTO ${t} (v) VALUES (1)`);
      },
      (t) => `DELETE FROM sqlite_sequence WHERE name = '${t}'; UPDATE ${t} SET id = ${MAX_ID}`,
      403,
      /may not raise the ids of AUTOINCREMENT table/,
    ],
    [
      "given and new AUTOINCREMENT ids in one REPLACE of several rows",
      autoincrement,
      (t) => `REPLACE INTO ${t} (id, v) VALUES (${MAX_ID}, 1), (NULL, 2)`,
      403,
      /gives every id or none/,
    ],
    [
      "given and new AUTOINCREMENT ids in one INSERT OR IGNORE ... SELECT",
      autoincrement,
      (t) => `INSERT OR IGNORE INTO ${t} (id, v) SELECT ${MAX_ID}, 1 UNION ALL SELECT NULL, 2`,
      403,
      /gives every id or none/,
    ],
    [
      "a new AUTOINCREMENT id after the admin's largest",
      async (t) => {
        await autoincrement(t);
        await as(undefined, `INSERT INTO ${t} (id, v) VALUES (${MAX_ID}, 1)`);
      },
      (t) => `INSERT INTO ${t} (v) VALUES (2)`,
      409,
      /near the largest SQLite allows/,
    ],
  ];

  it.each(cases)("%s", async (_label, setup, attack, status, rule) => {
    const t = table("restart");
    await setup(t);
    const before = await snapshot();
    const res = await api("POST", "/query", { token: CLIENT, body: { sql: attack(t) } });
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.body.error).toMatch(rule);
    expect(await snapshot()).toBe(before);
  });

  it("keeps what AUTOINCREMENT tables are for: given ids one row at a time, new ids any number at a time", async () => {
    const t = table("ids");
    await autoincrement(t);
    await as(CLIENT, `INSERT INTO ${t} (id, v) VALUES (10, 'given')`);
    await as(CLIENT, `REPLACE INTO ${t} (id, v) VALUES (10, 'replaced')`);
    await as(CLIENT, `INSERT INTO ${t} (v) VALUES ('a'), ('b')`);
    await as(CLIENT, `INSERT INTO ${t} (v) SELECT value FROM json_each('["c","d"]')`);
    await as(CLIENT, `INSERT OR ABORT INTO ${t} (id, v) VALUES (99, 'abort is fine')`);
    const rows = await sql(`SELECT id, v FROM ${t} ORDER BY id`, [], CLIENT);
    expect(rows.body.result).toEqual([
      { id: 10, v: "replaced" },
      { id: 11, v: "a" },
      { id: 12, v: "b" },
      { id: 13, v: "c" },
      { id: 14, v: "d" },
      { id: 99, v: "abort is fine" },
    ]);
  });
});

describe("what the client role may do", () => {
  const ok = async (text: string, params: unknown[] = []) => {
    const res = await sql(text, params, CLIENT);
    expect(res.body.error).toBeUndefined();
    expect(res.status).toBe(200);
    return res.body.result;
  };

  it("reads a replica, alone, joined, and through its own view", async () => {
    expect(await ok(`SELECT count(*) AS n FROM "${replica}"`)).toEqual([{ n: 5 }]);
    expect(await ok(`SELECT r.note FROM "${replica}" r JOIN ${mine} m ON m.id = r.id`)).toEqual([{ note: "n1" }]);
    const view = uniqueName("replica_view");
    await ok(`CREATE VIEW ${view} AS SELECT id, note FROM "${replica}" WHERE id <= 2`);
    expect(await ok(`SELECT * FROM ${view} ORDER BY id`)).toEqual([
      { id: 1, note: "n1" },
      { id: 2, note: "n2" },
    ]);
    await ok(`DROP VIEW ${view}`);
  });

  it("owns its tables: create, index, alter, write, AUTOINCREMENT, drop", async () => {
    const t = uniqueName("own");
    await ok(`CREATE TABLE ${t} (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT UNIQUE)`);
    await ok(`CREATE INDEX ${t}_v ON ${t} (v)`);
    await ok(`ALTER TABLE ${t} ADD COLUMN w INTEGER`);
    await ok(`INSERT INTO ${t} (v, w) SELECT value, 1 FROM json_each(?)`, ['["a","b","c"]']);
    await ok(`UPDATE ${t} SET w = 2 WHERE v = 'b'`);
    await ok(`DELETE FROM ${t} WHERE v = 'c'`);
    expect(await ok(`SELECT id, v, w FROM ${t} ORDER BY id`)).toEqual([
      { id: 1, v: "a", w: 1 },
      { id: 2, v: "b", w: 2 },
    ]);
    expect(await ok(`SELECT seq FROM sqlite_sequence WHERE name = ?`, [t])).toEqual([{ seq: 3 }]);
    await ok(`DROP TABLE ${t}`);
  });

  it("copies replica rows into its own table", async () => {
    const t = uniqueName("copy");
    await ok(`CREATE TABLE ${t} AS SELECT id, note FROM "${replica}"`);
    expect(await ok(`SELECT count(*) AS n FROM ${t}`)).toEqual([{ n: 5 }]);
    await ok(`DROP TABLE ${t}`);
  });

  it("runs several statements in one text, answering the last", async () => {
    const t = uniqueName("multi");
    expect(
      await ok(
        `CREATE TABLE ${t} (a); INSERT INTO ${t} VALUES (1), (2); SELECT count(*) AS n FROM ${t} WHERE a > ?`,
        [0],
      ),
    ).toEqual([{ n: 2 }]);
  });

  it("keeps strings that merely mention internal names", async () => {
    expect(await ok("SELECT 'tmp_x' AS s, 'sqlite_schema' AS t -- tmp_y")).toEqual([
      { s: "tmp_x", t: "sqlite_schema" },
    ]);
  });
});

describe("after the attacks", () => {
  it("replication still runs and the replica equals its source", async () => {
    await pgExec(`UPDATE ${source} SET note = note || '!', updated_at = now() WHERE id IN (2, 4)`);
    const run = await runJob(job);
    expect(run.done).toBe(true);
    const rows = await sql(`SELECT id, note FROM "${replica}" ORDER BY id`);
    const expected = await pgExec(`SELECT id::int AS id, note FROM ${source} ORDER BY id`);
    expect(rows.body.result).toEqual(expected);
  });
});
