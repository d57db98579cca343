import { describe, expect, it } from "vitest";
import type { SqliteValue } from "../../../src/sources/types";
import { keyId, Tally } from "./plan";
import { RepairBudgetSpent, type Repairs } from "./repair";
import type { ReplicaSide, SourceSide } from "./sides";
import type { Aggregate, Entry, Key, KeyRange, VerifyShape } from "./types";
import { type Walk, walkKeys, walkRanges, walkValues } from "./walk";

/** A table in memory: rows of (key..., value), each with its hash; kept in the side's own key order. */
interface Row {
  values: SqliteValue[];
  hash: number | null;
}

type Order = (a: Key, b: Key) => number;

const binary: Order = (a, b) => {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y) return x! < y! ? -1 : 1;
  }
  return 0;
};
/** Like a case-insensitive collation: "a" < "B" < "_" (uppercase weights), unlike binary order. */
const caseInsensitive: Order = (a, b) =>
  binary(
    a.map((v) => (typeof v === "string" ? v.toUpperCase() : v)),
    b.map((v) => (typeof v === "string" ? v.toUpperCase() : v)),
  );

class Memory {
  calls: Record<string, number> = {};
  constructor(
    public rows: Row[],
    readonly keyWidth: number,
    readonly order: Order,
  ) {
    this.sort();
  }
  sort() {
    this.rows.sort((a, b) => this.order(this.key(a), this.key(b)));
  }
  key(row: Row): Key {
    return row.values.slice(0, this.keyWidth);
  }
  count(what: string) {
    this.calls[what] = (this.calls[what] ?? 0) + 1;
  }
  within(range: KeyRange): Row[] {
    return this.rows.filter(
      (r) =>
        (!range.after || this.order(this.key(r), range.after) > 0) &&
        (!range.upTo || this.order(this.key(r), range.upTo) <= 0),
    );
  }
  aggregate(range: KeyRange): Aggregate {
    this.count("aggregate");
    const rows = this.within(range);
    return {
      rows: rows.length,
      sum: rows.reduce((s, r) => s + BigInt(r.hash ?? 0), 0n),
      unknown: rows.filter((r) => r.hash === null).length,
    };
  }
  keyAt(range: KeyRange, offset: number): Key | null {
    this.count("keyAt");
    const row = this.within(range)[offset];
    return row ? this.key(row) : null;
  }
  entries(range: KeyRange, limit?: number): Entry[] {
    this.count("entries");
    return this.within(range)
      .slice(0, limit)
      .map((r) => ({ key: this.key(r), hash: r.hash }));
  }
  byKeys(keys: readonly Key[]): Row[] {
    const wanted = new Set(keys.map(keyId));
    return this.rows.filter((r) => wanted.has(keyId(this.key(r))));
  }
}

function sourceOf(m: Memory): SourceSide {
  return {
    aggregate: async (range) => m.aggregate(range),
    keyAt: async (range, offset) => m.keyAt(range, offset),
    entries: async (range, limit) => m.entries(range, limit),
    rows: async (range, limit) => {
      m.count("rows");
      return m
        .within(range)
        .slice(0, limit)
        .map((r) => [...r.values, r.hash]);
    },
    present: async (keys) => {
      m.count("present");
      // Like a case-insensitive source: a key matches whatever its case, and comes back as stored.
      const wanted = new Set(keys.map((k) => keyId(k.map((v) => (typeof v === "string" ? v.toUpperCase() : v)))));
      return m.rows
        .map((r) => m.key(r))
        .filter((k) => wanted.has(keyId(k.map((v) => (typeof v === "string" ? v.toUpperCase() : v)))));
    },
  };
}

function replicaOf(m: Memory): ReplicaSide {
  return {
    aggregate: (range) => m.aggregate(range),
    keyAt: (range, offset) => m.keyAt(range, offset),
    entries: (range, limit) => m.entries(range, limit),
    lookup: (keys) => {
      m.count("lookup");
      return m.byKeys(keys).map((r) => ({ key: m.key(r), hash: r.hash }));
    },
    rows: (keys) => m.byKeys(keys).map((r) => [...r.values, r.hash]),
    count: () => m.rows.length,
  };
}

/** Repairs applied to the in-memory replica, optionally failing after `limit` written rows like a spent budget. */
function repairsOf(replica: Memory, source: Memory, limit = Infinity): Repairs & { written: number } {
  const repairs = {
    written: 0,
    spend(n: number) {
      repairs.written += n;
      if (repairs.written >= limit) throw new RepairBudgetSpent();
    },
    upsert(rows: readonly SqliteValue[][]) {
      for (const row of rows) {
        const values = row.slice(0, -1);
        const id = keyId(values.slice(0, replica.keyWidth));
        replica.rows = replica.rows.filter((r) => keyId(replica.key(r)) !== id);
        replica.rows.push({ values, hash: row[row.length - 1] as number });
      }
      replica.sort();
      repairs.spend(rows.length);
    },
    deleteKeys(keys: readonly Key[]) {
      const gone = new Set(keys.map(keyId));
      replica.rows = replica.rows.filter((r) => !gone.has(keyId(replica.key(r))));
      repairs.spend(keys.length);
    },
    deleteRange(range: KeyRange) {
      const gone = new Set(replica.within(range));
      replica.rows = replica.rows.filter((r) => !gone.has(r));
      repairs.spend(gone.size);
    },
    async copyRange(range: KeyRange) {
      repairs.upsert(source.within(range).map((r) => [...r.values, r.hash]));
    },
  };
  return repairs;
}

const SHAPE: VerifyShape = { topRows: 100, fanout: 4, leafRows: 10, pageRows: 50 };

const hashOf = (values: SqliteValue[]) =>
  [...JSON.stringify(values)].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
const row = (...values: SqliteValue[]): Row => ({ values, hash: hashOf(values) });
const ids = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => row(from + i, `v${from + i}`));

interface Case {
  source: Row[];
  replica: Row[];
  keyWidth?: number;
  expected: { missing: number; extra: number; differing: number };
  examples?: { missing?: unknown[]; extra?: unknown[]; differing?: unknown[] };
}

const CASES: Record<string, Case> = {
  "identical tables": { source: ids(1, 1000), replica: ids(1, 1000), expected: { missing: 0, extra: 0, differing: 0 } },
  "scattered deletes at the source": {
    source: ids(1, 1000).filter((r) => ![5, 300, 301, 999].includes(r.values[0] as number)),
    replica: ids(1, 1000),
    expected: { missing: 0, extra: 4, differing: 0 },
    examples: { extra: [5, 300, 301, 999] },
  },
  "a deleted key range": {
    source: [...ids(1, 199), ...ids(701, 1000)],
    replica: ids(1, 1000),
    expected: { missing: 0, extra: 501, differing: 0 },
    examples: { extra: [200, 201, 202, 203, 204, 205, 206, 207, 208, 209] },
  },
  "every row deleted": { source: [], replica: ids(1, 500), expected: { missing: 0, extra: 500, differing: 0 } },
  "an empty replica": { source: ids(1, 500), replica: [], expected: { missing: 500, extra: 0, differing: 0 } },
  "truncated and refilled with other keys and values": {
    source: ids(2001, 2600),
    replica: ids(1, 500),
    expected: { missing: 600, extra: 500, differing: 0 },
  },
  "backdated inserts and edits": {
    source: [
      ...ids(1, 1000).map((r) => ([7, 450].includes(r.values[0] as number) ? row(r.values[0]!, "edited") : r)),
      row(1001, "late"),
      row(0, "early"),
    ],
    replica: ids(1, 1000),
    expected: { missing: 2, extra: 0, differing: 2 },
    examples: { missing: [0, 1001], differing: [7, 450] },
  },
  "unknown hashes: equal rows are not differing, changed ones are": {
    source: ids(1, 300).map((r) => (r.values[0] === 42 ? row(42, "changed") : r)),
    replica: ids(1, 300).map((r) => ({ ...r, hash: null })),
    expected: { missing: 0, extra: 0, differing: 1 },
    examples: { differing: [42] },
  },
  "composite keys": {
    source: [row("a", 1, "x"), row("a", 2, "x"), row("b", 1, "changed"), row("c", 1, "x")],
    replica: [row("a", 1, "x"), row("a", 3, "x"), row("b", 1, "x"), row("c", 1, "x")],
    keyWidth: 2,
    expected: { missing: 1, extra: 1, differing: 1 },
    examples: { missing: [["a", 2]], extra: [["a", 3]], differing: [["b", 1]] },
  },
};

function walkOf(source: Memory, replica: Memory, repairs: Repairs | null): Walk {
  return {
    source: sourceOf(source),
    replica: replicaOf(replica),
    repairs,
    tally: new Tally(),
    shape: SHAPE,
    keyIndexes: Array.from({ length: source.keyWidth }, (_, i) => i),
    width: source.rows[0]?.values.length ?? replica.rows[0]?.values.length ?? 2,
  };
}

describe.each([
  ["key ranges", walkRanges],
  ["keys", walkKeys],
  ["values", walkValues],
] as const)("walk by %s", (_method, walk) => {
  it.each(Object.entries(CASES))("%s", async (_name, c) => {
    const width = c.keyWidth ?? 1;
    const source = new Memory(c.source, width, binary);
    const replica = new Memory(c.replica, width, binary);
    const w = walkOf(source, replica, null);
    await walk(w);
    expect(w.tally.counts).toEqual({ source_rows: c.source.length, replica_rows: c.replica.length, ...c.expected });
    for (const [kind, keys] of Object.entries(c.examples ?? {})) {
      expect(w.tally.examples[kind as "missing"]).toEqual(keys);
    }

    // Repairing makes the replica equal to the source, hashes included; a second walk finds nothing.
    const repairs = repairsOf(replica, source);
    await walk(walkOf(source, replica, repairs));
    expect(replica.rows).toEqual(source.rows);
    const again = walkOf(source, replica, null);
    await walk(again);
    expect(again.tally.counts).toMatchObject({ missing: 0, extra: 0, differing: 0 });
  });
});

describe("walk by key ranges", () => {
  it("reads only counts and sums when the sides agree: one range per topRows", async () => {
    const source = new Memory(ids(1, 1000), 1, binary);
    const replica = new Memory(ids(1, 1000), 1, binary);
    await walkRanges(walkOf(source, replica, null));
    // 10 ranges of 100, and the (empty) one after the replica's last key, where rows added at the source would be.
    expect(source.calls).toEqual({ aggregate: 11 });
    expect(replica.calls).toEqual({ aggregate: 11, keyAt: 11 });
  });

  it("descends only into the range that differs, down to a few keys", async () => {
    const source = new Memory(
      ids(1, 1000).map((r) => (r.values[0] === 555 ? row(555, "edited") : r)),
      1,
      binary,
    );
    const replica = new Memory(ids(1, 1000), 1, binary);
    const w = walkOf(source, replica, null);
    await walkRanges(w);
    expect(w.tally.examples.differing).toEqual([555]);
    // 11 top ranges, then 4 parts of 25 in the one that differs, and 3 parts (9, 9, 7) in the part that differs.
    expect(source.calls.aggregate).toBe(11 + 4 + 3);
    expect(source.calls.entries).toBe(1);
  });
});

describe("walk by keys", () => {
  it("compares keys exactly when the source orders them otherwise (a case-insensitive collation)", async () => {
    const keys = ["a", "B", "_x", "c_", "Zed", "abc", "ABD", "m"];
    const source = new Memory(
      keys.map((k) => (k === "abc" ? row("ABC", "renamed") : row(k, "v"))),
      1,
      caseInsensitive,
    );
    const replica = new Memory(
      keys.map((k) => row(k, "v")),
      1,
      binary,
    );
    const w = walkOf(source, replica, null);
    await walkKeys(w);
    expect(w.tally.counts).toMatchObject({ missing: 1, extra: 1, differing: 0 });
    expect(w.tally.examples).toEqual({ missing: ["ABC"], extra: ["abc"], differing: [] });
  });
});

describe("walk by values", () => {
  it("finds a replica value changed under its stored hash, which hashes alone cannot, and repairs only that row", async () => {
    const source = new Memory(ids(1, 300), 1, binary);
    const replica = new Memory(
      ids(1, 300).map((r) => (r.values[0] === 42 ? { values: [42, "by hand"], hash: r.hash } : r)),
      1,
      binary,
    );
    const byHash = walkOf(source, replica, null);
    await walkKeys(byHash);
    expect(byHash.tally.counts).toMatchObject({ differing: 0 });

    const byValue = walkOf(source, replica, null);
    await walkValues(byValue);
    expect(byValue.tally.counts).toMatchObject({
      source_rows: 300,
      replica_rows: 300,
      missing: 0,
      extra: 0,
      differing: 1,
    });
    expect(byValue.tally.examples.differing).toEqual([42]);

    const written: number[] = [];
    const repairs = repairsOf(replica, source);
    const upsert = repairs.upsert.bind(repairs);
    repairs.upsert = (rows) => {
      written.push(...rows.map((r) => r[0] as number));
      upsert(rows);
    };
    await walkValues(walkOf(source, replica, repairs));
    expect(written).toEqual([42]);
    expect(replica.rows).toEqual(source.rows);
  });
});

describe("walk by values, over a replica without the hash column (at the column limit)", () => {
  it("rewrites only rows whose values differ: there is no hash to mend", async () => {
    const source = new Memory(
      ids(1, 120).map((r) => (r.values[0] === 9 ? row(9, "changed") : r)),
      1,
      binary,
    );
    const replica = new Memory(ids(1, 120), 1, binary);
    const w = walkOf(source, replica, repairsOf(replica, source));
    // The replica side answers its rows without a hash, as SQLite does for such a table.
    w.replica = { ...w.replica, rows: (keys) => replica.byKeys(keys).map((r) => r.values) };
    const written: number[] = [];
    const upsert = w.repairs!.upsert.bind(w.repairs);
    w.repairs!.upsert = (rows) => {
      written.push(...rows.map((r) => r[0] as number));
      upsert(rows);
    };
    await walkValues(w);
    expect(w.tally.counts).toMatchObject({ differing: 1 });
    expect(written).toEqual([9]);
  });
});

describe.each([
  ["key ranges", walkRanges],
  ["values", walkValues],
] as const)("a repair by %s that reaches its limits", (_method, walk) => {
  it("stops, and walks started again converge", async () => {
    const source = new Memory(ids(1, 400), 1, binary);
    const replica = new Memory([], 1, binary);
    let walks = 0;
    for (;;) {
      walks++;
      const w = walkOf(source, replica, repairsOf(replica, source, 150));
      const spent = await walk(w).then(
        () => false,
        (error: unknown) => error instanceof RepairBudgetSpent,
      );
      if (!spent) break;
      expect(walks).toBeLessThan(10);
    }
    expect(walks).toBeGreaterThan(1);
    expect(replica.rows).toEqual(source.rows);
  });
});
