import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { firstPageLimit, PROBE_ROWS, rememberRowSize } from "./row-sizes";

const KiB = 1024;
const bounds = { pageBytes: 512 * KiB, firstPageRows: PROBE_ROWS };

/** Two databases of their own: the sizes are kept per database, not for the isolate. */
async function twoDatabases(): Promise<[SqlStorage, SqlStorage]> {
  const stub = (name: string) => env.DATABASE_DURABLE_OBJECT.get(env.DATABASE_DURABLE_OBJECT.idFromName(name));
  const a = await runInDurableObject(stub(`row-sizes-a-${Math.random()}`), (_i, state) => state.storage.sql);
  const b = await runInDurableObject(stub(`row-sizes-b-${Math.random()}`), (_i, state) => state.storage.sql);
  return [a, b];
}

describe("firstPageLimit", () => {
  it("probes with a few rows until the job's row size is known, then sizes the page by it", async () => {
    const [sql, other] = await twoDatabases();
    expect(firstPageLimit(sql, "wide", 10_000, bounds)).toBe(PROBE_ROWS);
    expect(firstPageLimit(sql, "wide", 5, bounds)).toBe(5);
    rememberRowSize(sql, "wide", 20, 20 * 64 * KiB); // 64 KiB rows: 8 to a 512 KiB page
    expect(firstPageLimit(sql, "wide", 10_000, bounds)).toBe(8);
    rememberRowSize(sql, "narrow", 4_000, 4_000 * 100);
    expect(firstPageLimit(sql, "narrow", 10_000, bounds)).toBe(5_242);
    expect(firstPageLimit(sql, "narrow", 1_000, bounds)).toBe(1_000);
    // A page without rows says nothing about their size.
    rememberRowSize(sql, "wide", 0, 0);
    expect(firstPageLimit(sql, "wide", 10_000, bounds)).toBe(8);
    expect(firstPageLimit(other, "wide", 10_000, bounds)).toBe(PROBE_ROWS);
  });
});
