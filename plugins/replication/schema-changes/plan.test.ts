import { describe, expect, it } from "vitest";
import type { SourceColumn, SqliteType } from "../../../src/sources/types";
import type { ExistingColumn } from "../replica/table";
import { type ColumnCheck, followedColumns, planColumnChanges, planRecopy, schemaWarnings } from "./plan";
import { recopyAfterPage } from "./recopy";
import type { Recopy } from "./state";

const col = (name: string, sourceType: string, sqliteType: SqliteType = "TEXT", nullable = true): SourceColumn => ({
  name,
  sourceType,
  sqliteType,
  nullable,
});
const ID = col("id", "bigint", "INTEGER", false);
const VAL = col("val", "text");
const MID = col("mid", "integer", "INTEGER");
const AT = col("updated_at", "timestamp with time zone", "TEXT", false);
const JOB = [ID, VAL, MID, AT];
const replicaOf = (columns: readonly SourceColumn[], extra: ExistingColumn[] = []): ExistingColumn[] => [
  ...columns.map((c) => ({ name: c.name, type: c.sqliteType, pk: c.name === "id" ? 1 : 0 })),
  ...extra,
];

function check(over: Partial<ColumnCheck>): ColumnCheck {
  return {
    dialect: "postgresql",
    table: "public.items",
    columns: JOB,
    source: JOB,
    primaryKey: ["id"],
    trackingCol: "updated_at",
    onDrop: "keep",
    replica: replicaOf(JOB),
    kept: [],
    ...over,
  };
}

describe("planColumnChanges", () => {
  it("changes nothing when the source matches", () => {
    expect(planColumnChanges(check({}))).toEqual({
      changes: [],
      columns: JOB,
      replica: [],
      recopy: null,
      kept: [],
      overLimit: [],
    });
  });

  it("adds a new column to the replica and the job, and re-copies it", () => {
    const added = col("region", "text", "TEXT", false);
    const plan = planColumnChanges(check({ source: [ID, VAL, added, MID, AT] }));
    expect(plan).toMatchObject({
      changes: [{ column: "region", change: "added", from: null, to: "text" }],
      columns: [...JOB, added],
      replica: [{ op: "add", column: added }],
      recopy: ["region"],
    });
  });

  it("keeps a column dropped in the middle of the list, and re-copies rows for the new column list", () => {
    const plan = planColumnChanges(check({ source: [ID, VAL, AT] }));
    expect(plan).toMatchObject({
      changes: [{ column: "mid", change: "dropped", from: "integer", to: null }],
      columns: [ID, VAL, AT],
      replica: [],
      recopy: [],
      kept: ["mid"],
    });
  });

  it('drops the replica column too with on_column_drop "drop"', () => {
    const plan = planColumnChanges(check({ source: [ID, VAL, AT], onDrop: "drop" }));
    expect(plan).toMatchObject({ replica: [{ op: "drop", name: "mid" }], kept: [] });
  });

  it("carries on through a type change that keeps every value, recording it", () => {
    const wider = col("mid", "bigint", "INTEGER");
    const plan = planColumnChanges(check({ source: [ID, VAL, wider, AT] }));
    expect(plan).toEqual({
      changes: [{ column: "mid", change: "retyped", from: "integer", to: "bigint" }],
      columns: [ID, VAL, wider, AT],
      replica: [],
      recopy: null,
      kept: [],
      overLimit: [],
    });
  });

  it("re-copies a retyped column whose values change, even under the same SQLite type (text to jsonb)", () => {
    const json = col("val", "jsonb");
    const plan = planColumnChanges(check({ source: [ID, json, MID, AT] }));
    expect(plan).toMatchObject({
      changes: [{ column: "val", change: "retyped", from: "text", to: "jsonb" }],
      replica: [],
      recopy: ["val"],
    });
  });

  it("gives a column whose SQLite type changed a new replica column", () => {
    const numeric = col("mid", "numeric(10,2)", "TEXT");
    const plan = planColumnChanges(check({ source: [ID, VAL, numeric, AT] }));
    expect(plan).toMatchObject({ replica: [{ op: "retype", column: numeric }], recopy: ["mid"] });
  });

  it("sees a renamed column as a drop and an add", () => {
    const renamed = col("middle", "integer", "INTEGER");
    const plan = planColumnChanges(check({ source: [ID, VAL, renamed, AT] }));
    expect(plan.changes).toEqual([
      { column: "mid", change: "dropped", from: "integer", to: null },
      { column: "middle", change: "added", from: null, to: "integer" },
    ]);
    expect(plan).toMatchObject({ columns: [ID, VAL, AT, renamed], kept: ["mid"], recopy: ["middle"] });
  });

  it("reuses a kept replica column when the source adds it back, and it is kept no more", () => {
    const plan = planColumnChanges(
      check({ columns: [ID, VAL, AT], source: JOB, kept: ["mid"], replica: replicaOf(JOB) }),
    );
    expect(plan).toMatchObject({ replica: [], kept: [], recopy: ["mid"], columns: [ID, VAL, AT, MID] });
  });

  it("re-creates a kept replica column whose type no longer fits", () => {
    const text = col("mid", "text");
    const plan = planColumnChanges(
      check({ columns: [ID, VAL, AT], source: [ID, VAL, text, AT], kept: ["mid"], replica: replicaOf(JOB) }),
    );
    expect(plan.replica).toEqual([{ op: "retype", column: text }]);
  });

  it("plans no DDL and no kept columns before the replica exists", () => {
    const added = col("region", "text");
    const plan = planColumnChanges(check({ source: [ID, VAL, AT, added], replica: null }));
    expect(plan).toMatchObject({ replica: [], kept: [], columns: [ID, VAL, AT, added] });
  });

  it("leaves out added columns beyond 100 replica columns, with their names", () => {
    const wide = Array.from({ length: 96 }, (_, i) => ({ name: `c${i}`, type: "TEXT", pk: 0 }));
    const [a, b] = [col("a", "text"), col("b", "text")];
    const plan = planColumnChanges(check({ source: [...JOB, a, b], replica: replicaOf(JOB, wide) }));
    expect(plan.overLimit).toEqual(["a", "b"]);
    expect(plan.changes).toEqual([]);
    const roomForOne = planColumnChanges(check({ source: [...JOB, a, b], replica: replicaOf(JOB, wide.slice(1)) }));
    expect(roomForOne).toMatchObject({ overLimit: ["b"], replica: [{ op: "add", column: a }] });
  });

  it.each([
    ["the tracking column is dropped", [ID, VAL, MID], /"updated_at", the tracking column of this job, is gone/],
    ["the key is dropped", [VAL, MID, AT], /"id", a primary key column of this job, is gone/],
    [
      "the tracking column changes its values' type",
      [ID, VAL, MID, col("updated_at", "timestamp without time zone", "TEXT", false)],
      /"updated_at", the tracking column of this job, changed type .* from timestamp with time zone to timestamp without time zone/,
    ],
    ["the key becomes text", [col("id", "text"), VAL, MID, AT], /"id", a primary key column .* from bigint to text/],
  ])("fails naming the column when %s", (_label, source, message) => {
    expect(() => planColumnChanges(check({ source }))).toThrow(message);
  });

  it("follows a key widened from integer to bigint", () => {
    const narrow = col("id", "integer", "INTEGER", false);
    const plan = planColumnChanges(check({ columns: [narrow, VAL, AT], source: [ID, VAL, AT] }));
    expect(plan).toMatchObject({ columns: [ID, VAL, AT], recopy: null, replica: [] });
  });
});

describe("followedColumns", () => {
  const extra = col("extra", "text");
  it("follows every source column for an all-columns job", () => {
    expect(followedColumns("all", [ID, AT], [ID, extra, AT], "t")).toEqual({
      selection: "all",
      followed: [ID, extra, AT],
      ignored: [],
    });
  });

  it("ignores new columns of a subset job, listing them", () => {
    expect(followedColumns("subset", [ID, AT], [ID, extra, AT], "t")).toEqual({
      selection: "subset",
      followed: [ID, AT],
      ignored: ["extra"],
    });
  });

  it("fails naming a chosen column the source dropped", () => {
    expect(() => followedColumns("subset", [ID, VAL, AT], [ID, AT], "public.t")).toThrow(
      "column \"val\", chosen in this job's columns, is gone from the source table public.t (dropped or renamed): PATCH the job's columns without it",
    );
  });

  it.each([
    ["the same columns", [ID, AT], "all"],
    ["fewer columns (some dropped)", [ID], "all"],
    ["more columns", [ID, extra, AT], "subset"],
  ] as const)("resolves a job stored before selections with %s as %s", (_label, source, selection) => {
    expect(followedColumns(undefined, [ID, AT], source, "t").selection).toBe(selection);
  });
});

describe("schemaWarnings", () => {
  it("names kept columns, ignored ones and those over the limit", () => {
    const warnings = schemaWarnings({ kept: ["mid"], ignored: ["a", "b"], overLimit: ["z"] }, "public.t");
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toMatch(/keeps column "mid", which this job no longer copies/);
    expect(warnings[1]).toMatch(/public.t has columns this job does not copy .*: a, b/);
    expect(warnings[2]).toMatch(/column "z" was added at the source but not to the replica: .* at most 100 columns/);
  });
});

describe("planRecopy", () => {
  const running: Recopy = { columns: ["a"], after: { tracking: 50, key: [] }, rows: 50, started_at: 1 };
  const all = ["id", "a", "b"];
  it.each<[string, Recopy | null, string[] | null, string[], Recopy | null]>([
    ["nothing to copy", null, null, all, null],
    ["nothing new during a re-copy", running, null, all, running],
    ["a first change", null, ["a"], all, { columns: ["a"], after: null, rows: 0, started_at: 9 }],
    ["a drop only", null, [], all, { columns: [], after: null, rows: 0, started_at: 9 }],
    ["a change during a re-copy", running, ["b"], all, { columns: ["a", "b"], after: null, rows: 0, started_at: 1 }],
    ["its column dropped during a re-copy", running, [], ["id"], { columns: [], after: null, rows: 0, started_at: 1 }],
    [
      "a change during a first copy: it starts over, still below its watermark",
      { ...running, columns: [], first: { below: "W", largest: { tracking: "T", key: [50] } } },
      ["b"],
      all,
      { columns: ["b"], after: null, rows: 0, started_at: 1, first: { below: "W", largest: null } },
    ],
  ])("%s", (_label, current, columns, copied, expected) => {
    expect(planRecopy(current, columns, copied, 9)).toEqual(expected);
  });
});

describe("recopyAfterPage", () => {
  const start: Recopy = { columns: ["a"], after: null, rows: 0, started_at: 1 };
  it("moves past the page's last key, and ends after a page that was not full", () => {
    const next = recopyAfterPage(
      start,
      [
        [1, "x", 5],
        [2, "y", 7],
      ],
      [0, 2],
      true,
    );
    expect(next).toEqual({ ...start, after: { tracking: 2, key: [7] }, rows: 2 });
    expect(recopyAfterPage(next!, [[3, "z", 1]], [0, 2], false)).toBeNull();
  });
});
