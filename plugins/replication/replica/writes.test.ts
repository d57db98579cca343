import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { SourceColumn } from "../../../src/sources/types";
import { jsonRowsFunction, planWriteBatches, rowBytes, toHex, upsertFromJsonSql } from "./writes";

const col = (name: string, sqliteType: SourceColumn["sqliteType"]): SourceColumn => ({
  name,
  sourceType: "x",
  nullable: true,
  sqliteType,
});
const columns = [col("id", "INTEGER"), col("body", "TEXT"), col("data", "BLOB")];

describe("upsertFromJsonSql", () => {
  it("expands one JSON parameter and updates every non-key column on conflict", () => {
    expect(upsertFromJsonSql("t", columns, ["id"], "jsonb_each")).toBe(
      `INSERT INTO "t" ("id", "body", "data") SELECT value ->> 0, value ->> 1, unhex(value ->> 2) ` +
        `FROM jsonb_each(?) WHERE true ON CONFLICT ("id") DO UPDATE SET "body" = excluded."body", "data" = excluded."data"`,
    );
  });

  it("does nothing on conflict when every column is key", () => {
    expect(upsertFromJsonSql("t", [col("a", "INTEGER")], ["a"], "json_each")).toMatch(
      /ON CONFLICT \("a"\) DO NOTHING$/,
    );
  });
});

describe("planWriteBatches", () => {
  it("packs rows into JSON batches under the size limit, blobs as hex", () => {
    const rows = Array.from({ length: 10 }, (_, i) => [i, "x".repeat(100), new Uint8Array([0, i]).buffer]);
    const { list, bytes } = planWriteBatches(rows, { keyIndexes: [0], maxChars: 1000 });
    expect(list.every((b) => b.kind === "json" && b.json.length <= 1000)).toBe(true);
    expect(list.reduce((n, b) => n + (b.kind === "json" ? b.rows : 1), 0)).toBe(10);
    expect(JSON.parse((list[0] as { json: string }).json)[1]).toEqual([1, "x".repeat(100), "0001"]);
    expect(bytes).toBe(10 * (8 + 100 + 2));
  });

  it("cuts batches at the target size, and gives a row past it a batch of its own up to the limit", () => {
    const rows = Array.from({ length: 30 }, (_, i) => [i, "x".repeat(100)]);
    rows.splice(10, 0, [99, "w".repeat(5000)]);
    const { list } = planWriteBatches(rows, { keyIndexes: [0], maxChars: 20_000, targetChars: 1000 });
    expect(list.every((b) => b.kind === "json")).toBe(true);
    const past = list.filter((b) => b.kind === "json" && b.json.length > 1000);
    expect(past).toEqual([{ kind: "json", json: JSON.stringify([[99, "w".repeat(5000)]]), rows: 1 }]);
    expect(list.reduce((n, b) => n + (b.kind === "json" ? b.rows : 1), 0)).toBe(31);
  });

  it("binds a row too large for a batch on its own", () => {
    const big = [1, "y".repeat(5000), null];
    const { list } = planWriteBatches([[0, "a", null], big, [2, "b", null]], { keyIndexes: [0], maxChars: 1000 });
    expect(list.map((b) => b.kind)).toEqual(["json", "row", "json"]);
  });

  it("refuses a large row with more columns than one statement may bind", () => {
    const wide = [7, "w".repeat(5000), ...new Array(100).fill(null)];
    expect(() => planWriteBatches([wide], { keyIndexes: [0], maxChars: 1000 })).toThrow(
      /row with key \(7\).*more than 100 columns/,
    );
  });

  it("refuses a row over the 2 MB limit, naming its key", () => {
    expect(() => planWriteBatches([[42, "z".repeat(2_100_000)]], { keyIndexes: [0] })).toThrow(
      /row with key \(42\).*2 MB/,
    );
  });
});

describe("rowBytes and toHex", () => {
  it("measures UTF-8 when a value could reach the limit", () => {
    expect(rowBytes(["é".repeat(700_000)])).toBe(1_400_000);
    expect(toHex(new Uint8Array([0, 15, 255]).buffer)).toBe("000fff");
  });
});

describe("jsonRowsFunction", () => {
  it("finds jsonb_each in this runtime, and both functions store exactly the same values", async () => {
    const stub = env.DATABASE_DURABLE_OBJECT.get(env.DATABASE_DURABLE_OBJECT.idFromName(crypto.randomUUID()));
    await runInDurableObject(stub, (_instance, state) => {
      const sql = state.storage.sql;
      expect(jsonRowsFunction(sql)).toBe("jsonb_each");
      const typed = [col("id", "INTEGER"), col("body", "TEXT"), col("data", "BLOB"), col("score", "REAL")];
      const rows = [
        [1, 'héllo 🙂 "quoted" \\ \n', new Uint8Array([0, 255]).buffer, 1.7976931348623157e308],
        ["9223372036854775807", "", new ArrayBuffer(0), -0.1],
        [-3, null, null, null],
        [4, '{"a": [1, 2]}', null, 5],
      ];
      const batch = planWriteBatches(rows, { keyIndexes: [0] }).list[0]!;
      const stored = (rowsFrom: "jsonb_each" | "json_each") => {
        const table = `t_${rowsFrom}`;
        sql.exec(`CREATE TABLE ${table} (id INTEGER PRIMARY KEY, body TEXT, data BLOB, score REAL)`);
        sql.exec(upsertFromJsonSql(table, typed, ["id"], rowsFrom), batch.kind === "json" ? batch.json : "");
        return [
          ...sql
            .exec(
              `SELECT typeof(id), CAST(id AS TEXT), typeof(body), body, typeof(data), hex(data), typeof(score), printf('%!.17g', score) FROM ${table} ORDER BY id`,
            )
            .raw(),
        ];
      };
      const viaJsonb = stored("jsonb_each");
      expect(viaJsonb).toEqual(stored("json_each"));
      expect(viaJsonb[3]).toEqual(["integer", "9223372036854775807", "text", "", "blob", "", "real", "-0.1"]);
    });
  });
});
