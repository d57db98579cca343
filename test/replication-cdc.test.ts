/**
 * Change capture (mode cdc) against the real PostgreSQL, inside workerd: the
 * job's slot and publication at the source, the snapshot and the stream, and
 * what the replica holds after each kind of change.
 */
import { runInDurableObject } from "cloudflare:test";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { JobView, RunRecord } from "../plugins/replication";
import { peekSql } from "../plugins/replication/cdc/stream";
import { defaultCdcTuning } from "../plugins/replication/cdc/tuning";
import { rowHashSql } from "../plugins/replication/replica/row-hash";
import { postgresDialect } from "../src/sources";
import { expectStoredExactly } from "../src/sources/test-support";
import { SLICE_WHILE_READING } from "../plugins/replication/pull/slices";
import { api, CLIENT, sql, uniqueName } from "./helpers";
import { cronTask, expectNothingStored } from "./support/replication-api";
import {
  cdcBody,
  cdcJobName,
  createCdcJob,
  dropLeftoverCdcObjects,
  publicationExists,
  slotConfirmedLsn,
  slotExists,
  tuneCdc,
} from "./support/cdc";
import {
  databaseStub,
  expectReplicaEqualsSource,
  getJob,
  replicaRows,
  runJob,
  runUntilDone,
  sourceRows,
  SOURCES,
  tuneReplication,
} from "./support/replication";
import { pgExec, pgSession } from "./support/sources";

const jobs: string[] = [];
const tables: string[] = [];
/** Publications tests create for jobs to be given (jobs never drop those). */
const publications: string[] = [];

// Each test's jobs are deleted as soon as it ends: a slot pins WAL on the shared server, and slots are few.
afterEach(async () => {
  for (const name of jobs.splice(0)) await api("DELETE", `/replication/jobs/${name}?drop_table=true`);
});

afterAll(async () => {
  for (const publication of publications) await pgExec(`DROP PUBLICATION IF EXISTS "${publication}"`);
  for (const table of tables) await pgExec(`DROP TABLE IF EXISTS ${table}`);
  await dropLeftoverCdcObjects();
});

const COLUMNS = ["id", "name", "amount", "at", "tags"];

interface PlanNode {
  "Function Name"?: string;
  "Actual Loops": number;
  Plans?: PlanNode[];
}

/** Loops of the slot's peek function in an EXPLAIN ANALYZE plan (0: never executed). */
function peekLoops(node: PlanNode): number {
  if (node["Function Name"] === "pg_logical_slot_peek_binary_changes") return node["Actual Loops"];
  for (const child of node.Plans ?? []) {
    const loops = peekLoops(child);
    if (loops >= 0) return loops;
  }
  return -1;
}

/** A source table of `rows` rows with a few kinds of values, and a paused cdc job on it (named like the table). */
async function cdcJob(label: string, rows = 10, over: Record<string, unknown> = {}): Promise<JobView> {
  const table = cdcJobName(label);
  tables.push(table);
  await pgExec(
    `CREATE TABLE ${table} (id bigint PRIMARY KEY, name text, amount numeric(12,2), at timestamptz(6), tags text[])`,
  );
  await pgExec(
    `INSERT INTO ${table} SELECT g, 'row ' || g, g * 1.25, '2024-01-01'::timestamptz + g * interval '1 second', ARRAY['a', g::text]
       FROM generate_series(1, ${rows}) g`,
  );
  jobs.push(table);
  return createCdcJob(table, table, over);
}

const expectCopied = (table: string, columns = COLUMNS) =>
  expectReplicaEqualsSource("postgresql", table, table, columns, "id");

/** A verify (issue 11) of the whole replica against the source, changing nothing: zeros when they agree. */
async function expectVerified(name: string): Promise<void> {
  const res = await api<Record<string, unknown>>("POST", `/replication/jobs/${name}/verify`);
  expect(res.body.error).toBeUndefined();
  expect(res.body.result).toMatchObject({ missing: 0, extra: 0, differing: 0, done: true });
}

async function runs(name: string): Promise<RunRecord[]> {
  const res = await api<RunRecord[]>("GET", `/replication/jobs/${name}/runs`);
  expect(res.status).toBe(200);
  return res.body.result!;
}

describe("creating a change capture job", () => {
  it("creates its publication and slot, named after the job, and copies then streams", async () => {
    const job = await cdcJob("basic");
    const name = job.name;
    expect(job).toMatchObject({
      mode: "cdc",
      tracking_col: null,
      tracking_type: null,
      warnings: [expect.stringMatching(/^paused:/)],
    });
    const cdc = job.status.cdc!;
    expect(cdc.slot).toMatch(/^starbase_cdct_basic_[0-9a-f]{10}_[0-9a-f]{8}$/);
    expect(cdc.publication).toBe(cdc.slot);
    expect(await slotExists(cdc.slot)).toBe(true);
    expect(await publicationExists(cdc.publication)).toBe(true);

    expect(await runJob(name)).toMatchObject({ rows: 10, done: true, note: null });
    await expectCopied(name);

    await pgExec(`INSERT INTO ${name} VALUES (11, 'eleven', 11, now(), '{}')`);
    await pgExec(`UPDATE ${name} SET name = 'changed', tags = NULL, amount = NULL WHERE id = 3`);
    await pgExec(`DELETE FROM ${name} WHERE id IN (4, 5)`);
    expect(await runJob(name)).toMatchObject({ rows: 4, done: true });
    await expectCopied(name);
    expect(await runJob(name)).toMatchObject({ rows: 0, done: true });
    // Streamed rows carry the hash of pgoutput's texts, the same the source computes for its rows.
    const atSource = await pgExec(
      `SELECT id::int AS id, ${rowHashSql(postgresDialect, COLUMNS, "hashtext")} AS hash FROM ${name} ORDER BY id`,
    );
    expect(await replicaRows(name, ["id", "_starbase_row_hash"], "id")).toEqual(
      atSource.map((r) => [r.id, Number(r.hash)]),
    );
    await expectVerified(name);

    const view = await getJob(name);
    expect(view.status).toMatchObject({ state: "paused", rows_synced: 14, cursor: null });
    // Each run caught up: every change committed before the last one began is in the replica.
    expect(view.status.synced_as_of).toBe(view.status.last_run_at);
    expect(view.status.lag_seconds).toBeGreaterThanOrEqual(0);
    expect(view.status.cdc).toMatchObject({ slot: cdc.slot, publication: cdc.publication, wal_status: "reserved" });
    expect(view.status.cdc!.confirmed_lsn).toBe(await slotConfirmedLsn(cdc.slot));
    expect(view.status.cdc!.retained_wal_bytes).toBeGreaterThanOrEqual(0);
    expect((await runs(name)).map((r) => [r.rows, r.done, r.error, r.note])).toEqual([
      [0, true, null, null],
      [4, true, null, null],
      [10, true, null, null],
    ]);
  });

  it("uses a publication the user names, and leaves it when the job is deleted", async () => {
    const table = cdcJobName("namedpub");
    tables.push(table);
    await pgExec(`CREATE TABLE ${table} (id int PRIMARY KEY, v text)`);
    await pgExec(`CREATE PUBLICATION "${table}_Pub" FOR TABLE ${table}`);
    try {
      const job = await createCdcJob(table, table, { publication: `${table}_Pub` });
      jobs.push(table);
      expect(job.status.cdc!.publication).toBe(`${table}_Pub`);
      await pgExec(`INSERT INTO ${table} VALUES (1, 'a')`);
      // The row is copied, and its insert (made after the slot) replayed over the copy: harmless.
      expect(await runJob(table)).toMatchObject({ rows: 2, done: true });
      await expectReplicaEqualsSource("postgresql", table, table, ["id", "v"], "id");
      const deleted = await api<{ cdc: Record<string, unknown> }>(
        "DELETE",
        `/replication/jobs/${table}?drop_table=true`,
      );
      expect(deleted.body.result!.cdc).toEqual({
        slot: job.status.cdc!.slot,
        slot_dropped: true,
        publication: `${table}_Pub`,
        publication_dropped: false,
      });
      expect(await slotExists(job.status.cdc!.slot)).toBe(false);
      expect(await publicationExists(`${table}_Pub`)).toBe(true);
    } finally {
      await pgExec(`DROP PUBLICATION IF EXISTS "${table}_Pub"`);
    }
  });

  describe("answers 400 saying what to change, and creates nothing", () => {
    const refused = async (body: Record<string, unknown>, message: RegExp) => {
      const res = await api("POST", "/replication/jobs", { body });
      expect(res.body.error).toMatch(message);
      expect(res.status).toBe(400);
      await expectNothingStored(body);
      const slots = await pgExec(`SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE $1`, [
        `starbase_${String(body.name).toLowerCase()}%`,
      ]);
      expect(slots).toEqual([]);
    };

    it("for a MySQL source", async () => {
      const body = cdcBody(cdcJobName("mysql"), "whatever", { source: { ...SOURCES.mysql } });
      await refused(body, /mode: cdc reads PostgreSQL's logical decoding: a MySQL source replicates with mode pull/);
    });

    it("for pull settings in mode cdc, and cdc settings in mode pull", async () => {
      await refused(
        cdcBody(cdcJobName("tracking"), "t", { tracking_col: "at" }),
        /tracking_col: applies to mode pull only/,
      );
      await refused(
        cdcBody(cdcJobName("lookback"), "t", { lookback_seconds: 5 }),
        /lookback_seconds: applies to mode pull only/,
      );
      await refused(
        cdcBody(cdcJobName("pullpub"), "t", {
          mode: "pull",
          tracking_col: "at",
          tracking_type: "timestamp",
          publication: "p",
        }),
        /publication: applies to mode cdc only/,
      );
      await refused(cdcBody(cdcJobName("nomode"), "t", { mode: "pull" }), /tracking_col: is required/);
      await refused(
        cdcBody(cdcJobName("softdel"), "t", { soft_delete_col: "deleted_at" }),
        /soft_delete_col: applies to mode pull only/,
      );
      await refused(cdcBody(cdcJobName("badmode"), "t", { mode: "stream" }), /mode must be "pull" or "cdc"/);
    });

    it("for a table without a primary key, or whose changes would not carry it", async () => {
      const keyless = cdcJobName("keyless");
      const nothing = cdcJobName("nothing");
      tables.push(keyless, nothing);
      await pgExec(`CREATE TABLE ${keyless} (id int, v text)`);
      await pgExec(
        `CREATE TABLE ${nothing} (id int PRIMARY KEY, v text); ALTER TABLE ${nothing} REPLICA IDENTITY NOTHING`,
      );
      await refused(cdcBody(keyless, keyless), /public\.cdct_keyless_\w+ has no primary key.*ADD PRIMARY KEY/);
      await refused(cdcBody(keyless, keyless, { primary_key: "id" }), /has no primary key/);
      await refused(cdcBody(nothing, nothing), /REPLICA IDENTITY NOTHING.*REPLICA IDENTITY DEFAULT/);
      await refused(cdcBody(nothing, keyless.replace("keyless", "absent")), /does not exist|not found|no table/i);
    });

    it("for a publication that does not exist or does not hold the table", async () => {
      const job = cdcJobName("pubcheck");
      tables.push(job);
      await pgExec(`CREATE TABLE ${job} (id int PRIMARY KEY)`);
      await pgExec(`CREATE PUBLICATION ${job}_other FOR TABLE ${job} WITH (publish = 'insert, update')`);
      try {
        await refused(
          cdcBody(job, job, { publication: `${job}_none` }),
          /publication \w+_none does not exist: CREATE PUBLICATION/,
        );
        await refused(cdcBody(job, job, { publication: `${job}_other` }), /does not publish delete, truncate/);
      } finally {
        await pgExec(`DROP PUBLICATION ${job}_other`);
      }
    });

    it("for a publication that filters the table's rows or columns", async () => {
      const job = cdcJobName("pubfilter");
      tables.push(job);
      await pgExec(`CREATE TABLE ${job} (id int PRIMARY KEY, v text)`);
      await pgExec(`CREATE PUBLICATION ${job}_rows FOR TABLE ${job} WHERE (id > 2)`);
      await pgExec(`CREATE PUBLICATION ${job}_cols FOR TABLE ${job} (id)`);
      try {
        await refused(
          cdcBody(job, job, { publication: `${job}_rows` }),
          /publishes only the rows of public\.\w+ WHERE \(id > 2\): ALTER PUBLICATION/,
        );
        await refused(cdcBody(job, job, { publication: `${job}_cols` }), /publishes only some columns of/);
      } finally {
        await pgExec(`DROP PUBLICATION ${job}_rows; DROP PUBLICATION ${job}_cols`);
      }
    });

    it("for a role that may not create replication slots", async () => {
      const role = cdcJobName("norepl");
      const table = cdcJobName("norepl_t");
      tables.push(table);
      await pgExec(`CREATE TABLE ${table} (id int PRIMARY KEY)`);
      await pgExec(`CREATE ROLE ${role} LOGIN NOREPLICATION; GRANT SELECT ON ${table} TO ${role}`);
      try {
        await refused(
          cdcBody(role, table, { source: { ...SOURCES.postgresql, user: role } }),
          new RegExp(`role ${role} may not create replication slots: .*ALTER ROLE ${role} WITH REPLICATION`),
        );
      } finally {
        await pgExec(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
      }
    });
  });
});

describe("the snapshot", () => {
  it("copies the table while two writers insert, update and delete, shows state snapshot, and converges", async () => {
    const job = await cdcJob("writers", 3000, { batch_size: 250 });
    const name = job.name;
    await tuneReplication((t) => (t.bounds = { ...t.bounds, maxRows: 600 }));
    const seen = new Set<string>();
    try {
      let stop = false;
      const writer = async (seed: number) => {
        const client = await pgSession();
        let n = 0;
        try {
          while (!stop) {
            const id = 1 + ((n * 7919 + seed * 104729) % 3500);
            const op = (n + seed) % 3;
            if (op === 0) {
              await client.query(
                `INSERT INTO ${name} VALUES ($1, $2, $3, now(), '{}') ON CONFLICT (id) DO UPDATE SET name = $4`,
                [id, `w${id}`, id, `upsert ${seed}`],
              );
            } else if (op === 1) {
              await client.query(`UPDATE ${name} SET name = $2, at = now() WHERE id = $1`, [id, `w${seed} ${n}`]);
            } else {
              await client.query(`DELETE FROM ${name} WHERE id = $1`, [id]);
            }
            n += 1;
          }
        } finally {
          await client.end();
        }
        return n;
      };
      const writers = [writer(1), writer(2)];
      // Active on a yearly schedule: after the first run, the job's follow-up runs copy the rest on their own.
      await api("POST", `/replication/jobs/${name}/resume`);
      const first = await runJob(name);
      expect(first.done).toBe(false);
      expect(first.rows).toBeLessThan(3000);
      const deadline = Date.now() + 3000;
      while (Date.now() < deadline) {
        const status = (await getJob(name)).status;
        seen.add(status.state);
        // Not current before the copy is done and the stream has passed the point where it ended.
        if (status.state === "snapshot") expect(status).toMatchObject({ synced_as_of: null, lag_seconds: null });
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      stop = true;
      const writes = await Promise.all(writers);
      expect(writes[0]! + writes[1]!).toBeGreaterThan(100);
      await api("POST", `/replication/jobs/${name}/pause`);
      // A follow-up run may still be going: manual runs answer 409 until it ends.
      for (;;) {
        const res = await api<{ done: boolean }>("POST", `/replication/jobs/${name}/run`);
        if (res.status === 200 && res.body.result!.done) break;
        if (res.status !== 200) expect(res.status).toBe(409);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      await tuneReplication((t) => (t.bounds = { ...t.bounds, maxRows: 250_000 }));
    }
    expect(seen).toContain("snapshot");
    await expectCopied(name);
    await expectVerified(name);
    await api("POST", `/replication/jobs/${name}/resume`);
    expect((await getJob(name)).status.state).toBe("idle");
  });

  it("copies the table again on reset, keeping the slot", async () => {
    const job = await cdcJob("reset", 30);
    await runJob(job.name);
    await pgExec(`DELETE FROM ${job.name} WHERE id > 20`);
    const reset = await api<JobView>("POST", `/replication/jobs/${job.name}/reset?truncate=true`);
    expect(reset.body.result!.status).toMatchObject({ rows_synced: 0, replica_rows: 0, synced_as_of: null });
    expect(await runJob(job.name)).toMatchObject({ done: true });
    await expectCopied(job.name);
    expect((await getJob(job.name)).status.cdc!.slot).toBe(job.status.cdc!.slot);
  });
});

describe("the replica's own indexes and views", () => {
  it("are made again over the new copy a reset swaps in", async () => {
    const job = await cdcJob("ownidx", 30);
    await runJob(job.name);
    expect((await sql(`CREATE INDEX ${job.name}_amount ON "${job.name}" (amount)`)).status).toBe(200);
    // A view naming the replica made SQLite refuse to rename the new copy into place: the run failed.
    expect((await sql(`CREATE VIEW ${job.name}_names AS SELECT id, name FROM "${job.name}"`)).status).toBe(200);
    // Dropped even when the test fails: a view left naming a dropped table breaks every later swap on the code before.
    try {
      await pgExec(`UPDATE ${job.name} SET amount = amount + 1, name = 'renamed' WHERE id <= 10`);
      expect((await api<JobView>("POST", `/replication/jobs/${job.name}/reset`)).status).toBe(200);
      expect(await runJob(job.name)).toMatchObject({ done: true });
      await expectCopied(job.name);
      const objects = await sql<Array<{ name: string }>>(
        `SELECT name FROM sqlite_schema WHERE type IN ('index', 'view') AND name LIKE ? ORDER BY name`,
        [`${job.name}_%`],
      );
      expect(objects.body.result!.map((i) => i.name)).toEqual([`${job.name}_amount`, `${job.name}_names`]);
      const renamed = await sql<Array<{ n: number }>>(
        `SELECT count(*) AS n FROM ${job.name}_names WHERE name = 'renamed'`,
      );
      expect(renamed.body.result).toEqual([{ n: 10 }]);
    } finally {
      await sql(`DROP VIEW IF EXISTS ${job.name}_names`);
    }
  });
});

describe("streaming changes", () => {
  it("keeps a TOASTed value that an update left unchanged, also when the key changes", async () => {
    const table = cdcJobName("toast");
    tables.push(table);
    await pgExec(`CREATE TABLE ${table} (id bigint PRIMARY KEY, doc text, n int)`);
    await pgExec(`ALTER TABLE ${table} ALTER COLUMN doc SET STORAGE EXTERNAL`);
    await pgExec(
      `INSERT INTO ${table} SELECT g, (SELECT string_agg(md5(random()::text || g || i), '') FROM generate_series(1, 400) i), 0
         FROM generate_series(1, 7) g`,
    );
    jobs.push(table);
    await createCdcJob(table, table);
    // Before the first run: replayed over the copy, which already holds rows 5, 6 and 7 at their new keys,
    // and at 7 a row inserted since.
    await pgExec(`UPDATE ${table} SET n = 1 WHERE id = 1`);
    await pgExec(`UPDATE ${table} SET id = 20, n = 5 WHERE id = 5`);
    await pgExec(`UPDATE ${table} SET id = 30 WHERE id = 6`);
    await pgExec(`UPDATE ${table} SET id = 40, n = 6 WHERE id = 30`);
    await pgExec(`UPDATE ${table} SET id = 50, n = 7 WHERE id = 7`);
    await pgExec(`INSERT INTO ${table} VALUES (7, 'a new row at the old key', 8)`);
    await runJob(table);
    await pgExec(`UPDATE ${table} SET n = 2 WHERE id IN (1, 2)`);
    await pgExec(`UPDATE ${table} SET id = 10, n = 3 WHERE id = 3`);
    await pgExec(`UPDATE ${table} SET doc = 'short now' WHERE id = 4`);
    expect(await runJob(table)).toMatchObject({ rows: 4, done: true });
    await expectReplicaEqualsSource("postgresql", table, table, ["id", "doc", "n"], "id");
    // Rows written from a change without its TOASTed value have no hash (unknown); verify compares them value by value.
    const hashes = await replicaRows(table, ["id", "_starbase_row_hash"], "id");
    expect(hashes.map(([id, hash]) => [id, hash === null])).toEqual([
      [1, true],
      [2, true],
      [4, false],
      [7, false],
      [10, true],
      [20, true],
      [40, true],
      [50, true],
    ]);
    await expectVerified(table);
    const lengths = await replicaRows(table, ["id", "n"], "id");
    expect(lengths).toEqual([
      [1, 2],
      [2, 2],
      [4, 0],
      [7, 8],
      [10, 3],
      [20, 5],
      [40, 6],
      [50, 7],
    ]);
  });

  it("replicates rows near the 2 MB limit, with row hashes the source agrees with", async () => {
    const table = cdcJobName("wide");
    tables.push(table);
    await pgExec(`CREATE TABLE ${table} (id bigint PRIMARY KEY, doc text, n int)`);
    // Each row's value spans several message groups' worth of bytes (1 MiB); multi-byte characters
    // come after a long ASCII run, and one value begins with U+FEFF.
    const docs = (tag: string) => [
      `repeat('${tag}', 1400000)`,
      `repeat('a', 700000) || repeat('é😀', 100000) || '${tag}'`,
      `chr(65279) || repeat('${tag}日本', 150000)`,
    ];
    await pgExec(
      `INSERT INTO ${table} VALUES ${docs("x")
        .map((doc, i) => `(${i + 1}, ${doc}, 0)`)
        .join(", ")}`,
    );
    jobs.push(table);
    await createCdcJob(table, table);
    await runJob(table);
    for (const [i, doc] of docs("y").entries())
      await pgExec(`UPDATE ${table} SET doc = ${doc}, n = 1 WHERE id = ${i + 1}`);
    expect(await runJob(table)).toMatchObject({ rows: 3, done: true });
    await expectReplicaEqualsSource("postgresql", table, table, ["id", "doc", "n"], "id");
    // Verify compares the stored hashes (computed here from pgoutput's texts) with the source's.
    const hashes = await replicaRows(table, ["id", "_starbase_row_hash"], "id");
    expect(hashes.every(([, hash]) => typeof hash === "number")).toBe(true);
    await expectVerified(table);
  });

  it("stores row hashes the source agrees with for types whose cast to text differs from what pgoutput sends", async () => {
    const table = cdcJobName("casts");
    tables.push(table);
    await pgExec(`CREATE DOMAIN ${table}_flag AS boolean`);
    // Dropped even when the test fails: the domain outlives the table otherwise.
    try {
      await pgExec(
        `CREATE TABLE ${table} (id bigint PRIMARY KEY, b boolean, c char(6), ip inet, net cidr, flag ${table}_flag, bs boolean[])`,
      );
      await pgExec(`INSERT INTO ${table} VALUES (1, true, 'ab', '1.2.3.4', '10.0.0.0/8', false, '{t,f}')`);
      jobs.push(table);
      await createCdcJob(table, table);
      await runJob(table);
      await pgExec(`INSERT INTO ${table} VALUES (2, false, 'abcdef', '::1', '10.1.0.0/16', true, '{f}')`);
      await pgExec(`UPDATE ${table} SET b = false, c = 'x ', ip = '1.2.3.4/24', flag = true WHERE id = 1`);
      expect(await runJob(table)).toMatchObject({ rows: 2, done: true });
      await expectReplicaEqualsSource("postgresql", table, table, ["id", "b", "c", "ip", "net", "flag", "bs"], "id");
      // Verify compares the hashes change capture computed with the source's `col::text` ones.
      await expectVerified(table);
    } finally {
      await pgExec(`DROP TABLE IF EXISTS ${table}`);
      await pgExec(`DROP DOMAIN IF EXISTS ${table}_flag`);
    }
  });

  it("applies each source transaction whole, in one SQLite transaction, however it is fetched", async () => {
    const job = await cdcJob("txn", 5);
    await runJob(job.name);
    await tuneCdc((t) => Object.assign(t, { groupBytes: 1, fetchBytes: 1 }));
    try {
      const client = await pgSession();
      try {
        await client.query("BEGIN");
        await client.query(`INSERT INTO ${job.name} VALUES (6, 'six', 6, now(), '{}'), (7, 'seven', 7, now(), '{}')`);
        await client.query(`UPDATE ${job.name} SET name = 'six again' WHERE id = 6`);
        await client.query(`DELETE FROM ${job.name} WHERE id = 1`);
        await client.query(`UPDATE ${job.name} SET id = 100 WHERE id = 2`);
        await client.query("COMMIT");
      } finally {
        await client.end();
      }
      // 6 changes (the key update is one), one message per fetch, one SQLite transaction.
      expect(await runJob(job.name)).toMatchObject({ rows: 5, pages: 1, done: true });
      await expectCopied(job.name);
    } finally {
      await tuneCdc((t) => Object.assign(t, defaultCdcTuning()));
    }
  });

  it("while a client reads, commits a backlog in slices, not in one transaction", async () => {
    const job = await cdcJob("reads", 10);
    await runJob(job.name);
    // 1,000 transactions of one update each, and slices of exactly 100 changes while someone reads.
    await pgExec(
      `DO $$ BEGIN FOR i IN 1..1000 LOOP UPDATE ${job.name} SET name = 'update ' || i WHERE id = i % 10 + 1; COMMIT; END LOOP; END $$`,
    );
    const slice = { rows: 100, bytes: 1024 * 1024, ms: Number.POSITIVE_INFINITY };
    await tuneReplication((s) => (s.bounds = { ...s.bounds, sliceWhileReading: slice }));
    try {
      expect((await sql(`SELECT count(*) AS n FROM ${job.name}`, [], CLIENT)).status).toBe(200);
      // Each SQLite transaction counts as a page of the run: at least 10 of 100 changes, where a run
      // with nobody reading writes the 1,000 in one.
      const run = await runJob(job.name);
      expect(run).toMatchObject({ rows: 1000, done: true });
      expect(run.pages).toBeGreaterThanOrEqual(10);
      await expectCopied(job.name);
    } finally {
      await tuneReplication((s) => (s.bounds = { ...s.bounds, sliceWhileReading: SLICE_WHILE_READING }));
    }
  });

  it("applies a transaction too large for one SQLite transaction in parts, resuming across runs without applying anything twice", async () => {
    const job = await cdcJob("large", 3);
    await runJob(job.name);
    await pgExec(`INSERT INTO ${job.name} SELECT g, 'big ' || g, g, now(), '{}' FROM generate_series(100, 122) g`);
    await tuneCdc((t) => Object.assign(t, { groupBytes: 1, fetchBytes: 1, maxTransactionChanges: 5, maxChanges: 10 }));
    try {
      const parts = [await runJob(job.name), await runJob(job.name), await runJob(job.name)];
      expect(parts.map((p) => [p.rows, p.done])).toEqual([
        [10, false],
        [10, false],
        [3, true],
      ]);
      await expectCopied(job.name);
    } finally {
      await tuneCdc((t) => Object.assign(t, defaultCdcTuning()));
    }
  });

  it("does not decode the WAL when the slot has confirmed everything flushed, and does once a change waits", async () => {
    const job = await cdcJob("idle", 3);
    await runJob(job.name);
    const { slot, publication } = job.status.cdc!;
    const cdc = { slot, publication, owns_publication: true, wal_warning_bytes: 1 };
    // How many times the peek function ran, as PostgreSQL's plan instrumentation counts it.
    const peeks = async (): Promise<number> => {
      const [row] = await pgExec(`EXPLAIN (ANALYZE, FORMAT JSON) ${peekSql(cdc, 1000, 1024)}`);
      return peekLoops((row!["QUERY PLAN"] as Array<{ Plan: PlanNode }>)[0]!.Plan);
    };
    // Other tests write WAL meanwhile: the slot is brought level with the flushed WAL right before asking.
    let idle = -1;
    for (let i = 0; i < 20 && idle !== 0; i++) {
      await pgExec(`SELECT pg_replication_slot_advance($1, pg_current_wal_flush_lsn())`, [slot]);
      idle = await peeks();
    }
    expect(idle).toBe(0);
    await pgExec(`INSERT INTO ${job.name} VALUES (4, 'four', 4, now(), '{}')`);
    expect(await peeks()).toBe(1);
    expect(await runJob(job.name)).toMatchObject({ rows: 1, done: true });
    await expectCopied(job.name);
  });

  it("applies deletes and TRUNCATE, also TRUNCATE followed by inserts in one transaction", async () => {
    const job = await cdcJob("deletes", 50);
    await runJob(job.name);
    await pgExec(`DELETE FROM ${job.name} WHERE id = 7`);
    await pgExec(`DELETE FROM ${job.name} WHERE id BETWEEN 20 AND 29`);
    expect(await runJob(job.name)).toMatchObject({ rows: 11 });
    await expectCopied(job.name);

    await pgExec(`BEGIN; TRUNCATE ${job.name}; INSERT INTO ${job.name} VALUES (1, 'after', 1, now(), '{}'); COMMIT`);
    expect(await runJob(job.name)).toMatchObject({ rows: 2 });
    await expectCopied(job.name);
    expect(await replicaRows(job.name, ["id", "name"], "id")).toEqual([[1, "after"]]);

    await pgExec(`TRUNCATE ${job.name}`);
    await runJob(job.name);
    expect(await replicaRows(job.name, ["id"], "id")).toEqual([]);
    await pgExec(`INSERT INTO ${job.name} VALUES (2, 'again', 2, now(), '{}')`);
    await pgExec(`DELETE FROM ${job.name}`);
    await runJob(job.name);
    expect(await replicaRows(job.name, ["id"], "id")).toEqual([]);
  });
  it("finds rows by composite keys of text, timestamp and 64-bit integer for updates, key changes and deletes", async () => {
    const table = cdcJobName("keys");
    tables.push(table);
    await pgExec(
      `CREATE TABLE ${table} (region text, at timestamptz(6), n bigint, note text, PRIMARY KEY (region, at, n))`,
    );
    const big = "9007199254740993"; // beyond 2^53: a JavaScript number cannot hold it
    await pgExec(
      `INSERT INTO ${table} VALUES
         ('zürich 🙂', '2024-01-01 00:00:00.000001+00', ${big}, 'a'),
         ('zürich 🙂', '2024-01-01 00:00:00.000002+00', ${big}, 'b'),
         ('a''b\\c', '1999-12-31 23:59:59.999999-08', -9223372036854775808, 'c'),
         ('', '2024-06-01 12:00:00+05:30', 0, 'd')`,
    );
    jobs.push(table);
    await createCdcJob(table, table);
    await runJob(table);
    await pgExec(
      `UPDATE ${table} SET note = 'a2' WHERE region = 'zürich 🙂' AND n = ${big} AND at < '2024-01-01 00:00:00.000002+00'`,
    );
    await pgExec(`UPDATE ${table} SET n = ${big} + 1, note = 'b2' WHERE note = 'b'`);
    await pgExec(`UPDATE ${table} SET region = 'x', at = at + interval '1 microsecond' WHERE note = 'c'`);
    await pgExec(`DELETE FROM ${table} WHERE note = 'd'`);
    await pgExec(`INSERT INTO ${table} VALUES ('', '2024-06-01 12:00:00+05:30', 1, 'e')`);
    expect(await runJob(table)).toMatchObject({ done: true });
    const columns = ["region", "at", "n", "note"];
    const expected = await sourceRows("postgresql", table, columns, "region, at, n");
    expect(expected.map((row) => row[3])).toEqual(["e", "c", "a2", "b2"]);
    await runInDurableObject(databaseStub(), (_instance, state) => {
      const described = columns.map((name) => ({
        name,
        sourceType: name,
        nullable: true,
        sqliteType: name === "n" ? ("INTEGER" as const) : ("TEXT" as const),
      }));
      expectStoredExactly(state.storage.sql, table, columns, described, expected, "region, at, n");
    });
    await expectVerified(table);
  });
});

describe("schema changes in the stream", () => {
  /** Manual runs until done (a re-copy may take a few); answers every run's schema changes. */
  async function runUntilCaughtUp(name: string): Promise<Array<{ column: string; change: string }>> {
    const changes: Array<{ column: string; change: string }> = [];
    for (let i = 0; i < 20; i++) {
      const run = await runJob(name);
      changes.push(
        ...((run as unknown as { schema_changes: Array<{ column: string; change: string }> }).schema_changes ?? []),
      );
      if (run.done) return changes;
    }
    throw new Error(`job ${name} not done after 20 runs`);
  }

  it("follows an added column with a default: the replica gets it, earlier rows get the default", async () => {
    const job = await cdcJob("addcol", 30);
    await runJob(job.name);
    await pgExec(`INSERT INTO ${job.name} VALUES (31, 'before', 1, now(), '{}')`);
    await pgExec(`ALTER TABLE ${job.name} ADD COLUMN region text NOT NULL DEFAULT 'eu'`);
    await pgExec(`INSERT INTO ${job.name} VALUES (32, 'after', 2, now(), '{}', 'us')`);
    await pgExec(`UPDATE ${job.name} SET region = 'apac' WHERE id = 5`);
    const changes = await runUntilCaughtUp(job.name);
    expect(changes).toEqual([expect.objectContaining({ column: "region", change: "added" })]);
    await expectCopied(job.name, [...COLUMNS, "region"]);
    const view = await getJob(job.name);
    expect(view.columns.map((c) => c.name)).toContain("region");
    const runs = await api<Array<{ schema_changes: unknown[] }>>("GET", `/replication/jobs/${job.name}/runs`);
    expect(runs.body.result!.some((r) => r.schema_changes.length === 1)).toBe(true);
    await expectVerified(job.name);
  });

  it("follows a dropped column, a retyped one, and a change in the middle of a transaction", async () => {
    const job = await cdcJob("dropcol", 20);
    await runJob(job.name);
    const client = await pgSession();
    try {
      await client.query("BEGIN");
      await client.query(`UPDATE ${job.name} SET name = 'in the transaction' WHERE id = 1`);
      await client.query(`ALTER TABLE ${job.name} DROP COLUMN amount, ALTER COLUMN name TYPE varchar(300)`);
      await client.query(`ALTER TABLE ${job.name} ALTER COLUMN tags TYPE text USING array_to_string(tags, ',')`);
      await client.query(`UPDATE ${job.name} SET name = 'after the change', tags = 'x,y' WHERE id = 2`);
      await client.query("COMMIT");
    } finally {
      await client.end();
    }
    await pgExec(`DELETE FROM ${job.name} WHERE id = 3`);
    const changes = await runUntilCaughtUp(job.name);
    expect(changes.map((c) => `${c.column} ${c.change}`).sort()).toEqual([
      "amount dropped",
      "name retyped",
      "tags retyped",
    ]);
    await expectCopied(job.name, ["id", "name", "at", "tags"]);
    // The dropped column stays in the replica (on_column_drop "keep"), its rows as they were.
    expect(await replicaRows(job.name, ["id", "amount"], "id")).toContainEqual([4, "5.00"]);
    await expectVerified(job.name);
  });
});

describe("schema changes no row change came after", () => {
  it("follows a column added with a default, from the catalog read with the peek", async () => {
    const job = await cdcJob("quietadd", 5);
    await runJob(job.name);
    await pgExec(`ALTER TABLE ${job.name} ADD COLUMN region text DEFAULT 'eu'`);
    const run = await runJob(job.name);
    expect(run).toMatchObject({ schema_changes: [expect.objectContaining({ column: "region", change: "added" })] });
    await runUntilDone(job.name);
    await expectCopied(job.name, [...COLUMNS, "region"]);
    await expectVerified(job.name);
  });

  it("settles on a table's generated columns, which pgoutput does not send: no re-copy on every run", async () => {
    const table = cdcJobName("generated");
    tables.push(table);
    await pgExec(`CREATE TABLE ${table} (id bigint PRIMARY KEY, n int, twice int GENERATED ALWAYS AS (n * 2) STORED)`);
    await pgExec(`INSERT INTO ${table} (id, n) SELECT g, g FROM generate_series(1, 4) g`);
    jobs.push(table);
    await createCdcJob(table, table);
    await runJob(table);
    const changes: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      await pgExec(`UPDATE ${table} SET n = n + 1 WHERE id = ${i + 1}`);
      const run = (await runUntilDone(table)).flatMap((r) => r.schema_changes);
      changes.push(...run);
    }
    // Noticed once, as a column the stream lacks; not added back by the catalog on every run.
    expect(changes.length).toBeLessThanOrEqual(1);
    await expectReplicaEqualsSource("postgresql", table, table, ["id", "n"], "id");
  });

  it("follows a change of a type's modifier alone (numeric to numeric(10,3))", async () => {
    const job = await cdcJob("typmod", 3);
    await runJob(job.name);
    await pgExec(`ALTER TABLE ${job.name} ALTER COLUMN amount TYPE numeric(10,3)`);
    await pgExec(`INSERT INTO ${job.name} VALUES (4, 'after', 2, now(), '{}')`);
    await runUntilDone(job.name);
    // Every row as the source prints it now: 1.250, not 1.25.
    await expectCopied(job.name);
    expect(await replicaRows(job.name, ["id", "amount"], "id")).toContainEqual([1, "1.250"]);
    await expectVerified(job.name);
  });

  it("follows a column added, a row written, then a column dropped: the re-copy reads what is left", async () => {
    const job = await cdcJob("addthendrop", 4);
    await runJob(job.name);
    await pgExec(`ALTER TABLE ${job.name} ADD COLUMN region text DEFAULT 'eu'`);
    await pgExec(`INSERT INTO ${job.name} VALUES (5, 'five', 5, now(), '{}', 'us')`);
    await pgExec(`ALTER TABLE ${job.name} DROP COLUMN amount`);
    const runs = await runUntilDone(job.name);
    expect(runs[runs.length - 1]).toMatchObject({ done: true });
    await expectCopied(job.name, ["id", "name", "at", "tags", "region"]);
    expect(await replicaRows(job.name, ["id", "region"], "id")).toEqual([
      [1, "eu"],
      [2, "eu"],
      [3, "eu"],
      [4, "eu"],
      [5, "us"],
    ]);
    await expectVerified(job.name);
  });
});

describe("failures and recovery", () => {
  it("a failure between the SQLite commit and the slot advance loses nothing and applies nothing twice", async () => {
    const job = await cdcJob("advance", 5);
    const slot = job.status.cdc!.slot;
    await runJob(job.name);
    const before = await slotConfirmedLsn(slot);
    await pgExec(`INSERT INTO ${job.name} SELECT g, 'new', g, now(), '{}' FROM generate_series(6, 10) g`);
    // The fault (the connection lost right after SQLite committed) cannot be timed from outside:
    // a hook inside the run closes the run's own connection just before the advance.
    await tuneCdc((t) => {
      t.beforeSlotAdvance = async (source) => {
        t.beforeSlotAdvance = undefined;
        await source.close();
      };
    });
    const failed = await api("POST", `/replication/jobs/${job.name}/run`);
    expect(failed.status).toBe(502);
    expect(failed.body.error).toMatch(/closed/);
    expect(await slotConfirmedLsn(slot)).toBe(before);
    expect((await replicaRows(job.name, ["id"], "id")).length).toBe(10);

    await pgExec(`INSERT INTO ${job.name} VALUES (11, 'eleven', 11, now(), '{}')`);
    await pgExec(`DELETE FROM ${job.name} WHERE id = 6`);
    // The five inserts come again from the slot and are passed over: only the two new changes count.
    expect(await runJob(job.name)).toMatchObject({ rows: 2, done: true });
    expect(await slotConfirmedLsn(slot)).not.toBe(before);
    await expectCopied(job.name);
    const view = await getJob(job.name);
    expect(view.status.rows_synced).toBe(5 + 5 + 2);
  });

  it("recreates a slot dropped behind its back and copies the table again, saying why in the run history", async () => {
    const job = await cdcJob("dropped", 40);
    const slot = job.status.cdc!.slot;
    await runJob(job.name);
    await pgExec(`SELECT pg_drop_replication_slot($1)`, [slot]);
    // Changes no slot records: only a new copy can bring them.
    await pgExec(`DELETE FROM ${job.name} WHERE id <= 10`);
    await pgExec(`UPDATE ${job.name} SET name = 'lost update' WHERE id = 20`);
    await pgExec(`INSERT INTO ${job.name} VALUES (41, 'forty-one', 41, now(), '{}')`);
    const recovered = await runJob(job.name);
    expect(recovered.done).toBe(true);
    expect(recovered.note).toMatch(new RegExp(`replication slot ${slot} no longer exists .*copied again`));
    expect(await slotExists(slot)).toBe(true);
    await expectCopied(job.name);
    expect((await runs(job.name))[0]!.note).toBe(recovered.note);

    await pgExec(`DELETE FROM ${job.name} WHERE id = 41`);
    expect(await runJob(job.name)).toMatchObject({ rows: 1, note: null });
    await expectCopied(job.name);
    await expectVerified(job.name);
  });

  it("recreates its own publication dropped behind its back, and says what to do about one it was given", async () => {
    const job = await cdcJob("droppub", 10);
    const { publication } = job.status.cdc!;
    await runJob(job.name);
    await pgExec(`DROP PUBLICATION "${publication}"`);
    await pgExec(`DELETE FROM ${job.name} WHERE id = 1`);
    const recovered = await runJob(job.name);
    expect(recovered.note).toMatch(new RegExp(`publication ${publication} no longer exists.*copied again`));
    expect(await publicationExists(publication)).toBe(true);
    await expectCopied(job.name);
    await pgExec(`UPDATE ${job.name} SET name = 'after' WHERE id = 2`);
    expect(await runJob(job.name)).toMatchObject({ rows: 1, note: null });
    await expectCopied(job.name);

    const given = cdcJobName("givenpub");
    tables.push(given);
    publications.push(`${given}_p`);
    await pgExec(`CREATE TABLE ${given} (id int PRIMARY KEY); CREATE PUBLICATION ${given}_p FOR TABLE ${given}`);
    jobs.push(given);
    await createCdcJob(given, given, { publication: `${given}_p` });
    await pgExec(`DROP PUBLICATION ${given}_p`);
    await pgExec(`INSERT INTO ${given} VALUES (1)`);
    const res = await api("POST", `/replication/jobs/${given}/run`);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(
      new RegExp(`publication ${given}_p, which this job was told to use, no longer exists: CREATE PUBLICATION`),
    );
    // Its slot is kept until the publication is back.
    expect(await slotExists((await getJob(given)).status.cdc!.slot)).toBe(true);
    // Back, it cannot serve what was written while it was gone: the slot is created again and the table copied.
    await pgExec(`CREATE PUBLICATION ${given}_p FOR TABLE ${given}`);
    await pgExec(`INSERT INTO ${given} VALUES (2)`);
    const back = await runJob(given);
    expect(back.note).toMatch(/cannot be read past the time publication \w+ was missing/);
    await expectReplicaEqualsSource("postgresql", given, given, ["id"], "id");
  });

  it("retries a slot another session is reading, with the job's backoff", async () => {
    const job = await cdcJob("inuse", 3);
    const slot = job.status.cdc!.slot;
    await runJob(job.name);
    // A walsender streaming from the slot holds it, as another consumer would.
    const { default: pg } = await import("pg");
    const holder = new pg.Client({ ...SOURCES.postgresql, replication: "database" } as never);
    holder.on("error", () => undefined);
    await holder.connect();
    holder
      .query(
        `START_REPLICATION SLOT ${slot} LOGICAL 0/0 (proto_version '1', publication_names '${job.status.cdc!.publication}')`,
      )
      .catch(() => undefined);
    try {
      for (
        let i = 0;
        i < 100 && !(await pgExec(`SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active`, [slot])).length;
        i++
      ) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const res = await api("POST", `/replication/jobs/${job.name}/run`);
      expect(res.status).toBe(502);
      expect(res.body.error).toMatch(new RegExp(`replication slot ${slot} is being read by another session.*backoff`));
      const status = (await getJob(job.name)).status;
      expect(status.consecutive_failures).toBe(1);
      expect(Date.parse(status.retry_at!)).toBeGreaterThan(Date.now());
    } finally {
      await pgExec(
        `SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active`,
        [slot],
      );
      await holder.end().catch(() => undefined);
    }
    for (
      let i = 0;
      i < 100 && (await pgExec(`SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active`, [slot])).length;
      i++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await pgExec(`INSERT INTO ${job.name} VALUES (4, 'four', 4, now(), '{}')`);
    expect(await runJob(job.name)).toMatchObject({ rows: 1, done: true });
    expect((await getJob(job.name)).status.consecutive_failures).toBe(0);
  });
});

describe("slot health, pausing and deleting", () => {
  it("warns past the job's retention threshold and while paused", async () => {
    const job = await cdcJob("retention", 3, { wal_warning_bytes: 1 });
    await pgExec(`INSERT INTO ${job.name} SELECT g, repeat('x', 100), g, now(), '{}' FROM generate_series(4, 200) g`);
    await runJob(job.name);
    const paused = await getJob(job.name);
    expect(paused.warnings).toEqual([
      expect.stringMatching(/^paused: replication slot \S+ keeps the source's WAL from being removed/),
      expect.stringMatching(/retains .* of WAL at the source, over wal_warning_bytes \(1 bytes\)/),
    ]);
    const patched = await api<JobView>("PATCH", `/replication/jobs/${job.name}`, {
      body: { wal_warning_bytes: 1024 ** 4, active: true },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.result!.warnings).toEqual([]);
    const zero = await api("PATCH", `/replication/jobs/${job.name}`, { body: { wal_warning_bytes: 0 } });
    expect(zero.status).toBe(400);
    const lookback = await api("PATCH", `/replication/jobs/${job.name}`, { body: { lookback_seconds: 60 } });
    expect(lookback.body.error).toMatch(/lookback_seconds applies to mode pull only/);
    // A new source is checked like a new job's: it must be able to serve change capture.
    const moved = await api("PATCH", `/replication/jobs/${job.name}`, { body: { source: { ...SOURCES.postgresql } } });
    expect(moved.status).toBe(200);
  });

  it("deleting the job drops its slot and publication", async () => {
    const job = await cdcJob("delete", 3);
    const { slot, publication } = job.status.cdc!;
    await runJob(job.name);
    const res = await api<{ deleted: string; dropped_table: boolean; cdc: unknown }>(
      "DELETE",
      `/replication/jobs/${job.name}?drop_table=true`,
    );
    expect(res.body.result).toEqual({
      deleted: job.name,
      dropped_table: true,
      cdc: { slot, slot_dropped: true, publication, publication_dropped: true },
    });
    expect(await slotExists(slot)).toBe(false);
    expect(await publicationExists(publication)).toBe(false);
    expect(await cronTask(job.name)).toBeUndefined();
  });

  it("deleting a job whose source is unreachable says what was left behind", async () => {
    const job = await cdcJob("unreachable", 3);
    const { slot, publication } = job.status.cdc!;
    // The source moves away after the job was created.
    await runInDurableObject(databaseStub(), (_instance, state) => {
      state.storage.sql.exec(
        `UPDATE tmp_replication_jobs SET settings = json_set(settings, '$.source.port', 1) WHERE name = ?`,
        job.name,
      );
    });
    const res = await api<{ cdc: { slot_dropped: boolean; left_behind: string } }>(
      "DELETE",
      `/replication/jobs/${job.name}?drop_table=true`,
    );
    expect(res.status).toBe(200);
    expect(res.body.result!.cdc).toMatchObject({ slot_dropped: false, publication_dropped: false });
    expect(res.body.result!.cdc.left_behind).toContain(`SELECT pg_drop_replication_slot('${slot}');`);
    expect(res.body.result!.cdc.left_behind).toContain(`DROP PUBLICATION IF EXISTS "${publication}";`);
    expect((await api("GET", `/replication/jobs/${job.name}`)).status).toBe(404);
    expect(await slotExists(slot)).toBe(true);
    await pgExec(`SELECT pg_drop_replication_slot($1)`, [slot]);
    await pgExec(`DROP PUBLICATION "${publication}"`);
  });
});

it("names tables uniquely per run (guard for the helpers above)", () => {
  expect(uniqueName("a")).not.toBe(uniqueName("a"));
});
