import { describe, expect, it } from "vitest";
import { builtinPgType } from "../../../src/sources/pg-types";
import type { SourceColumn } from "../../../src/sources/types";
import { type PgOutputMessage, type RelationMessage, UNCHANGED } from "./pgoutput";
import { type ApplyOp, ChangePlanner, type ReplicaShape } from "./plan";
import type { TransactionPart } from "./transactions";

const columns: SourceColumn[] = [
  { name: "id", sourceType: "bigint", nullable: false, sqliteType: "INTEGER" },
  { name: "doc", sourceType: "text", nullable: true, sqliteType: "TEXT" },
  { name: "at", sourceType: "timestamp with time zone", nullable: true, sqliteType: "TEXT" },
];
const shape: ReplicaShape = {
  tableOid: 7,
  schema: "public",
  table: "t",
  columns,
  primaryKey: ["id"],
  known: [
    { name: "id", type_oid: 20 },
    { name: "doc", type_oid: 25 },
    { name: "at", type_oid: 1184 },
    { name: "extra", type_oid: 23 },
  ],
  rowHash: false,
};
const relation: RelationMessage = {
  type: "relation",
  oid: 7,
  namespace: "public",
  name: "t",
  replicaIdentity: "d",
  // `extra` is at the source and not replicated: the replica takes its columns by name.
  columns: [
    { name: "id", typeOid: 20, typmod: -1, key: true },
    { name: "extra", typeOid: 23, typmod: -1, key: false },
    { name: "doc", typeOid: 25, typmod: -1, key: false },
    { name: "at", typeOid: 1184, typmod: -1, key: false },
  ],
};

const typeOf = (oid: number) => builtinPgType(oid) ?? oid;
const part = (...changes: PgOutputMessage[]): TransactionPart => ({
  commitLsn: 1n,
  endLsn: 2n,
  offset: 0,
  changes: changes as TransactionPart["changes"],
  dataChanges: changes.filter((c) => c.type !== "relation").length,
  bytes: 0,
});
const insert = (id: string, doc: string | null, at = "2024-01-01 10:00:00+00"): PgOutputMessage => ({
  type: "insert",
  relation: 7,
  values: [id, "1", doc, at],
});

function plan(...changes: PgOutputMessage[]): { ops: ApplyOp[]; changes: number } {
  const ops: ApplyOp[] = [];
  const count = new ChangePlanner(shape, typeOf).plan(part(relation, ...changes), ops);
  return { ops, changes: count };
}

describe("ChangePlanner", () => {
  it("maps values like the pull mode, in replica column order, and merges runs of like writes", () => {
    expect(plan(insert("1", "a"), insert("9007199254740993", null))).toEqual({
      changes: 2,
      ops: [
        {
          op: "upsert",
          present: null,
          rows: [
            [1, "a", "2024-01-01T10:00:00.000000Z"],
            ["9007199254740993", null, "2024-01-01T10:00:00.000000Z"],
          ],
          texts: null,
        },
      ],
    });
  });

  it("keeps the order of different writes", () => {
    const { ops } = plan(
      insert("1", "a"),
      { type: "delete", relation: 7, old: ["1", null, null, null] },
      { type: "delete", relation: 7, old: ["2", null, null, null] },
      insert("1", "b"),
      { type: "truncate", relations: [3, 7] },
    );
    expect(ops.map((o) => o.op)).toEqual(["upsert", "delete", "upsert", "truncate"]);
    expect(ops[1]).toEqual({ op: "delete", keys: [[1], [2]] });
  });

  it("an update leaving a TOASTed value unchanged writes the other columns only", () => {
    const { ops } = plan({
      type: "update",
      relation: 7,
      old: null,
      values: ["1", "2", UNCHANGED, "2024-01-02 00:00:00+00"],
    });
    expect(ops).toEqual([
      { op: "upsert", present: [true, false, true], rows: [[1, null, "2024-01-02T00:00:00.000000Z"]], texts: null },
    ]);
  });

  it("an update of the key deletes the old key, or moves the row when a value was not sent", () => {
    const full = plan({ type: "update", relation: 7, old: ["1", null, null, null], values: ["2", "5", "d", null] });
    expect(full.ops.map((o) => o.op)).toEqual(["delete", "upsert"]);
    expect(full.ops[0]).toEqual({ op: "delete", keys: [[1]] });
    const toast = plan({
      type: "update",
      relation: 7,
      old: ["1", null, null, null],
      values: ["2", "5", UNCHANGED, null],
    });
    expect(toast.ops.slice(0, 1)).toEqual([{ op: "move", from: [1], to: [2] }]);
    // REPLICA IDENTITY FULL sends the whole old row even when the key stays: no delete then.
    const same = plan({ type: "update", relation: 7, old: ["1", "5", "d", null], values: ["1", "5", "e", null] });
    expect(same.ops.map((o) => o.op)).toEqual(["upsert"]);
  });

  it("ignores other tables of a shared publication", () => {
    expect(plan({ type: "insert", relation: 8, values: ["1"] }, { type: "truncate", relations: [8] })).toEqual({
      ops: [],
      changes: 0,
    });
  });

  it("hands on pgoutput's texts for the row hash when the replica keeps one, none for a row missing a value", () => {
    const planner = new ChangePlanner({ ...shape, rowHash: true }, typeOf);
    const ops: ApplyOp[] = [];
    planner.plan(
      part(relation, insert("1", "a"), { type: "update", relation: 7, old: null, values: ["1", "2", UNCHANGED, null] }),
      ops,
    );
    // The texts of the replicated columns, in replica order: what `col::text` prints at the source.
    expect(ops[0]).toMatchObject({ texts: [["1", "a", "2024-01-01 10:00:00+00"]] });
    expect(ops[1]).toMatchObject({ rows: [[1, null, null]], texts: [null] });
  });

  it("refuses a Relation message whose columns differ from the known ones (schema changes are followed before)", () => {
    const changed: RelationMessage = { ...relation, columns: relation.columns.slice(0, 3) };
    expect(() => new ChangePlanner(shape, typeOf).plan(part(changed), [])).toThrow(/changed without being followed/);
  });

  it.each([
    ["a renamed table", { ...relation, name: "t2" }, /renamed to public\.t2/],
    ["REPLICA IDENTITY NOTHING", { ...relation, replicaIdentity: "n" }, /REPLICA IDENTITY NOTHING/],
  ])("fails on %s", (_label, message, error) => {
    expect(() => new ChangePlanner(shape, typeOf).plan(part(message as RelationMessage), [])).toThrow(error);
  });

  it("refuses a change whose key was not sent, and a change before its Relation message", () => {
    expect(() => plan({ type: "update", relation: 7, old: null, values: [UNCHANGED, "1", "a", null] })).toThrow(
      /did not carry its key column id/,
    );
    expect(() => new ChangePlanner(shape, typeOf).plan(part(insert("1", "a")), [])).toThrow(/before its Relation/);
  });
});
