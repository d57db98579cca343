/**
 * The two walks of a verification over a source side and a replica side.
 *
 * "key ranges": the replica's keys cut the table into ranges of `topRows`; each
 * range's count and hash sum are computed by both sides (in SQL), and only a
 * range that differs is looked into: a side with no rows there makes the whole
 * range missing or extra; a small range is compared key by key; a larger one
 * is split into parts cut by the side with more rows, and so on down.
 *
 * "keys": the source's keys, page by page in its own order, are looked up in
 * the replica by exact key; the replica's rows no source key matched are then
 * looked up at the source to find the extra ones.
 *
 * Both walks settle a list of keys the same way (settleKeys), repairing as they
 * go when given repairs.
 */
import type { SqliteValue } from "../../../src/sources/types";
import { diffEntries, keyId, planRange, sameRow, Tally } from "./plan";
import type { Repairs } from "./repair";
import { hashValue, type ReplicaSide, type SourceSide } from "./sides";
import type { Aggregate, Entry, Key, KeyRange, VerifyShape } from "./types";

export interface Walk {
  source: SourceSide;
  replica: ReplicaSide;
  /** Null for a verification that changes nothing. */
  repairs: Repairs | null;
  tally: Tally;
  shape: VerifyShape;
  /** Where the key columns sit in a source row (copied columns, then the hash). */
  keyIndexes: readonly number[];
  /** How many copied columns a source row starts with. */
  width: number;
}

export async function walkRanges(w: Walk): Promise<void> {
  let range: KeyRange = { after: null, upTo: w.replica.keyAt({ after: null, upTo: null }, w.shape.topRows - 1) };
  let pending = w.source.aggregate(range);
  for (;;) {
    const source = await pending;
    // The next range's source aggregate is asked for now, so the source computes it while the replica sums this one.
    const next: KeyRange | null =
      range.upTo === null
        ? null
        : { after: range.upTo, upTo: w.replica.keyAt({ after: range.upTo, upTo: null }, w.shape.topRows - 1) };
    if (next) {
      pending = w.source.aggregate(next);
      pending.catch(() => undefined); // awaited on the next turn; unobserved only if this turn fails
    }
    const replica = w.replica.aggregate(range);
    w.tally.rows(source.rows, replica.rows);
    await compareRange(w, range, source, replica);
    if (!next) return;
    range = next;
  }
}

async function compareRange(w: Walk, range: KeyRange, source: Aggregate, replica: Aggregate): Promise<void> {
  const step = planRange(source, replica, w.shape);
  switch (step.kind) {
    case "same":
      return;
    case "extra": {
      const examples = w.tally.wanted("extra") ? w.replica.entries(range, w.tally.wanted("extra")) : [];
      w.tally.add(
        "extra",
        replica.rows,
        examples.map((e) => e.key),
      );
      w.repairs?.deleteRange(range);
      return;
    }
    case "missing": {
      const examples = w.tally.wanted("missing") ? await w.source.entries(range, w.tally.wanted("missing")) : [];
      w.tally.add(
        "missing",
        source.rows,
        examples.map((e) => e.key),
      );
      await w.repairs?.copyRange(range);
      return;
    }
    case "leaf":
      await settleKeys(w, await w.source.entries(range), w.replica.entries(range), () => w.source.rows(range));
      return;
    case "split": {
      let after = range.after;
      for (let part = 1; part <= step.parts; part++) {
        const cut =
          part === step.parts
            ? null
            : step.side === "source"
              ? await w.source.keyAt({ after, upTo: range.upTo }, step.rowsPerPart - 1)
              : w.replica.keyAt({ after, upTo: range.upTo }, step.rowsPerPart - 1);
        // The last part, or fewer rows than counted (the source changed meanwhile): up to the range's end.
        const sub = { after, upTo: cut ?? range.upTo };
        await compareRange(w, sub, await w.source.aggregate(sub), w.replica.aggregate(sub));
        if (cut === null) return;
        after = cut;
      }
      return;
    }
  }
}

export async function walkKeys(w: Walk): Promise<void> {
  const replicaRows = w.replica.count();
  let sourceRows = 0;
  let matched = 0;
  let after: Key | null = null;
  for await (const page of sourcePages(
    w,
    (from) => w.source.entries(from, w.shape.pageRows),
    (e) => e.key,
  )) {
    sourceRows += page.length;
    const found = w.replica.lookup(page.map((e) => e.key));
    matched += found.length;
    const pageRange: KeyRange = { after, upTo: page[page.length - 1]!.key };
    await settleKeys(w, page, found, () => w.source.rows(pageRange));
    after = pageRange.upTo;
  }
  w.tally.rows(sourceRows, replicaRows);
  // Every replica row some source key matched is accounted for; any other one is extra, or was deleted meanwhile.
  if (replicaRows > matched) await findExtras(w);
}

/**
 * Every source row, page by page in the source's key order, compared value by value with the
 * replica's row of the same key (a row whose values agree is equal whatever its stored hash);
 * then the replica's rows no source row matched are looked up at the source to find the extra
 * ones. A repair writes the missing and differing rows, and the equal ones whose stored hash is
 * not the source's (unknown, or changed), and deletes the extra ones.
 */
export async function walkValues(w: Walk): Promise<void> {
  const replicaRows = w.replica.count();
  let sourceRows = 0;
  let matched = 0;
  const key = (row: readonly SqliteValue[]) => keyOf(w, row);
  for await (const page of sourcePages(w, (from) => w.source.rows(from, w.shape.pageRows), key)) {
    sourceRows += page.length;
    const keys = page.map(key);
    const stored = new Map(w.replica.rows(keys).map((row) => [keyId(key(row)), row]));
    matched += stored.size;
    const missing: SqliteValue[][] = [];
    const differing: SqliteValue[][] = [];
    const rehashed: SqliteValue[][] = [];
    for (const row of page) {
      const id = keyId(key(row));
      const replicaRow = stored.get(id);
      if (!replicaRow) missing.push(row);
      else if (!sameRow(replicaRow.slice(0, w.width), row.slice(0, w.width))) differing.push(row);
      // A replica without the hash column (at the column limit) keeps no hash to mend.
      else if (replicaRow.length > w.width && hashValue(replicaRow[w.width]) !== hashValue(row[w.width])) {
        rehashed.push(row);
      }
    }
    w.tally.add("missing", missing.length, missing.map(key));
    w.tally.add("differing", differing.length, differing.map(key));
    const writes = [...missing, ...differing, ...rehashed];
    if (w.repairs && writes.length) w.repairs.upsert(writes);
  }
  w.tally.rows(sourceRows, replicaRows);
  if (replicaRows > matched) await findExtras(w);
}

/** The source's pages in its key order, each after the last key of the one before; the next is read while the caller works on this one. */
async function* sourcePages<T>(
  w: Walk,
  read: (range: KeyRange) => Promise<T[]>,
  keyOfItem: (item: T) => Key,
): AsyncGenerator<T[]> {
  let pending = read({ after: null, upTo: null });
  for (;;) {
    const page = await pending;
    const last = page[page.length - 1];
    if (last === undefined) return;
    const full = page.length >= w.shape.pageRows;
    if (full) {
      pending = read({ after: keyOfItem(last), upTo: null });
      pending.catch(() => undefined); // awaited on the next turn; unobserved only if this one fails
    }
    yield page;
    if (!full) return;
  }
}

async function findExtras(w: Walk): Promise<void> {
  let after: Key | null = null;
  for (;;) {
    const page = w.replica.entries({ after, upTo: null }, w.shape.pageRows);
    const last = page[page.length - 1];
    if (!last) return;
    const present = new Set((await w.source.present(page.map((e) => e.key))).map(keyId));
    const extra = page.filter((e) => !present.has(keyId(e.key))).map((e) => e.key);
    w.tally.add("extra", extra.length, extra);
    w.repairs?.deleteKeys(extra);
    if (page.length < w.shape.pageRows) return;
    after = last.key;
  }
}

/**
 * Settles the keys of one part of the table: missing, extra, differing by hash,
 * and rows whose replica hash is unknown compared value by value. `sourceRows`
 * reads that part's source rows (asked only when needed: repairs, unknown hashes).
 */
async function settleKeys(
  w: Walk,
  source: readonly Entry[],
  replica: readonly Entry[],
  sourceRows: () => Promise<SqliteValue[][]>,
): Promise<void> {
  const diff = diffEntries(source, replica);
  let rows: SqliteValue[][] | undefined;
  const differing = [...diff.differing];
  if (diff.unknown.length) {
    rows = await sourceRows();
    const current = new Map(w.replica.rows(diff.unknown).map((row) => [keyId(keyOf(w, row)), row]));
    for (const row of rows) {
      const stored = current.get(keyId(keyOf(w, row)));
      if (stored && !sameRow(stored.slice(0, w.width), row.slice(0, w.width))) differing.push(keyOf(w, row));
    }
  }
  w.tally.add("missing", diff.missing.length, diff.missing);
  w.tally.add("extra", diff.extra.length, diff.extra);
  w.tally.add("differing", differing.length, differing);
  if (!w.repairs) return;
  w.repairs.deleteKeys(diff.extra);
  // Unknown hashes are written too, equal rows included: that is how their hash becomes known.
  const needed = new Set([...diff.missing, ...differing, ...diff.unknown].map(keyId));
  if (needed.size === 0) return;
  rows ??= await sourceRows();
  w.repairs.upsert(rows.filter((row) => needed.has(keyId(keyOf(w, row)))));
}

function keyOf(w: Walk, row: readonly SqliteValue[]): Key {
  return w.keyIndexes.map((i) => row[i] ?? null);
}
