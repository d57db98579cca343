import { describe, expect, it } from "vitest";
import type { PgOutputMessage, RelationMessage } from "./pgoutput";
import { type AppliedPosition, TransactionAssembler } from "./transactions";

const relation: RelationMessage = {
  type: "relation",
  oid: 7,
  namespace: "public",
  name: "t",
  replicaIdentity: "d",
  columns: [{ name: "id", typeOid: 20, typmod: -1, key: true }],
};
const begin = (lsn: number): PgOutputMessage => ({ type: "begin", finalLsn: BigInt(lsn), xid: lsn });
const commit = (lsn: number): PgOutputMessage => ({
  type: "commit",
  commitLsn: BigInt(lsn),
  endLsn: BigInt(lsn + 1),
  commitTimeMicros: 0,
});
const insert = (id: number): PgOutputMessage => ({ type: "insert", relation: 7, values: [String(id)] });
const ids = (changes: readonly PgOutputMessage[]) =>
  changes.map((c) => (c.type === "insert" ? Number(c.values[0]) : c.type));

const fresh: AppliedPosition = { appliedLsn: null, partial: null };

describe("TransactionAssembler", () => {
  it("answers each transaction when its Commit arrives, with its end LSN", () => {
    const a = new TransactionAssembler(fresh, 100, 1e9);
    expect(a.push([begin(100), relation, insert(1)])).toEqual([]);
    const [tx] = a.push([insert(2), commit(100), begin(200)]);
    expect(tx).toMatchObject({ commitLsn: 100n, endLsn: 101n, offset: 0, dataChanges: 2 });
    expect(ids(tx!.changes)).toEqual(["relation", 1, 2]);
    expect(a.push([insert(3), commit(200)]).map((t) => ids(t.changes))).toEqual([[3]]);
  });

  it("passes over transactions that ended at or before the applied position, keeping their Relation messages", () => {
    const a = new TransactionAssembler({ appliedLsn: 201n, partial: null }, 100, 1e9);
    const ready = a.push([
      begin(100),
      relation,
      insert(1),
      commit(100),
      begin(200),
      insert(2),
      commit(200),
      begin(300),
      insert(3),
      commit(300),
    ]);
    expect(ready.map((t) => [t.endLsn, t.dataChanges, ids(t.changes)])).toEqual([
      [101n, 0, ["relation"]],
      [301n, 1, [3]],
    ]);
  });

  it("cuts a large transaction into parts that say how many of its changes came before", () => {
    const a = new TransactionAssembler(fresh, 3, 1e9);
    a.push([begin(100), relation, insert(1), insert(2)]);
    expect(a.takeLargePart()).toBeNull();
    a.push([insert(3), insert(4)]);
    const part = a.takeLargePart()!;
    expect(part).toMatchObject({ commitLsn: 100n, endLsn: null, offset: 0, dataChanges: 4 });
    expect(ids(part.changes)).toEqual(["relation", 1, 2, 3, 4]);
    const [rest] = a.push([insert(5), commit(100)]);
    // The rest keeps the Relation message its changes need.
    expect(rest).toMatchObject({ endLsn: 101n, offset: 4, dataChanges: 1 });
    expect(ids(rest!.changes)).toEqual(["relation", 5]);
  });

  it("cuts by bytes too", () => {
    const a = new TransactionAssembler(fresh, 1000, 100);
    a.push([begin(100), insert(1), insert(2)], [10, 60, 60]);
    expect(a.takeLargePart()).toMatchObject({ dataChanges: 2, bytes: 120 });
  });

  it("resumes a transaction applied in parts after the changes already applied", () => {
    const a = new TransactionAssembler({ appliedLsn: 50n, partial: { commitLsn: 100n, changes: 3 } }, 1000, 1e9);
    const [tx] = a.push([begin(100), relation, insert(1), insert(2), insert(3), insert(4), insert(5), commit(100)]);
    expect(tx).toMatchObject({ offset: 3, dataChanges: 2, endLsn: 101n });
    expect(ids(tx!.changes)).toEqual(["relation", 4, 5]);
  });

  it("ignores messages it has nothing to do with, and refuses a change outside a transaction", () => {
    const a = new TransactionAssembler(fresh, 100, 1e9);
    expect(a.push([{ type: "other", tag: "O" }])).toEqual([]);
    expect(() => a.push([insert(1)])).toThrow(/outside a transaction/);
  });
});
