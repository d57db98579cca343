/**
 * Limit worker for `npm run bench` (never deployed). It is the project's own
 * Durable Object with two extra RPC methods, each timed from outside by
 * bench/run.mjs (inside a Durable Object the clock stands still while code runs):
 *
 * - benchWrite: pre-generated rows shaped like the source layer's output,
 *   written page by page through the replication plugin's own json_each upsert
 *   (planWriteBatches + upsertFromJsonSql, one transaction and one commit per page). No source.
 * - benchRead: the replication plugin's page reads through the source layer
 *   (driver + value conversion) in workerd, with no SQLite write.
 */
import mysql from "mysql2/promise";
import pg from "pg";
import { StarbaseDBDurableObject as ProjectDurableObject } from "../src/index";
import type { Env } from "../src/env";
import { dialectOf, withSource } from "../src/sources";
import type { SourceColumn, SourceConfig, SqliteValue } from "../src/sources/types";
import { advanceCursor } from "../plugins/replication/pull/cursor";
import { buildPageQuery } from "../plugins/replication/pull/keyset";
import { PageReader } from "../plugins/replication/pull/page-reader";
import { DEFAULT_BOUNDS } from "../plugins/replication/pull/sync";
import { withRowHash } from "../plugins/replication/replica/hash-column";
import { createTableSql, quoteSqlite } from "../plugins/replication/replica/table";
import { jsonRowsFunction, planWriteBatches, upsertFromJsonSql } from "../plugins/replication/replica/writes";

/** The benchmark table's columns as the replica stores them (see bench/lib/sources.mjs). */
export const BENCH_COLUMNS: SourceColumn[] = [
  { name: "id", sourceType: "bigint", nullable: false, sqliteType: "INTEGER" },
  { name: "updated_at", sourceType: "timestamp(6) with time zone", nullable: false, sqliteType: "TEXT" },
  { name: "name", sourceType: "text", nullable: false, sqliteType: "TEXT" },
  { name: "amount", sourceType: "numeric(12,2)", nullable: true, sqliteType: "TEXT" },
  { name: "active", sourceType: "boolean", nullable: true, sqliteType: "INTEGER" },
  { name: "payload", sourceType: "json", nullable: true, sqliteType: "TEXT" },
  { name: "score", sourceType: "double precision", nullable: true, sqliteType: "REAL" },
  { name: "code", sourceType: "character varying(16)", nullable: true, sqliteType: "TEXT" },
];

const END_MS = Date.UTC(2025, 0, 1);

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}

/** Row `i` of an `n`-row table, as the PostgreSQL source layer hands it over. */
function benchRow(i: number, n: number): SqliteValue[] {
  const iso = new Date(END_MS - (n - i) * 1000).toISOString();
  const micros = String(i % 997).padStart(3, "0");
  let h = Math.imul(i, 2654435761);
  const name = `name ${hex8(h)}${hex8((h = Math.imul(h ^ (h >>> 15), 2246822507)))}${hex8(
    (h = Math.imul(h ^ (h >>> 13), 3266489909)),
  )}${hex8(h ^ (h >>> 16))}`;
  return [
    i,
    `${iso.slice(0, 23)}${micros}Z`,
    name,
    ((i % 100000) / 100).toFixed(2),
    i % 3 === 0 ? 1 : 0,
    `{"n" : ${i}, "tag" : "t${i % 50}"}`,
    i * 0.001 + 0.5,
    `C${i % 9973}`,
  ];
}

/** Writes one commit's rows (or their JSON batches) with the plugin's upsert, or a profiling variant's statement. */
function benchWriter(
  sql: SqlStorage,
  table: string,
  columns: readonly SourceColumn[],
  variant: BenchWriteInput["variant"],
): (rows: SqliteValue[][], json: string[]) => void {
  const upsert = upsertFromJsonSql(table, columns, ["id"], jsonRowsFunction(sql));
  if (variant === "values") {
    // As many rows as fit under the 100-parameter limit, each value bound.
    const perStatement = Math.floor(100 / columns.length);
    const tuple = `(${columns.map(() => "?").join(", ")})`;
    const valuesSql = (n: number) => `INSERT INTO ${quoteSqlite(table)} VALUES ${Array(n).fill(tuple).join(", ")}`;
    return (rows) => {
      for (let j = 0; j < rows.length; j += perStatement) {
        const chunk = rows.slice(j, j + perStatement);
        sql.exec(valuesSql(chunk.length), ...chunk.flat());
      }
    };
  }
  // "extract": the upsert's SELECT alone (the JSON batch expanded into cells), no insert.
  const statement =
    variant === "insert"
      ? upsert.replace(/ WHERE true ON CONFLICT.*$/, "")
      : variant === "extract"
        ? upsert
            .replace(/^INSERT INTO .*? SELECT/, "SELECT count(*) FROM (SELECT")
            .replace(/ WHERE true ON CONFLICT.*$/, ")")
        : upsert;
  return (_rows, json) => {
    for (const text of json) sql.exec(statement, text).toArray();
  };
}

export interface BenchWriteInput {
  rows: number;
  batch: number;
  /** "prepare": generate and keep `rows` rows; "encode": JSON-encode the kept rows; "write": encode and upsert them. */
  mode: "prepare" | "encode" | "write";
  /** Profiling only: another statement or encoding in place of the plugin's (see bench/profile.mjs). */
  variant?: "stringify" | "insert" | "values" | "extract";
  /** Profiling only: add the replica's row-hash column (a 32-bit integer per row). */
  hashColumn?: boolean;
  /** Profiling only: commit every this many rows (a task ends between), instead of once per page. */
  commitRows?: number;
}

export interface BenchReadInput {
  source: SourceConfig;
  table: string;
  batch: number;
  /** Profiling only: "driver" reads the same pages with the bare driver in workerd (no value conversion). */
  variant?: "source" | "driver";
  /** "key": in primary key order, as a job's first copy reads; "tracking" (the default): in the cursor's order, as later runs read. */
  order?: "key" | "tracking";
}

export class StarbaseDBDurableObject extends ProjectDurableObject {
  /** Rows generated by a "prepare" call (at most 100,000, to stay within isolate memory), kept so that writes are timed without generation. */
  private benchRows: SqliteValue[][] = [];
  private benchTotal = 0;

  async benchWrite(input: BenchWriteInput): Promise<{ rows: number; stored: number; json_chars: number }> {
    if (input.mode === "prepare") {
      const kept = Math.min(input.rows, 100_000);
      this.benchRows = new Array(kept);
      for (let i = 0; i < kept; i++) this.benchRows[i] = benchRow(i + 1, input.rows);
      this.benchTotal = input.rows;
      return { rows: input.rows, stored: 0, json_chars: 0 };
    }
    const kept = this.benchRows;
    const total = this.benchTotal;
    if (kept.length === 0) throw new Error("benchWrite: call with mode prepare first (the object was restarted?)");
    const sql = this.ctx.storage.sql;
    const table = "bench_write";
    const keyIndexes = [0];
    sql.exec(`DROP TABLE IF EXISTS ${quoteSqlite(table)}`);
    const columns = input.hashColumn ? withRowHash(BENCH_COLUMNS) : BENCH_COLUMNS;
    sql.exec(createTableSql(table, columns, ["id"]));
    const write = benchWriter(sql, table, columns, input.variant);
    let chars = 0;
    for (let start = 0; start < total; start += input.batch) {
      // Rows beyond the kept ones are copies of kept rows with their own ids (a cheap copy, not generation).
      const page: SqliteValue[][] = new Array(Math.min(input.batch, total - start));
      for (let j = 0; j < page.length; j++) {
        const id = start + j;
        const row = kept[id % kept.length]!;
        page[j] = id < kept.length ? row : [id + 1, ...row.slice(1)];
        if (input.hashColumn) page[j] = [...page[j]!, Math.imul(id + 1, 2654435761) >>> 0];
      }
      const commitRows = input.commitRows ?? page.length;
      for (let from = 0; from < page.length; from += commitRows) {
        const rows = commitRows === page.length ? page : page.slice(from, from + commitRows);
        const json =
          input.variant === "values"
            ? [] // bound values: no JSON to encode
            : input.variant === "stringify"
              ? [JSON.stringify(rows)]
              : planWriteBatches(rows, { keyIndexes }).list.flatMap((b) => (b.kind === "json" ? [b.json] : []));
        for (const text of json) chars += text.length;
        if (input.mode === "encode") continue;
        this.ctx.storage.transactionSync(() => write(rows, json));
        // A task ends between commits, as the plugin's end between slices: the object commits each
        // (an awaited microtask would keep every page in one task, and so in one commit).
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    }
    const stored = sql.exec<{ n: number }>(`SELECT count(*) AS n FROM ${quoteSqlite(table)}`).one().n;
    sql.exec(`DROP TABLE IF EXISTS ${quoteSqlite(table)}`);
    return { rows: total, stored, json_chars: chars };
  }

  async benchRead(input: BenchReadInput): Promise<{ rows: number; pages: number }> {
    const dialect = dialectOf(input.source.dialect);
    // Key order is keyset order on the primary key alone (pull/first-copy.ts): the key stands where the tracking column does.
    const byKey = input.order === "key";
    const tracking = byKey ? BENCH_COLUMNS[0]! : BENCH_COLUMNS[1]!;
    const key = byKey ? [] : [BENCH_COLUMNS[0]!];
    let rows = 0;
    let pages = 0;
    if (input.variant === "driver") return benchDriverRead(input);
    await withSource(input.source, async (source) => {
      // As the plugin reads: statements of many pages, streamed, cut into pages (pull/page-reader.ts).
      const reader = new PageReader({
        source,
        statement: (after, limit) =>
          buildPageQuery({ dialect, table: input.table, columns: BENCH_COLUMNS, tracking, key, after, limit }),
        advance: (after, read) => (byKey ? advanceCursor(after, read, 0, []) : advanceCursor(after, read, 1, [0])),
        after: null,
        maxRows: Number.MAX_SAFE_INTEGER,
        batchSize: input.batch,
        pageBytes: DEFAULT_BOUNDS.pageBytes,
        knownRowBytes: undefined,
        probeRows: DEFAULT_BOUNDS.firstPageRows,
      });
      for (;;) {
        const page = await reader.next();
        rows += page.rows.length;
        pages += 1;
        if (page.ended) break;
      }
    });
    return { rows, pages };
  }
}

/** The plugin's page queries with the bare `pg` / `mysql2` driver in workerd: rows as the driver hands them over. */
async function benchDriverRead(input: BenchReadInput): Promise<{ rows: number; pages: number }> {
  const cfg = input.source as {
    dialect: string;
    host: string;
    port: number;
    user: string;
    password: string;
    database: string;
  };
  const cols = BENCH_COLUMNS.map((c) => c.name).join(", ");
  let rows = 0;
  let pages = 0;
  let after: [unknown, unknown] | null = null;
  if (cfg.dialect === "postgresql") {
    const client = new pg.Client({
      ...cfg,
      types: { getTypeParser: () => (v: string) => v } as unknown as pg.CustomTypesConfig,
    });
    await client.connect();
    for (;;) {
      const where = after ? "WHERE (updated_at, id) > ($1::timestamptz, $2::int8)" : "";
      const res = await client.query({
        text: `SELECT ${cols} FROM ${input.table} ${where} ORDER BY updated_at, id LIMIT ${input.batch}`,
        values: after ? [...after] : [],
        rowMode: "array",
      });
      const list = res.rows as unknown as unknown[][];
      rows += list.length;
      pages += 1;
      const last = list[list.length - 1];
      if (last) after = [last[1], last[0]];
      if (list.length < input.batch) break;
    }
    await client.end();
  } else {
    const conn = await mysql.createConnection({
      ...cfg,
      disableEval: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      dateStrings: true,
      jsonStrings: true,
    });
    for (;;) {
      const where = after ? "WHERE (updated_at, id) > (?, ?)" : "";
      const [list] = await conn.execute(
        {
          sql: `SELECT ${cols} FROM ${input.table} ${where} ORDER BY updated_at, id LIMIT ${input.batch}`,
          rowsAsArray: true,
        },
        (after ? [...after] : []) as string[],
      );
      const page = list as unknown as unknown[][];
      rows += page.length;
      pages += 1;
      const last = page[page.length - 1];
      if (last) after = [last[1], last[0]];
      if (page.length < input.batch) break;
    }
    await conn.end();
  }
  return { rows, pages };
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/__bench/")) {
      const namespace = env.DATABASE_DURABLE_OBJECT as unknown as DurableObjectNamespace<StarbaseDBDurableObject>;
      const stub = namespace.get(namespace.idFromName("bench-limit"));
      const input = await request.json();
      if (url.pathname === "/__bench/write") return Response.json(await stub.benchWrite(input as BenchWriteInput));
      if (url.pathname === "/__bench/read") return Response.json(await stub.benchRead(input as BenchReadInput));
      return new Response("not found", { status: 404 });
    }
    return new Response("bench limit worker", { status: 200 });
  },
} satisfies ExportedHandler<Env>;
