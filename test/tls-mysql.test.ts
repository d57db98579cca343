/**
 * MySQL/MariaDB over TLS from inside workerd, through the REST API, against a MariaDB of this
 * test run that refuses plain connections (`require_secure_transport`, test/support/tls-servers.ts).
 * The test workerd trusts the "public" CA and not the "private" one; both sign a certificate
 * for `localhost` only.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobView, RunRecord } from "../plugins/replication";
import { withSource } from "../src/sources";
import type { SourceConfig } from "../src/sources/types";
import { api, sql, uniqueName } from "./helpers";
import { expectNothingStored, getJob, jobBody, JobTracker, runJob } from "./support/replication-api";
import { closeKeptConnections } from "./support/replication";
import { MYSQL } from "./support/sources";
import { mariadbServes, tlsMariadb } from "./support/tls";

const table = uniqueName("tls_my");
/** The rows, and the cipher and protocol of the session reading them: a replica shows how its job's session was encrypted. */
const view = `${table}_seen`;
const tracker = new JobTracker();
let server: Awaited<ReturnType<typeof tlsMariadb>>;

const direct = (over: Record<string, unknown> = {}) => ({ ...server, ...over });
/** A job on the view, created paused (runs are started by the test). */
const body = (source: Record<string, unknown>) =>
  jobBody("tls_my", source, view, { primary_key: ["id"], active: false });

async function createFails(source: Record<string, unknown>): Promise<string> {
  const request = body(source);
  const res = await api("POST", "/replication/jobs", { body: request });
  expect(res.status).toBe(400);
  await expectNothingStored(request);
  return res.body.error!;
}

/** The replica's view of its job's sessions: one row per distinct (cipher, TLS version). */
async function sessionsSeen(job: JobView): Promise<Array<{ n: number; cipher: string; tls_version: string }>> {
  const res = await sql<Array<{ n: number; cipher: string; tls_version: string }>>(
    `SELECT count(*) AS n, cipher, tls_version FROM "${job.target_table}" GROUP BY cipher, tls_version`,
  );
  expect(res.body.error).toBeUndefined();
  return res.body.result!;
}

const status = (name: string) =>
  `(SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = '${name}')`;

beforeAll(async () => {
  server = await tlsMariadb();
  // Arranged through the connector itself, over TLS: the server takes nothing else.
  await withSource(server as SourceConfig, async (source) => {
    await source.query(`CREATE TABLE ${table} (id int PRIMARY KEY, val varchar(20), updated_at datetime(6) NOT NULL)`);
    await source.query(`INSERT INTO ${table} VALUES (1, 'v1', NOW(6)), (2, 'v2', NOW(6)), (3, 'v3', NOW(6))`);
    await source.query(
      `CREATE VIEW ${view} AS SELECT id, val, updated_at, ${status("Ssl_cipher")} AS cipher, ${status("Ssl_version")} AS tls_version FROM ${table}`,
    );
  });
}, 60_000);

afterAll(() => tracker.cleanup());

describe("MySQL over TLS", () => {
  let verified: JobView;

  it.each(["verify-full", "require"])("ssl %s on localhost copies every row over an encrypted session", async (ssl) => {
    const job = await tracker.create(body(direct({ ssl })));
    expect((await runJob(job.name)).rows).toBe(3);
    expect(await sessionsSeen(job)).toEqual([
      { n: 3, cipher: expect.stringMatching(/\w/), tls_version: expect.stringMatching(/^TLSv1\.[23]$/) },
    ]);
    if (ssl === "verify-full") verified = job;
  });

  it("ssl off is refused by a server that requires TLS: 400, nothing stored", async () => {
    const error = await createFails(direct({ ssl: "off" }));
    expect(error).toMatch(/^source check failed: could not connect to MySQL at localhost:\d+\/test: /);
  });

  it.each(["verify-full", "require"])(
    "ssl %s to a host name the certificate does not list: 400 naming the host, nothing stored",
    async (ssl) => {
      const error = await createFails(direct({ host: "127.0.0.1", ssl }));
      expect(error).toMatch(/^source check failed: could not connect to MySQL at 127\.0\.0\.1:\d+\/test: /);
      expect(error).toMatch(/\(1\) the server's certificate does not name the host "127\.0\.0\.1"/);
    },
  );

  describe("with a certificate from a CA the runtime does not trust", () => {
    beforeAll(() => mariadbServes("private"));
    afterAll(() => mariadbServes("public"));

    it("a create answers 400 naming the CA and Hyperdrive, and stores nothing", async () => {
      const error = await createFails(direct());
      expect(error).toMatch(/\(1\) the certificate is signed by a CA the Workers runtime does not trust.*Hyperdrive/);
    });

    it("a job that ran before fails its run with the same explanation, in the run and the job status", async () => {
      // The connection its last run left would still serve: the certificate is met on a new one.
      await closeKeptConnections();
      const res = await api("POST", `/replication/jobs/${verified.name}/run`);
      expect(res.status).toBe(502);
      expect(res.body.error).toMatch(/could not connect to MySQL.*CA the Workers runtime does not trust/);
      const job = await getJob(verified.name);
      expect(job.status).toMatchObject({ last_error: res.body.error, consecutive_failures: 1 });
      const runs = await api<RunRecord[]>("GET", `/replication/jobs/${verified.name}/runs`);
      expect(runs.body.result![0]!.error).toBe(res.body.error);
    });
  });

  it("a server without TLS: 400 saying so, nothing stored", async () => {
    // The shared MariaDB on 3306 has no TLS (have_ssl DISABLED).
    const error = await createFails({ dialect: "mysql", ...MYSQL, host: "localhost", ssl: "verify-full" });
    expect(error).toMatch(/MySQL at localhost:3306\/test: the server does not accept TLS connections/);
  });
});
