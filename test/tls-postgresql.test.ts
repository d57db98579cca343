/**
 * PostgreSQL over TLS from inside workerd, through the REST API, against the shared server
 * with TLS switched on for this file (test/support/tls-servers.ts). The test workerd trusts
 * the "public" CA and not the "private" one; both sign a certificate for `localhost` only.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobView, RunRecord } from "../plugins/replication";
import { api, sql, uniqueName } from "./helpers";
import { expectNothingStored, getJob, jobBody, JobTracker, runJob } from "./support/replication-api";
import { closeKeptConnections } from "./support/replication";
import { pgExec } from "./support/sources";
import { postgresTls, restorePostgresTls } from "./support/tls";

const table = uniqueName("tls_pg");
/** The rows, and how the server sees the session reading them (pg_stat_ssl): a replica shows whether its job's session was encrypted. */
const view = `${table}_seen`;
const tracker = new JobTracker();

const direct = (over: Record<string, unknown> = {}) => ({
  dialect: "postgresql",
  host: "localhost",
  port: 5432,
  user: "postgres",
  password: "",
  database: "test",
  ssl: "verify-full",
  ...over,
});
/** A job on the view, created paused (runs are started by the test). */
const body = (source: Record<string, unknown>) =>
  jobBody("tls_pg", source, view, { primary_key: ["id"], active: false });

async function createFails(source: Record<string, unknown>): Promise<string> {
  const request = body(source);
  const res = await api("POST", "/replication/jobs", { body: request });
  expect(res.status).toBe(400);
  await expectNothingStored(request);
  return res.body.error!;
}

/** The replica's view of its job's sessions: one row per distinct (encrypted, TLS version). */
async function sessionsSeen(
  job: JobView,
): Promise<Array<{ n: number; encrypted: number; tls_version: string | null }>> {
  const res = await sql<Array<{ n: number; encrypted: number; tls_version: string | null }>>(
    `SELECT count(*) AS n, encrypted, tls_version FROM "${job.target_table}" GROUP BY encrypted, tls_version`,
  );
  expect(res.body.error).toBeUndefined();
  return res.body.result!;
}

beforeAll(async () => {
  await pgExec(`CREATE TABLE ${table} (id int PRIMARY KEY, val text, updated_at timestamptz NOT NULL)`);
  await pgExec(`INSERT INTO ${table} SELECT g, 'v' || g, now() FROM generate_series(1, 3) g`);
  await pgExec(
    `CREATE VIEW ${view} AS SELECT t.id, t.val, t.updated_at, s.ssl AS encrypted, s.version AS tls_version
       FROM ${table} t CROSS JOIN pg_stat_ssl s WHERE s.pid = pg_backend_pid()`,
  );
  await postgresTls("public");
}, 90_000);

afterAll(async () => {
  await restorePostgresTls();
  await tracker.cleanup();
  await pgExec(`DROP VIEW IF EXISTS ${view}; DROP TABLE IF EXISTS ${table}`);
});

describe("PostgreSQL over TLS", () => {
  let verified: JobView;

  it.each(["verify-full", "require"])("ssl %s on localhost copies every row over an encrypted session", async (ssl) => {
    const job = await tracker.create(body(direct({ ssl })));
    expect((await runJob(job.name)).rows).toBe(3);
    expect(await sessionsSeen(job)).toEqual([
      { n: 3, encrypted: 1, tls_version: expect.stringMatching(/^TLSv1\.[23]$/) },
    ]);
    if (ssl === "verify-full") verified = job;
  });

  it("ssl off still connects in plain text while the server offers TLS", async () => {
    const job = await tracker.create(body(direct({ ssl: "off" })));
    expect((await runJob(job.name)).rows).toBe(3);
    expect(await sessionsSeen(job)).toEqual([{ n: 3, encrypted: 0, tls_version: null }]);
  });

  it.each(["verify-full", "require"])(
    "ssl %s to a host name the certificate does not list: 400 naming the host, nothing stored",
    async (ssl) => {
      const error = await createFails(direct({ host: "127.0.0.1", ssl }));
      expect(error).toMatch(/^source check failed: could not connect to PostgreSQL at 127\.0\.0\.1:5432\/test: /);
      expect(error).toMatch(/\(1\) the server's certificate does not name the host "127\.0\.0\.1"/);
    },
  );

  describe("with a certificate from a CA the runtime does not trust", () => {
    beforeAll(() => postgresTls("private"), 30_000);

    it("a create answers 400 naming the CA and Hyperdrive, and stores nothing", async () => {
      const error = await createFails(direct());
      expect(error).toMatch(/\(1\) the certificate is signed by a CA the Workers runtime does not trust.*Hyperdrive/);
    });

    it("a job that ran before fails its run with the same explanation, in the run and the job status", async () => {
      // The connection its last run left would still serve: the certificate is met on a new one.
      await closeKeptConnections();
      const res = await api("POST", `/replication/jobs/${verified.name}/run`);
      expect(res.status).toBe(502);
      expect(res.body.error).toMatch(/could not connect to PostgreSQL.*CA the Workers runtime does not trust/);
      const job = await getJob(verified.name);
      expect(job.status).toMatchObject({ last_error: res.body.error, consecutive_failures: 1 });
      const runs = await api<RunRecord[]>("GET", `/replication/jobs/${verified.name}/runs`);
      expect(runs.body.result![0]!.error).toBe(res.body.error);
    });

    it("a job through Hyperdrive, which verifies the private CA, copies every row over TLS", async () => {
      const job = await tracker.create(
        body({ dialect: "postgresql", hyperdrive: "REPLICATION_TEST_HYPERDRIVE_PRIVATE_CA" }),
      );
      expect(job.source).toEqual({ dialect: "postgresql", hyperdrive: "REPLICATION_TEST_HYPERDRIVE_PRIVATE_CA" });
      expect((await runJob(job.name)).rows).toBe(3);
      // Hyperdrive's own leg to the origin is the encrypted one.
      expect(await sessionsSeen(job)).toEqual([
        { n: 3, encrypted: 1, tls_version: expect.stringMatching(/^TLSv1\.[23]$/) },
      ]);
    });
  });

  it("a plain Hyperdrive binding (pooling, no TLS to the origin) copies every row", async () => {
    const job = await tracker.create(body({ dialect: "postgresql", hyperdrive: "REPLICATION_TEST_HYPERDRIVE" }));
    expect((await runJob(job.name)).rows).toBe(3);
    expect(await sessionsSeen(job)).toEqual([{ n: 3, encrypted: 0, tls_version: null }]);
  });

  it("a server without TLS: 400 saying so, nothing stored", async () => {
    await postgresTls("off");
    const error = await createFails(direct());
    expect(error).toMatch(/PostgreSQL at localhost:5432\/test: the server does not accept TLS connections/);
  });
});
