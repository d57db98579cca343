/** The replica writer against a real Durable Object's SQLite. */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { SourceColumn, SqliteValue } from "../../../src/sources/types";
import { createTableSql } from "../replica/table";
import { withRowHash } from "../replica/hash-column";
import { deleteKeysSql } from "../replica/keys";
import { rowHash } from "../replica/row-hash";
import { MAX_BATCH_CHARS } from "../replica/writes";
import { lastPerKey, ReplicaWriter } from "./apply";
import type { ApplyOp } from "./plan";

const columns: SourceColumn[] = [
  { name: "k1", sourceType: "bigint", nullable: false, sqliteType: "INTEGER" },
  { name: "k2", sourceType: "bytea", nullable: false, sqliteType: "BLOB" },
  { name: "doc", sourceType: "text", nullable: true, sqliteType: "TEXT" },
  { name: "n", sourceType: "integer", nullable: true, sqliteType: "INTEGER" },
];
const key = ["k1", "k2"];
const bytes = (...b: number[]) => new Uint8Array(b).buffer as ArrayBuffer;
const BIG = "9223372036854775807";

/** Applies `ops` (each list in its own transaction) to a fresh replica and answers its rows in key order. */
async function applied(...batches: ApplyOp[][]): Promise<unknown[][]> {
  const stub = env.DATABASE_DURABLE_OBJECT.get(env.DATABASE_DURABLE_OBJECT.idFromName(crypto.randomUUID()));
  return runInDurableObject(stub, (_instance, state) => {
    const sql = state.storage.sql;
    sql.exec(createTableSql("replica", columns, key));
    const writer = new ReplicaWriter(sql, "replica", columns, key, null);
    for (const ops of batches) state.storage.transactionSync(() => writer.apply(ops));
    return sql
      .exec(`SELECT CAST(k1 AS TEXT), hex(k2), doc, n FROM replica ORDER BY k1, k2`)
      .toArray()
      .map((row) => Object.values(row));
  });
}

const upsert = (...rows: SqliteValue[][]): ApplyOp => ({ op: "upsert", present: null, rows, texts: null });

describe("key order", () => {
  it("sorts rows by key stably, and keeps the last row of each key", () => {
    const rows: SqliteValue[][] = [
      [2, "b", "first"],
      ["9223372036854775807", "a", "x"],
      [1, "z", "y"],
      [2, "b", "second"],
      [null, "a", "n"],
      [2, "a", "z"],
    ];
    expect(lastPerKey(rows, [0, 1]).map((i) => rows[i]![2])).toEqual(["n", "y", "z", "second", "x"]);
    const blobs = [[bytes(2)], [bytes(1, 0)], [bytes(1)]];
    expect(lastPerKey(blobs, [0]).map((i) => [...new Uint8Array(blobs[i]![0] as ArrayBuffer)])).toEqual([
      [1],
      [1, 0],
      [2],
    ]);
  });
});

describe("lastPerKey on one number column", () => {
  it("keeps the last row of each key, in key order, as for any other key", () => {
    const keys = Array.from({ length: 500 }, (_v, i) => ((i * 7919) % 97) - 40 + (i % 3 === 0 ? 0.5 : 0));
    const rows = keys.map((k, i) => [k, `row ${i}`]);
    const expected = [...new Set(keys)].sort((a, b) => a - b).map((k) => keys.lastIndexOf(k));
    expect(lastPerKey(rows, [0])).toEqual(expected);
    // A key that is not a number (a big integer as text) takes the general order: numbers before text.
    const mixed = [[BIG], [3], [BIG], [1]];
    expect(lastPerKey(mixed, [0])).toEqual([3, 1, 2]);
  });
});

describe("ReplicaWriter", () => {
  it.each(["hashtext", "md5"] as const)(
    "hashes the rows it writes from their texts with the job's formula (%s), and writes NULL for a row whose texts are not known",
    async (formula) => {
      const stub = env.DATABASE_DURABLE_OBJECT.get(env.DATABASE_DURABLE_OBJECT.idFromName(crypto.randomUUID()));
      const stored = await runInDurableObject(stub, (_instance, state) => {
        const sql = state.storage.sql;
        const cols = [columns[0]!, columns[2]!];
        sql.exec(createTableSql("hashed", withRowHash(cols), ["k1"]));
        new ReplicaWriter(sql, "hashed", cols, ["k1"], formula).apply([
          {
            op: "upsert",
            present: null,
            rows: [
              [1, "a"],
              [2, "b"],
              [1, "c"],
            ],
            texts: [
              ["1", "a"],
              ["2", "b"],
              ["1", "c"],
            ],
          },
          { op: "upsert", present: [true, false], rows: [[2, null]], texts: [null] },
        ]);
        return sql.exec(`SELECT k1, doc, _starbase_row_hash AS h FROM hashed ORDER BY k1`).toArray();
      });
      expect(stored).toEqual([
        { k1: 1, doc: "c", h: rowHash(["1", "c"], formula) },
        { k1: 2, doc: "b", h: null },
      ]);
    },
  );

  it("upserts and deletes by a composite key holding a big integer and bytes", async () => {
    expect(
      await applied(
        [upsert([1, bytes(0, 1), "a", 1], [BIG, bytes(255), "b", 2], [2, bytes(), "c", 3])],
        [
          {
            op: "delete",
            keys: [
              [BIG, bytes(255)],
              [2, bytes()],
              [3, bytes(9)],
            ],
          },
        ],
      ),
    ).toEqual([["1", "0001", "a", 1]]);
  });

  it("keeps the replica's value of a column that was not sent", async () => {
    expect(
      await applied(
        [upsert([1, bytes(1), "large", 1])],
        [
          {
            op: "upsert",
            present: [true, true, false, true],
            rows: [
              [1, bytes(1), null, 2],
              [5, bytes(1), null, 5],
            ],
            texts: null,
          },
        ],
      ),
    ).toEqual([
      ["1", "01", "large", 2],
      // A row the replica does not hold is not invented with NULL for what was not sent (replayed
      // over a snapshot, the copy holds it at another key, or the source deleted it since).
    ]);
  });

  it("writes a row too large for a JSON batch, missing a value, only over a row the replica holds", async () => {
    // Over MAX_BATCH_CHARS, each row is bound on its own (updateExistingRowSql, numbered parameters).
    const large = "x".repeat(MAX_BATCH_CHARS + 1);
    expect(
      await applied(
        [upsert([1, bytes(1), "kept", 1])],
        [
          {
            op: "upsert",
            present: [true, true, false, true],
            rows: [
              [1, bytes(1), null, large.length],
              [6, bytes(1), null, 6],
            ],
            texts: null,
          },
          {
            op: "upsert",
            present: [true, true, true, false],
            rows: [
              [1, bytes(1), large, null],
              [7, bytes(1), large, null],
            ],
            texts: null,
          },
        ],
      ),
    ).toEqual([["1", "01", large, large.length]]);
  });

  it("moves a row to a new key, keeping its values", async () => {
    expect(
      await applied([upsert([1, bytes(1), "keep", 1])], [{ op: "move", from: [1, bytes(1)], to: [2, bytes(1)] }]),
    ).toEqual([["2", "01", "keep", 1]]);
  });

  it("leaves both rows where one is at the new key already (a snapshot copied this row there, later)", async () => {
    expect(
      await applied(
        [upsert([1, bytes(1), "put there later", 1], [2, bytes(1), "copied", 2])],
        [{ op: "move", from: [1, bytes(1)], to: [2, bytes(1)] }],
      ),
    ).toEqual([
      ["1", "01", "put there later", 1],
      ["2", "01", "copied", 2],
    ]);
  });

  it("applies a later write to the same key over an earlier one in the same statement", async () => {
    expect(await applied([upsert([1, bytes(1), "first", 1], [1, bytes(1), "second", 2])])).toEqual([
      ["1", "01", "second", 2],
    ]);
  });

  it("empties the replica on truncate, and writes after it in the same transaction stay", async () => {
    expect(
      await applied([
        upsert([1, bytes(1), "a", 1], [2, bytes(1), "b", 2]),
        { op: "truncate" },
        upsert([3, bytes(1), "c", 3]),
      ]),
    ).toEqual([["3", "01", "c", 3]]);
  });

  it("deletes through the primary key, without scanning the replica", async () => {
    const stub = env.DATABASE_DURABLE_OBJECT.get(env.DATABASE_DURABLE_OBJECT.idFromName(crypto.randomUUID()));
    const plans = await runInDurableObject(stub, (_instance, state) => {
      const sql = state.storage.sql;
      sql.exec(createTableSql("replica", columns, key));
      sql.exec(createTableSql("single", [columns[0]!, columns[2]!], ["k1"]));
      const plan = (text: string) =>
        sql
          .exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${text}`, "[]")
          .toArray()
          .map((r) => r.detail)
          .join("; ");
      return [plan(deleteKeysSql("replica", [columns[0]!, columns[1]!])), plan(deleteKeysSql("single", [columns[0]!]))];
    });
    for (const plan of plans) {
      expect(plan).toMatch(/SEARCH (replica|single) USING (INTEGER PRIMARY KEY|(COVERING )?INDEX sqlite_autoindex)/);
      expect(plan).not.toMatch(/SCAN (replica|single)\b/);
    }
  });
});
