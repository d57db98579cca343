/**
 * The PostgreSQL connector reads its socket in large reads (pg-socket.ts), against
 * the real PostgreSQL at 127.0.0.1:5432, inside workerd. Read sizes are observed by
 * wrapping the runtime's BYOB reader: nothing else shows them.
 */
import { afterEach, expect, it } from "vitest";
import { PG } from "../../test/support/sources";
import { openSource } from "./index";

const reads: number[] = [];
const proto = ReadableStreamBYOBReader.prototype;
const originalRead = proto.read;

afterEach(() => {
  proto.read = originalRead;
});

it("reads a bulk result in chunks larger than workerd's default 4 KiB, and every row arrives whole", async () => {
  proto.read = async function (this: ReadableStreamBYOBReader, ...args: Parameters<typeof originalRead>) {
    const result = await originalRead.apply(this, args);
    if (result.value) reads.push(result.value.byteLength);
    return result;
  } as typeof originalRead;
  const source = await openSource({ dialect: "postgresql", ...PG });
  try {
    reads.length = 0;
    const result = await source.query(
      "SELECT g, repeat('é', g % 50) || 'x', md5(g::text) FROM generate_series(1, 20000) AS g",
      [],
      { bulk: true },
    );
    expect(result.rows.length).toBe(20_000);
    // A multi-byte character split across two reads, or a row across two, would show here.
    expect(result.rows.every(([g, text]) => text === `${"é".repeat((g as number) % 50)}x`)).toBe(true);
    const bytes = reads.reduce((sum, n) => sum + n, 0);
    expect(bytes).toBeGreaterThan(1_000_000);
    expect(bytes / reads.length).toBeGreaterThan(8 * 1024);
  } finally {
    await source.close();
  }
});

it("fails a bulk read that PostgreSQL ends with an error part-way, and the connection answers the next statements", async () => {
  const source = await openSource({ dialect: "postgresql", ...PG });
  try {
    // About 15,000 rows are on the wire before the division by zero ends the COPY.
    await expect(
      source.query("SELECT g, 1 / (g - 15000), md5(g::text) FROM generate_series(1, 20000) AS g", [], { bulk: true }),
    ).rejects.toThrow(/division by zero/);
    expect((await source.query("SELECT ? AS v", ["ok"])).rows).toEqual([["ok"]]);
    const again = await source.query("SELECT g FROM generate_series(1, 30000) AS g", [], { bulk: true });
    expect(again.rows.length).toBe(30_000);
    expect(again.rows.at(-1)).toEqual([30_000]);
  } finally {
    await source.close();
  }
});
