import mysql from "mysql2/promise";
import pg from "pg";

/** Direct connections to the test servers, for arranging source tables. */
export const PG = { host: "127.0.0.1", port: 5432, user: "postgres", password: "", database: "test" } as const;
export const MYSQL = { host: "127.0.0.1", port: 3306, user: "root", password: "", database: "test" } as const;

export async function pgExec(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ ...PG, application_name: "test-arrange" });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function mysqlExec(sql: string, params: unknown[] = []): Promise<unknown> {
  const conn = await mysql.createConnection({ ...MYSQL, disableEval: true, multipleStatements: true });
  try {
    const [rows] = await conn.query(sql, params);
    return rows;
  } finally {
    await conn.end().catch(() => undefined);
  }
}

/** A long-lived PostgreSQL session, for writers and open transactions in a test. */
export async function pgSession(): Promise<pg.Client> {
  const client = new pg.Client({ ...PG, application_name: "test-writer" });
  client.on("error", () => undefined);
  await client.connect();
  return client;
}

export async function mysqlSession(): Promise<mysql.Connection> {
  return mysql.createConnection({ ...MYSQL, disableEval: true });
}

/** A session that writes to either source, for writers running beside the runs of a test. */
export interface Writer {
  query(sql: string): Promise<unknown>;
  close(): Promise<void>;
}

export async function openWriter(dialect: "postgresql" | "mysql"): Promise<Writer> {
  if (dialect === "postgresql") {
    const client = await pgSession();
    return { query: (q) => client.query(q), close: () => client.end().catch(() => undefined) };
  }
  const conn = await mysqlSession();
  return { query: (q) => conn.query(q), close: () => conn.end().catch(() => undefined) };
}
