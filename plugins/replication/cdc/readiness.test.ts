import { describe, expect, it } from "vitest";
import { withSource } from "../../../src/sources";
import { pgExec } from "../../../test/support/sources";
import { type CdcFacts, cdcProblems, readCdcFacts } from "./readiness";

const ready: CdcFacts = {
  walLevel: "logical",
  serverEncoding: "UTF8",
  user: "app",
  mayReplicate: true,
  maxSlots: 10,
  usedSlots: 2,
  replicaIdentity: "d",
  tableOid: 16384,
};
const request = { table: "public.orders", primaryKey: ["id"] };

describe("cdcProblems", () => {
  it("finds none on a ready source", () => {
    expect(cdcProblems(ready, request)).toEqual([]);
    expect(cdcProblems({ ...ready, replicaIdentity: "f" }, request)).toEqual([]);
  });

  it.each<[string, Partial<CdcFacts>, Partial<typeof request>, RegExp]>([
    [
      "wal_level replica",
      { walLevel: "replica" },
      {},
      /wal_level is replica.*ALTER SYSTEM SET wal_level = logical.*restart/,
    ],
    [
      "no REPLICATION attribute",
      { mayReplicate: false },
      {},
      /role app may not create replication slots: .*ALTER ROLE app WITH REPLICATION/,
    ],
    ["no free slot", { usedSlots: 10 }, {}, /every replication slot is in use \(max_replication_slots = 10\)/],
    ["a LATIN1 database", { serverEncoding: "LATIN1" }, {}, /encoding is LATIN1/],
    [
      "no primary key",
      {},
      { primaryKey: [] },
      /public\.orders has no primary key.*ALTER TABLE public\.orders ADD PRIMARY KEY/,
    ],
    ["REPLICA IDENTITY NOTHING", { replicaIdentity: "n" }, {}, /REPLICA IDENTITY NOTHING.*REPLICA IDENTITY DEFAULT/],
    ["REPLICA IDENTITY USING INDEX", { replicaIdentity: "i" }, {}, /REPLICA IDENTITY USING INDEX/],
  ])("says what to do about %s", (_label, facts, req, message) => {
    const problems = cdcProblems({ ...ready, ...facts }, { ...request, ...req });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it("reports every problem at once", () => {
    expect(
      cdcProblems({ ...ready, walLevel: "minimal", mayReplicate: false }, { ...request, primaryKey: [] }),
    ).toHaveLength(3);
  });

  it("checks a publication the user names", () => {
    const publishes = { insert: true, update: true, delete: true, truncate: true };
    const named = { ...request, publication: "pub" };
    expect(cdcProblems({ ...ready, publication: { exists: true, hasTable: true, publishes } }, named)).toEqual([]);
    expect(cdcProblems({ ...ready, publication: { exists: false, hasTable: false, publishes } }, named)).toEqual([
      expect.stringMatching(/publication pub does not exist: CREATE PUBLICATION pub FOR TABLE public\.orders/),
    ]);
    expect(cdcProblems({ ...ready, publication: { exists: true, hasTable: false, publishes } }, named)).toEqual([
      expect.stringMatching(/ALTER PUBLICATION pub ADD TABLE public\.orders/),
    ]);
    const noDeletes = { ...publishes, delete: false, truncate: false };
    expect(
      cdcProblems({ ...ready, publication: { exists: true, hasTable: true, publishes: noDeletes } }, named),
    ).toEqual([expect.stringMatching(/does not publish delete, truncate/)]);
  });
});

describe("readCdcFacts on the real PostgreSQL", () => {
  it("reads wal_level, the role's right to replicate, slots and the table's identity", async () => {
    const table = `cdct_facts_${crypto.randomUUID().slice(0, 8)}`;
    await pgExec(`CREATE TABLE ${table} (id int PRIMARY KEY)`);
    try {
      const facts = await withSource(
        { dialect: "postgresql", host: "127.0.0.1", port: 5432, user: "postgres", database: "test" },
        (source) => readCdcFacts(source, "public", table, "no_such_publication"),
      );
      expect(facts).toMatchObject({
        walLevel: "logical",
        serverEncoding: "UTF8",
        user: "postgres",
        mayReplicate: true,
        replicaIdentity: "d",
        publication: { exists: false, hasTable: false },
      });
      expect(facts.maxSlots).toBeGreaterThan(0);
      expect(facts.tableOid).toBeGreaterThan(0);
    } finally {
      await pgExec(`DROP TABLE ${table}`);
    }
  });
});
