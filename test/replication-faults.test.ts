import { abortAllDurableObjects, evictDurableObject, SELF } from "cloudflare:test";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { ADMIN, CLIENT, api, sql, uniqueName } from "./helpers";
import {
  closeKeptConnections,
  createTimestampJob,
  databaseStub,
  deleteJob,
  expectReplicaEqualsSource,
  getJob,
  proxiedSource,
  proxy,
  proxyConnections,
  replicaRows,
  runJob,
  runUntilDone,
  sourceRows,
  tuneReplication,
  type Dialect,
} from "./support/replication";
import { createItemsTable, dropTable, exec } from "./support/tables";
import { DEFAULT_SLICE, READING_WINDOW_MS, SLICE_WHILE_READING } from "../plugins/replication/pull/slices";

const COLUMNS = ["id", "val", "amount", "updated_at"];
const created: Array<[Dialect, string]> = [];

afterAll(async () => {
  for (const [dialect, table] of created) {
    await deleteJob(table);
    await dropTable(dialect, table);
  }
});

/** A table of `rows` rows, one microsecond apart, and a paused job reading it through the fault proxy. */
/** Starts a manual run through HTTP; resolves with its status, or "aborted" when the object is aborted under it. */
function runThatMayBeAborted(table: string): Promise<number | "aborted"> {
  return SELF.fetch(`http://example.com/replication/jobs/${table}/run`, {
    method: "POST",
    headers: { Authorization: `Bearer ${ADMIN}` },
  }).then(
    (r) => r.status,
    () => "aborted" as const,
  );
}

async function proxiedJob(dialect: Dialect, rows: number, extra: Record<string, unknown> = {}) {
  const table = uniqueName(`fault_${dialect === "postgresql" ? "pg" : "my"}`);
  created.push([dialect, table]);
  await createItemsTable(dialect, table);
  if (dialect === "postgresql") {
    await exec(
      dialect,
      `INSERT INTO ${table} SELECT g, repeat('x', 40) || g, g, '2024-01-01'::timestamptz + g * interval '1 microsecond' FROM generate_series(1, ${rows}) g`,
    );
  } else {
    await exec(
      dialect,
      `SET SESSION max_recursive_iterations = 10000000; INSERT INTO ${table} WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < ${rows}) SELECT g, CONCAT(REPEAT('x', 40), g), g, TIMESTAMPADD(MICROSECOND, g, '2024-01-01 00:00:00') FROM s`,
    );
  }
  await createTimestampJob(dialect, table, {
    source: proxiedSource(dialect),
    ...extra,
  });
  return table;
}

/**
 * The replica holds exactly the source rows up to the saved progress: nothing beyond it, nothing
 * missing before it. During a first copy (in key order, here also the tracking order) that is the
 * rows it has copied, and the cursor stands at its watermark, past them all; after it, the cursor.
 */
async function expectReplicaMatchesCursor(table: string) {
  const job = await getJob(table);
  const replica = (await replicaRows(table, ["id"], "id")).map((r) => Number(r[0]));
  expect(job.status.rows_synced).toBe(replica.length);
  const recopy = job.status.recopy;
  const lastId = recopy?.first_copy
    ? recopy.rows_copied
    : job.status.cursor === null
      ? 0
      : Number(job.status.cursor.key![0]);
  if (recopy?.first_copy) expect(job.status.cursor).toMatchObject({ key: null });
  expect(replica).toEqual(Array.from({ length: lastId }, (_, i) => i + 1));
  return replica.length;
}

async function failingRun(table: string) {
  const res = await api<unknown>("POST", `/replication/jobs/${table}/run`);
  expect(res.status).toBe(502);
  expect(res.body.error).toBeTruthy();
  return res.body.error!;
}

afterEach(async () => {
  await proxy("postgresql", "up");
  await proxy("mysql", "up");
  // Each test counts and breaks connections through the proxy: none is left kept from the one before.
  await closeKeptConnections();
});

describe.each<Dialect>(["postgresql", "mysql"])("%s faults", (dialect) => {
  it("fails cleanly while the source is down, backs off, and converges once it is back", async () => {
    const table = await proxiedJob(dialect, 300);
    await proxy(dialect, "down");
    const error = await failingRun(table);
    // Resuming puts the job back on its yearly schedule without running it: it shows as failing.
    expect((await api("POST", `/replication/jobs/${table}/resume`)).status).toBe(200);
    const failed = await getJob(table);
    expect(failed.status).toMatchObject({
      state: "failing",
      consecutive_failures: 1,
      rows_synced: 0,
      cursor: null,
      last_error: error,
    });
    expect(Date.parse(failed.status.retry_at!)).toBeGreaterThan(Date.now());
    const runs = await api<Array<{ error: string | null; done: boolean }>>("GET", `/replication/jobs/${table}/runs`);
    expect(runs.body.result![0]).toMatchObject({ error, done: false });

    await failingRun(table);
    expect((await getJob(table)).status.consecutive_failures).toBe(2);

    await proxy(dialect, "up");
    expect((await runJob(table)).done).toBe(true);
    expect((await getJob(table)).status).toMatchObject({
      state: "idle",
      consecutive_failures: 0,
      last_error: null,
      retry_at: null,
    });
    await expectReplicaEqualsSource(dialect, table, table, COLUMNS, "id");
  });

  // A first copy reads in key order (pull/first-copy.ts); a job without a watermark, in the cursor's.
  it.each([
    ["a first copy in key order", {}],
    ["a copy in the cursor's order", { late_commits: "lookback" }],
  ])(
    "loses nothing when the connection is cut mid-run, and never leaves the cursor ahead of the data: %s",
    async (_order, settings) => {
      const table = await proxiedJob(dialect, 3000, { batch_size: 100, ...settings });
      await proxy(dialect, "cut?after=40000");
      await failingRun(table);
      expect((await getJob(table)).status.recopy?.first_copy ?? false).toBe(!("late_commits" in settings));
      const kept = await expectReplicaMatchesCursor(table);
      expect(kept).toBeGreaterThan(0);
      expect(kept).toBeLessThan(3000);

      await proxy(dialect, "up");
      await runUntilDone(table);
      await expectReplicaEqualsSource(dialect, table, table, COLUMNS, "id");
    },
  );

  it("times out when the source stops answering mid-run, and the next run converges", async () => {
    const table = await proxiedJob(dialect, 3000, { batch_size: 100 });
    await tuneReplication((s) => (s.sourceOptions = { ...s.sourceOptions, statementTimeoutMs: 700 }));
    try {
      await proxy(dialect, "stall?after=40000");
      const started = Date.now();
      expect(await failingRun(table)).toMatch(/time|timed out|timeout/i);
      expect(Date.now() - started).toBeLessThan(10_000);
      await expectReplicaMatchesCursor(table);
    } finally {
      await tuneReplication((s) => (s.sourceOptions = { ...s.sourceOptions, statementTimeoutMs: 30_000 }));
    }
    await proxy(dialect, "up");
    await runUntilDone(table);
    await expectReplicaEqualsSource(dialect, table, table, COLUMNS, "id");
  });
});

describe("the connection a job keeps between runs", () => {
  /** Waits (up to 2 s) until the proxy carries `count` connections to PostgreSQL. */
  async function untilProxied(count: number): Promise<number> {
    for (let i = 0; i < 100 && (await proxyConnections("postgresql")) !== count; i++)
      await new Promise((r) => setTimeout(r, 20));
    return proxyConnections("postgresql");
  }

  it("serves the job's next runs, and is closed when the job is paused or deleted", async () => {
    const table = await proxiedJob("postgresql", 10);
    expect((await runJob(table)).rows).toBe(10);
    expect(await untilProxied(1)).toBe(1);
    await exec("postgresql", `UPDATE ${table} SET updated_at = updated_at + interval '1 day' WHERE id = 3`);
    expect((await runJob(table)).rows).toBe(1);
    expect(await untilProxied(1)).toBe(1);

    expect((await api("POST", `/replication/jobs/${table}/pause`)).status).toBe(200);
    expect(await untilProxied(0)).toBe(0);
    expect((await runJob(table)).rows).toBe(0);
    expect(await untilProxied(1)).toBe(1);
    await deleteJob(table);
    expect(await untilProxied(0)).toBe(0);
  });
});

describe("concurrent changes", () => {
  it("keeps a pause made while a PATCH was still checking its new source", async () => {
    const table = await proxiedJob("postgresql", 10);
    expect((await api("POST", `/replication/jobs/${table}/resume`)).status).toBe(200);
    await proxy("postgresql", "hold");
    const patching = api("PATCH", `/replication/jobs/${table}`, {
      body: { source: proxiedSource("postgresql"), batch_size: 7 },
    });
    // Wait until the PATCH holds a connection to the held source; the pause lands meanwhile.
    for (let i = 0; i < 200 && (await proxyConnections("postgresql")) === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(await proxyConnections("postgresql")).toBe(1);
    expect((await api("POST", `/replication/jobs/${table}/pause`)).status).toBe(200);
    await proxy("postgresql", "up");
    expect((await patching).status).toBe(200);
    const job = await getJob(table);
    expect(job).toMatchObject({ active: false, batch_size: 7 });
    expect(job.status.state).toBe("paused");
    const tasks = await api<Array<{ name: string; enabled: boolean }>>("GET", "/cron/tasks");
    expect(tasks.body.result!.find((t) => t.name === `replication:${table}`)?.enabled).toBe(false);
  });
});

describe("restarts", () => {
  it("resumes from the last committed page after the object restarts between runs", async () => {
    const table = await proxiedJob("postgresql", 5000, { batch_size: 250 });
    // Whole pages of batch_size from the first (no probe page: pull/row-sizes.ts), after the pull's
    // page from the first copy's watermark on, which holds no row.
    await tuneReplication((s) => (s.bounds = { ...s.bounds, maxRows: 1000, firstPageRows: 10_000 }));
    const first = await runJob(table);
    expect(first).toMatchObject({ rows: 1000, pages: 5, done: false });

    await evictDurableObject(databaseStub());
    expect((await getJob(table)).status).toMatchObject({ rows_synced: 1000, cursor: first.cursor, state: "paused" });
    // A fresh object has default bounds: the rest comes in one run, with nothing read twice.
    const second = await runJob(table);
    expect(second).toMatchObject({ rows: 4000, done: true });
    await expectReplicaEqualsSource("postgresql", table, table, COLUMNS, "id");
  });

  it("resumes after the object is aborted in the middle of a run", async () => {
    const table = await proxiedJob("postgresql", 20_000, { batch_size: 50 });
    const inFlight = runThatMayBeAborted(table);
    for (let i = 0; i < 200 && (await getJob(table)).status.rows_synced < 1000; i++)
      await new Promise((r) => setTimeout(r, 10));
    // Graceful eviction waits for the run to finish; an abort is the crash a deploy or a limit causes.
    await abortAllDurableObjects();
    expect(await inFlight).not.toBe(200);

    const afterRestart = await getJob(table);
    expect(afterRestart.status.state).not.toBe("running");
    const kept = await expectReplicaMatchesCursor(table);
    expect(kept).toBeGreaterThanOrEqual(1000);
    expect(kept).toBeLessThan(20_000);
    const runs = await api<Array<{ error: string | null; ended_at: string | null }>>(
      "GET",
      `/replication/jobs/${table}/runs`,
    );
    expect(runs.body.result![0]!.error).toMatch(/interrupted/);

    await runUntilDone(table);
    await expectReplicaEqualsSource("postgresql", table, table, COLUMNS, "id");
  });
});

describe("pages written in slices", () => {
  it.each([
    ["a first copy in key order", {}, 1],
    ["a copy in the cursor's order", { late_commits: "lookback" }, 0],
  ])(
    "commits each slice with its cursor, so a crash between slices keeps every committed row and loses none: %s",
    async (_order, settings, pullPages) => {
      const table = await proxiedJob("postgresql", 20_000, { batch_size: 2000, ...settings });
      // No time bound: slices of exactly 100 rows however long they take.
      const slice = { rows: 100, bytes: 1024 * 1024, ms: Number.POSITIVE_INFINITY };
      await tuneReplication((s) => (s.bounds = { ...s.bounds, slice, sliceWhileReading: slice }));
      const inFlight = runThatMayBeAborted(table);
      let seen = 0;
      for (let i = 0; i < 200 && seen < 300; i++) {
        seen = (await getJob(table)).status.rows_synced;
        if (seen < 300) await new Promise((r) => setTimeout(r, 10));
      }
      await abortAllDurableObjects();
      expect(await inFlight).not.toBe(200);
      // Progress is visible, and reads are served, in the middle of the first 2,000-row page.
      expect(seen).toBeGreaterThanOrEqual(300);
      expect(seen).toBeLessThan(2000);

      // The replica holds exactly the rows up to the saved cursor, a whole number of slices.
      expect((await getJob(table)).status.recopy?.first_copy ?? false).toBe(pullPages === 1);
      const kept = await expectReplicaMatchesCursor(table);
      expect(kept % 100).toBe(0);
      expect(kept).toBeLessThan(20_000);

      // A fresh object has the default slices again; a run still counts pages, not slices: during a first
      // copy, the pull's page from its watermark on (no row); then a probe page of 100 rows (the fresh
      // object does not know the rows' size yet, pull/row-sizes.ts), then 2,000-row pages.
      const rest = await runJob(table);
      const left = 20_000 - kept;
      expect(rest).toMatchObject({ rows: left, done: true });
      expect(rest.pages).toBe(pullPages + 1 + Math.ceil((left - 100) / 2000) + ((left - 100) % 2000 === 0 ? 1 : 0));
      await expectReplicaEqualsSource("postgresql", table, table, COLUMNS, "id");
    },
  );
});

describe("a re-copy written in slices", () => {
  it("commits each slice with the re-copy's position, so a crash mid-page keeps what it copied", async () => {
    const table = await proxiedJob("postgresql", 20_000, { batch_size: 2000 });
    await runUntilDone(table);
    await exec("postgresql", `ALTER TABLE ${table} ADD COLUMN extra integer NOT NULL DEFAULT 7`);
    const slice = { rows: 100, bytes: 1024 * 1024, ms: Number.POSITIVE_INFINITY };
    await tuneReplication((s) => (s.bounds = { ...s.bounds, slice, sliceWhileReading: slice }));
    const inFlight = runThatMayBeAborted(table);
    let copied = 0;
    for (let i = 0; i < 300 && copied < 300; i++) {
      copied = (await getJob(table)).status.recopy?.rows_copied ?? 0;
      if (copied < 300) await new Promise((r) => setTimeout(r, 10));
    }
    await abortAllDurableObjects();
    expect(await inFlight).not.toBe(200);
    // Progress shows in the middle of the re-copy's first 2,000-row page.
    expect(copied).toBeGreaterThanOrEqual(300);
    expect(copied).toBeLessThan(2000);

    // What was committed stays: whole slices, each row with the new column's value.
    const kept = (await getJob(table)).status.recopy!.rows_copied;
    expect(kept).toBeGreaterThanOrEqual(copied);
    expect(kept % 100).toBe(0);
    const filled = await sql(`SELECT count(*) AS n, max(id) AS last FROM ${table} WHERE extra = 7`);
    expect(filled.body.result).toEqual([{ n: kept, last: kept }]);

    await runUntilDone(table);
    await expectReplicaEqualsSource("postgresql", table, table, [...COLUMNS, "extra"], "id");
  });
});

describe("slices while someone reads", () => {
  /** The run's progress as seen mid-run, with a client's /query between looks when `reading`. */
  async function progressSeen(table: string, reading: boolean): Promise<number[]> {
    const run = runJob(table);
    const seen: number[] = [];
    for (let i = 0; i < 400 && seen.length < 60; i++) {
      if (reading) expect((await sql("SELECT 1 AS one", [], CLIENT)).status).toBe(200);
      const rows = (await getJob(table)).status.rows_synced;
      if (rows > 0 && rows < 10_000) seen.push(rows);
      await new Promise((r) => setTimeout(r, 2));
    }
    await run;
    return seen;
  }

  it("writes smaller slices while a client reads, and the configured ones otherwise", async () => {
    await tuneReplication(
      (s) =>
        (s.bounds = {
          ...s.bounds,
          slice: { rows: 1000, bytes: 1024 * 1024, ms: Number.POSITIVE_INFINITY },
          sliceWhileReading: { rows: 100, bytes: 1024 * 1024, ms: Number.POSITIVE_INFINITY },
          // Whole 5,000-row pages from the first (no probe page: pull/row-sizes.ts).
          firstPageRows: 10_000,
        }),
    );
    const alone = await proxiedJob("postgresql", 10_000, { batch_size: 5000 });
    const read = await proxiedJob("postgresql", 10_000, { batch_size: 5000 });
    // Progress moves by whole slices: by 1,000 rows with nobody reading, by 100 while a client reads.
    // The checks of earlier tests read through /query too: nobody has read once the window has passed.
    await new Promise((r) => setTimeout(r, READING_WINDOW_MS + 100));
    const withoutReader = await progressSeen(alone, false);
    expect(withoutReader.length).toBeGreaterThan(0);
    expect(withoutReader.every((rows) => rows % 1000 === 0)).toBe(true);
    const withReader = await progressSeen(read, true);
    expect(withReader.some((rows) => rows % 1000 !== 0)).toBe(true);
    expect(withReader.every((rows) => rows % 100 === 0)).toBe(true);
    await expectReplicaEqualsSource("postgresql", read, read, COLUMNS, "id");
  });

  it("shrinks the slices that take longer than the slice time bound, and still copies every row", async () => {
    // A bound no slice can meet: after a slice that took a millisecond or more, the next has one row.
    const slice = { rows: 500, bytes: 1024 * 1024, ms: 0 };
    await tuneReplication((s) => (s.bounds = { ...s.bounds, slice, sliceWhileReading: slice, firstPageRows: 10_000 }));
    try {
      const table = await proxiedJob("postgresql", 3000, { batch_size: 3000 });
      const seen = await progressSeen(table, false);
      expect(seen.some((rows) => rows % 500 !== 0)).toBe(true);
      await expectReplicaEqualsSource("postgresql", table, table, COLUMNS, "id");
    } finally {
      await tuneReplication(
        (s) => (s.bounds = { ...s.bounds, slice: DEFAULT_SLICE, sliceWhileReading: SLICE_WHILE_READING }),
      );
    }
  });
});

describe("scheduled runs", () => {
  it("completes a 200,000-row backfill on its own through cron follow-up runs", async () => {
    await tuneReplication((s) => (s.bounds = { ...s.bounds, maxRows: 25_000 }));
    // Creating an active job asks cron for a run at once; each run that stops at its bounds asks for
    // a follow-up. The yearly schedule never fires: those runs alone must copy the whole table.
    const table = await proxiedJob("postgresql", 200_000, { batch_size: 5000, cron_tab: "0 0 1 1 *", active: true });
    const reachedEnd = (j: Awaited<ReturnType<typeof getJob>>) => Number(j.status.cursor?.key?.[0]) === 200_000;
    let job = await getJob(table);
    for (let i = 0; i < 600 && !reachedEnd(job); i++) {
      await new Promise((r) => setTimeout(r, 100));
      job = await getJob(table);
    }
    await api("POST", `/replication/jobs/${table}/pause`);
    expect(reachedEnd(job)).toBe(true);
    // A run re-reads the lookback window before its cursor, so rows_synced only grows.
    expect(job.status.rows_synced).toBeGreaterThanOrEqual(200_000);
    const runs = await api<Array<{ trigger: string; rows: number }>>("GET", `/replication/jobs/${table}/runs`);
    expect(runs.body.result!.filter((r) => r.trigger === "cron" && r.rows > 0).length).toBeGreaterThanOrEqual(8);
    const [source, replica] = await Promise.all([
      sourceRows("postgresql", table, ["id", "updated_at"], "id"),
      replicaRows(table, ["id", "updated_at"], "id"),
    ]);
    expect(replica).toEqual(source);
  }, 90_000);

  it("keeps running healthy jobs while another one fails, and backs the failing one off", async () => {
    const healthy = await proxiedJob("mysql", 500, { cron_tab: "* * * * * *", active: true });
    // Created paused (its source must answer the create's check), and only resumed once that source is down:
    // an active job would start copying at once, before the failure.
    const failing = await proxiedJob("postgresql", 500, { cron_tab: "* * * * * *" });
    await proxy("postgresql", "down");
    expect((await api("POST", `/replication/jobs/${failing}/resume`)).status).toBe(200);
    let h = await getJob(healthy);
    for (let i = 0; i < 50 && h.status.rows_synced < 500; i++) {
      await new Promise((r) => setTimeout(r, 100));
      h = await getJob(healthy);
    }
    await new Promise((r) => setTimeout(r, 2500));
    const f = await getJob(failing);
    await api("POST", `/replication/jobs/${healthy}/pause`);
    await api("POST", `/replication/jobs/${failing}/pause`);
    // rows_synced also counts rows re-read by later ticks' lookback: check the replica itself.
    expect(h.status).toMatchObject({ consecutive_failures: 0, last_error: null });
    expect((await replicaRows(healthy, ["id"], "id")).length).toBe(500);
    expect(f.status.state).toBe("failing");
    // Ticked every second for ~3 s, but the 10 s backoff let only one attempt through.
    expect(f.status.consecutive_failures).toBe(1);
    expect(f.status.last_error).toBeTruthy();
    const tasks = await api<Array<{ name: string; last_error: string | null }>>("GET", "/cron/tasks");
    expect(tasks.body.result!.find((t) => t.name === `replication:${failing}`)?.last_error).toBeTruthy();
  }, 30_000);
});
