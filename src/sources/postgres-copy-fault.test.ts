/**
 * A COPY row the converter rejects. PostgreSQL prints nothing the value mapping cannot
 * read, so the fault is made here: parseCopyLine is mocked to throw for one marked line
 * (this file only). Everything else is the real PostgreSQL at 127.0.0.1:5432.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { openSource } from "./index";
import type { SourceConnection } from "./types";

vi.mock("./pg-copy", async (importOriginal) => {
  const original = await importOriginal<typeof import("./pg-copy")>();
  return {
    ...original,
    parseCopyLine: (line: string) => {
      if (line.startsWith("unreadable")) throw new Error("converter bug: cannot read this line");
      return original.parseCopyLine(line);
    },
  };
});

const config = { dialect: "postgresql" as const, host: "127.0.0.1", port: 5432, user: "postgres", database: "test" };
let source: SourceConnection;

beforeAll(async () => {
  source = await openSource(config);
});

afterAll(async () => {
  await source.close();
});

describe("a COPY row that cannot be converted", () => {
  it("fails the query as itself, not as the source's failure, and leaves the connection usable", async () => {
    const page = `SELECT v FROM (VALUES ('ok 1'), ('unreadable'), ('ok 3')) AS t(v) WHERE v <> ?`;
    await expect(source.query(page, ["none"], { bulk: true })).rejects.toThrow(
      /^converter bug: cannot read this line$/,
    );
    // The rest of the COPY stream was drained: the same session answers the next statements.
    expect((await source.query(page.replace("'unreadable'", "'ok 2'"), ["none"], { bulk: true })).rows).toEqual([
      ["ok 1"],
      ["ok 2"],
      ["ok 3"],
    ]);
    expect((await source.query("SELECT 1::int")).rows).toEqual([[1]]);
  });
});
