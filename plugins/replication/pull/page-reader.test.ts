/**
 * The page reader against the real servers, inside workerd: every row once, in keyset order, in pages
 * within their bounds, over statements that each stream many pages' rows.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialectOf, openSource } from "../../../src/sources/index";
import { uniqueSuffix } from "../../../src/sources/test-support";
import type { SourceColumn, SourceConfig, SourceConnection } from "../../../src/sources/types";
import { advanceCursor } from "./cursor";
import { buildPageQuery } from "./keyset";
import { type Page, PageReader, type PageReaderOptions, STATEMENT_PAGES, statementRows } from "./page-reader";

const ROWS = 1_000;
const table = `page_reader_${uniqueSuffix()}`;
const configs: Record<"postgresql" | "mysql", SourceConfig> = {
  postgresql: { dialect: "postgresql", host: "127.0.0.1", port: 5432, user: "postgres", database: "test" },
  mysql: { dialect: "mysql", host: "127.0.0.1", port: 3306, user: "root", database: "test" },
};
const id: SourceColumn = { name: "id", sourceType: "integer", nullable: false, sqliteType: "INTEGER" };
const filler: SourceColumn = { name: "filler", sourceType: "text", nullable: false, sqliteType: "TEXT" };

describe("statementRows", () => {
  const base = { batchSize: 10_000, pageBytes: 512 * 1024, probeRows: 100, left: 250_000, pages: STATEMENT_PAGES };
  it("probes while the row size is unknown, then sizes a statement by bytes: many pages of rows", () => {
    expect(statementRows({ ...base, rowBytes: undefined })).toBe(100);
    expect(statementRows({ ...base, rowBytes: undefined, batchSize: 40 })).toBe(40);
    expect(statementRows({ ...base, rowBytes: 128 })).toBe((STATEMENT_PAGES * 512 * 1024) / 128);
    expect(statementRows({ ...base, rowBytes: 3_000_000 })).toBe(2);
  });

  it("reads one page in a reader's first statement, which may have no position to start after", () => {
    expect(statementRows({ ...base, rowBytes: 128, pages: 1 })).toBe(4_096);
    expect(statementRows({ ...base, rowBytes: 10, pages: 1 })).toBe(10_000);
    expect(statementRows({ ...base, rowBytes: undefined, pages: 1 })).toBe(100);
  });

  it("never reads more than the run's bound leaves, and at least one row", () => {
    expect(statementRows({ ...base, rowBytes: 128, left: 90 })).toBe(90);
    expect(statementRows({ ...base, rowBytes: undefined, left: 7 })).toBe(7);
    expect(statementRows({ ...base, rowBytes: 64 * 1024 * 1024 })).toBe(1);
  });
});

describe.each(["postgresql", "mysql"] as const)("PageReader on %s", (dialectName) => {
  const dialect = dialectOf(dialectName);
  let source: SourceConnection;

  beforeAll(async () => {
    source = await openSource(configs[dialectName]);
    await source.query(`CREATE TABLE ${table} (id integer PRIMARY KEY, filler text NOT NULL)`);
    const values = Array.from({ length: ROWS }, (_, i) => `(${i + 1}, '${"f".repeat(i % 50)}')`).join(", ");
    await source.query(`INSERT INTO ${table} (id, filler) VALUES ${values}`);
  });

  afterAll(async () => {
    await source.query(`DROP TABLE IF EXISTS ${table}`);
    await source.close();
  });

  /** Pages of 2 KiB: a streamed statement holds 32 KiB of them, so the table takes several statements. */
  const reader = (options: Partial<PageReaderOptions> = {}) =>
    new PageReader({
      source,
      statement: (after, limit) =>
        buildPageQuery({ dialect, table, columns: [id, filler], tracking: id, key: [], after, limit }),
      advance: (after, rows) => advanceCursor(after, rows, 0, []),
      after: null,
      maxRows: 250_000,
      batchSize: 10_000,
      pageBytes: 2_048,
      knownRowBytes: undefined,
      probeRows: 100,
      ...options,
    });

  async function readAll(pages: PageReader): Promise<Page[]> {
    const read: Page[] = [];
    for (;;) {
      const page = await pages.next();
      read.push(page);
      if (page.ended || page.rows.length === 0) return read;
    }
  }

  const ids = (pages: Page[]) => pages.flatMap((p) => p.rows.map((r) => r[0] as number));
  const all = Array.from({ length: ROWS }, (_, i) => i + 1);

  it("gives every row once, in order, in pages cut at their bytes, and says where the source ends", async () => {
    const pages = await readAll(reader());
    expect(ids(pages)).toEqual(all);
    expect(pages.at(-1)!.ended).toBe(true);
    expect(pages.slice(0, -1).every((p) => !p.ended)).toBe(true);
    for (const page of pages) {
      expect(page.sizes.reduce((a, b) => a + b, 0)).toBe(page.bytes);
      // A page ends with the row that takes it to pageBytes.
      expect(page.bytes - page.sizes.at(-1)!).toBeLessThan(2_048);
    }
    expect(pages.length).toBeGreaterThan(10);
  });

  it("starts after the position given and stops at the row bound without claiming the source's end", async () => {
    const pages = await readAll(reader({ after: { tracking: 400, key: [] }, maxRows: 250, batchSize: 40 }));
    expect(ids(pages)).toEqual(all.slice(400, 650));
    expect(pages.every((p) => p.rows.length <= 40 && !p.ended)).toBe(true);
  });

  it("says the source ended on an empty page when the last statement came back full", async () => {
    const pages = await readAll(reader({ after: { tracking: ROWS - 100, key: [] } }));
    expect(ids(pages)).toEqual(all.slice(ROWS - 100));
    expect(pages.at(-1)).toMatchObject({ rows: [], ended: true });
  });

  it("leaves the connection usable when closed part-way", async () => {
    const pages = reader({ knownRowBytes: 30 });
    expect((await pages.next()).rows.length).toBeGreaterThan(0);
    await pages.close();
    expect((await source.query("SELECT count(*) FROM " + table)).rows).toEqual([[ROWS]]);
  });
});
