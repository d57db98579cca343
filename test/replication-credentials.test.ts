/**
 * Stored state is neither readable nor trusted: passwords are sealed at rest,
 * and a job row changed outside the API fails its run before anything reaches
 * the source.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReplicationEngine } from "../plugins/replication/engine/engine";
import type { JobScheduler } from "../plugins/replication/engine/host";
import type { JobView } from "../plugins/replication";
import { openSource } from "../src/sources";
import { api, sql, uniqueName } from "./helpers";
import { jobBody, JobTracker, runJob, waitForFirstRun } from "./support/replication-api";
import { PG, pgExec } from "./support/sources";

const FIELD_PASSWORD = "Field-Secret-pw-4417";
const URL_PASSWORD = "Url-Secret-pw-8823";
const tracker = new JobTracker();
const source = uniqueName("cred_src");
const probe = uniqueName("cred_probe");

beforeAll(async () => {
  await pgExec(`CREATE TABLE ${source} (id bigint PRIMARY KEY, note text, updated_at timestamptz(6) NOT NULL)`);
  await pgExec(`INSERT INTO ${source} SELECT g, 'n' || g, now() FROM generate_series(1, 3) g`);
  await pgExec(`CREATE TABLE ${probe} (hit int)`);
});

afterAll(async () => {
  await tracker.cleanup();
  await pgExec(`DROP TABLE IF EXISTS ${source}, ${probe}`);
});

/** Every value of every table the admin can read, as text. */
async function everyStoredValue(): Promise<string> {
  const tables = await sql<Array<{ name: string }>>(
    "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'",
  );
  const dump: unknown[] = [];
  for (const { name } of tables.body.result!) dump.push((await sql(`SELECT * FROM "${name}"`)).body.result);
  return JSON.stringify(dump);
}

describe("credentials at rest", () => {
  let fieldsJob: JobView;
  let urlJob: JobView;

  beforeAll(async () => {
    fieldsJob = await tracker.create(
      jobBody("cred", { dialect: "postgresql", ...PG, password: FIELD_PASSWORD }, source),
    );
    urlJob = await tracker.create(
      jobBody(
        "cred",
        { dialect: "postgresql", url: `postgres://postgres:${URL_PASSWORD}@127.0.0.1:${PG.port}/test` },
        source,
      ),
    );
    await waitForFirstRun(fieldsJob.name);
    await waitForFirstRun(urlJob.name);
  });

  it("no table holds a password in clear text", async () => {
    const everything = await everyStoredValue();
    expect(everything).toContain(fieldsJob.name); // the dump does reach the jobs table
    expect(everything).not.toContain(FIELD_PASSWORD);
    expect(everything).not.toContain(URL_PASSWORD);
  });

  it("shows the key the secret is sealed with, never the secret", async () => {
    for (const job of [fieldsJob, urlJob]) {
      expect(job.credentials).toEqual({ encrypted: true, key_id: expect.stringMatching(/^[0-9a-f]{8}$/) });
      expect(JSON.stringify(job)).not.toMatch(/Secret-pw/);
    }
    expect(urlJob.source).toMatchObject({ url: `postgres://postgres:***@127.0.0.1:${PG.port}/test` });
  });

  it("opens the sealed settings for a run", async () => {
    expect((await runJob(fieldsJob.name)).done).toBe(true);
    expect((await runJob(urlJob.name)).done).toBe(true);
  });

  it("keeps a password changed by PATCH sealed too", async () => {
    const res = await api<JobView>("PATCH", `/replication/jobs/${fieldsJob.name}`, {
      body: { source: { dialect: "postgresql", ...PG, password: "Patched-Secret-pw-55" } },
    });
    expect(res.status).toBe(200);
    expect(await everyStoredValue()).not.toContain("Patched-Secret-pw-55");
    expect((await runJob(fieldsJob.name)).done).toBe(true);
  });
});

/**
 * Engines built in a Durable Object of their own, with a host whose bindings the
 * test chooses: a deployment without a key, or one rotating its key. The
 * scheduler records and does nothing; it is not what these tests are about.
 */
function engineIn(object: string, bindings: Record<string, string>) {
  const stub = env.DATABASE_DURABLE_OBJECT.get(env.DATABASE_DURABLE_OBJECT.idFromName(object));
  const scheduler: JobScheduler = { schedule() {}, unschedule() {}, runSoon() {}, nextRunAt: () => null };
  return <T>(work: (engine: ReplicationEngine) => Promise<T>) =>
    runInDurableObject(stub, async (_instance, state) => {
      const engine = new ReplicationEngine({
        sql: state.storage.sql,
        transaction: (w) => state.storage.transactionSync(w),
        binding: (name) => bindings[name],
        open: openSource,
        scheduler,
      });
      await engine.start();
      return work(engine);
    });
}

const OLD_KEY = "old-key-old-key-old-key-old-key-0001";
const NEW_KEY = "new-key-new-key-new-key-new-key-0002";

describe("the encryption key", () => {
  it("is required for an inline password: 400 naming the secret, nothing stored", async () => {
    const inEngine = engineIn(uniqueName("nokey"), {});
    const body = jobBody("nokey", { dialect: "postgresql", ...PG, password: FIELD_PASSWORD }, source);
    await inEngine(async (engine) => {
      await expect(engine.rpc.createJob(body)).rejects.toThrow(/REPLICATION_ENCRYPTION_KEY/);
      expect(await engine.rpc.listJobs(null)).toEqual([]);
    });
  });

  it("is not needed for a source without a secret", async () => {
    const inEngine = engineIn(uniqueName("nokey"), {});
    const body = jobBody("nokey", { dialect: "postgresql", ...PG, password: "" }, source, { active: false });
    await inEngine(async (engine) => {
      const job = (await engine.rpc.createJob(body)) as JobView;
      expect(job.credentials).toBeNull();
    });
  });

  it("rotates: the previous key still opens, and start re-seals under the new one", async () => {
    const object = uniqueName("rotate");
    const body = jobBody("rotate", { dialect: "postgresql", ...PG, password: FIELD_PASSWORD }, source, {
      active: false,
    });
    const before = await engineIn(object, { REPLICATION_ENCRYPTION_KEY: OLD_KEY })(
      async (engine) => (await engine.rpc.createJob(body)) as JobView,
    );
    const after = await engineIn(object, {
      REPLICATION_ENCRYPTION_KEY: NEW_KEY,
      REPLICATION_ENCRYPTION_KEY_PREVIOUS: OLD_KEY,
    })(async (engine) => {
      const job = (await engine.rpc.getJob(body.name)) as JobView;
      const run = (await engine.rpc.runJob(body.name)) as { done: boolean };
      return { job, run };
    });
    expect(after.job.credentials!.key_id).not.toBe(before.credentials!.key_id);
    expect(after.run.done).toBe(true);
    // Once re-sealed, the old key is no longer needed.
    const withNewOnly = await engineIn(object, { REPLICATION_ENCRYPTION_KEY: NEW_KEY })(
      async (engine) => (await engine.rpc.runJob(body.name)) as { done: boolean },
    );
    expect(withNewOnly.done).toBe(true);
  });

  it("a sealed secret without its key fails the run naming both secrets", async () => {
    const object = uniqueName("lost");
    const body = jobBody("lost", { dialect: "postgresql", ...PG, password: FIELD_PASSWORD }, source, { active: false });
    await engineIn(object, { REPLICATION_ENCRYPTION_KEY: OLD_KEY })(
      (engine) => engine.rpc.createJob(body) as Promise<unknown>,
    );
    await engineIn(object, { REPLICATION_ENCRYPTION_KEY: NEW_KEY })(async (engine) => {
      await expect(engine.rpc.runJob(body.name)).rejects.toThrow(
        /sealed with key [0-9a-f]{8}, and neither REPLICATION_ENCRYPTION_KEY nor REPLICATION_ENCRYPTION_KEY_PREVIOUS/,
      );
    });
  });
});

describe("a stored job changed outside the API", () => {
  let job: string;

  beforeAll(async () => {
    const body = jobBody("hostile", { dialect: "postgresql", ...PG }, source, { active: false });
    job = body.name as string;
    await tracker.create(body);
  });

  const hostile: Array<[string, string, unknown[]]> = [
    [
      "a column type that would end the cast",
      `UPDATE tmp_replication_jobs SET columns = json_set(columns, '$[2].sourceType', ?) WHERE name = ?`,
      [`timestamptz) IS NOT NULL; INSERT INTO PROBE VALUES (1); SELECT (1`],
    ],
    [
      "a tracking column that is not an identifier",
      `UPDATE tmp_replication_jobs SET settings = json_set(settings, '$.tracking_col', ?) WHERE name = ?`,
      [`updated_at" FROM x; INSERT INTO PROBE VALUES (2); --`],
    ],
    [
      "a table name that is not an identifier",
      `UPDATE tmp_replication_jobs SET settings = json_set(settings, '$.table_name', ?) WHERE name = ?`,
      [`t; INSERT INTO PROBE VALUES (3)`],
    ],
    [
      "a batch size beyond its limit",
      `UPDATE tmp_replication_jobs SET settings = json_set(settings, '$.batch_size', ?) WHERE name = ?`,
      [1e9],
    ],
    ["settings that are not JSON", `UPDATE tmp_replication_jobs SET settings = ? WHERE name = ?`, ["{not json"]],
    ["a row hash formula that is not one", `UPDATE tmp_replication_jobs SET row_hash = ? WHERE name = ?`, ["sha1"]],
    [
      "a row hash formula PostgreSQL does not compute",
      `UPDATE tmp_replication_jobs SET row_hash = ? WHERE name = ?`,
      ["crc32"],
    ],
  ];

  it.each(hostile)("%s: the run fails clearly and nothing runs at the source", async (_label, update, values) => {
    const original = await sql<Array<{ settings: string; columns: string; row_hash: string }>>(
      "SELECT settings, columns, row_hash FROM tmp_replication_jobs WHERE name = ?",
      [job],
    );
    const edit = await sql(update.replaceAll("PROBE", probe), [
      ...values.map((v) => (typeof v === "string" ? v.replaceAll("PROBE", probe) : v)),
      job,
    ]);
    expect(edit.body.error).toBeUndefined();
    try {
      const res = await api("POST", `/replication/jobs/${job}/run`);
      expect(res.status).toBe(500);
      expect(res.body.error).toMatch(
        new RegExp(`stored job ${job} is invalid \\(.+\\): it was changed outside the API`),
      );
      const runs = await api<Array<{ error: string | null }>>("GET", `/replication/jobs/${job}/runs`);
      expect(runs.body.result![0]!.error).toMatch(/is invalid/);
      expect(await pgExec(`SELECT count(*)::int AS n FROM ${probe}`)).toEqual([{ n: 0 }]);
    } finally {
      const row = original.body.result![0]!;
      await sql("UPDATE tmp_replication_jobs SET settings = ?, columns = ?, row_hash = ? WHERE name = ?", [
        row.settings,
        row.columns,
        row.row_hash,
        job,
      ]);
    }
  });

  it("runs again once the row is whole", async () => {
    expect((await runJob(job)).done).toBe(true);
  });
});
