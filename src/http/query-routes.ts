import type { Context } from "hono";
import type { AppEnv, SqlParam, StarbaseApp, StarbasePlugin } from "../plugin";
import { parseQueryBody, queryBody } from "../query/body";
import { toJsonValue } from "../query/format";
import type { Statement } from "../query/types";
import { readJsonBody } from "./body";
import type { RouteDoc } from "./route-docs";

export const QUERY_ROUTE_DOCS: readonly RouteDoc[] = [
  {
    method: "post",
    path: "/query",
    summary: "Run SQL; rows as objects (a transaction: one result per statement)",
    access: "any",
    body: queryBody,
  },
  {
    method: "post",
    path: "/query/raw",
    summary: "Run SQL; {columns, rows, meta: {rows_read, rows_written}}",
    access: "any",
    body: queryBody,
  },
];

/** `POST /query` (rows as objects) and `POST /query/raw` (columns, rows, meta). */
export function registerQueryRoutes(app: StarbaseApp, plugins: readonly StarbasePlugin[]): void {
  const handle = (raw: boolean) => async (c: Context<AppEnv>) => {
    const body = parseQueryBody(await readJsonBody(c));
    const role = c.get("role");
    const given = "transaction" in body ? body.transaction : [body];
    const statements: Statement[] = [];
    for (const s of given) {
      let statement: Statement = { sql: s.sql, params: (s.params ?? []).map(toSqlParam) };
      for (const plugin of plugins) statement = await plugin.beforeQuery({ ...statement, role });
      statements.push(statement);
    }
    // Authorized inside the Durable Object, statement by statement, from SQLite's view (src/query/authorize.ts).
    const results = await c.get("database").query({ statements, transaction: "transaction" in body, raw, role });
    const after = await Promise.all(
      results.map(async (result, i) => {
        let out: unknown = result;
        for (const plugin of plugins)
          out = await plugin.afterQuery({ sql: statements[i]!.sql, result: out, isRaw: raw, role });
        return toJsonValue(out);
      }),
    );
    return c.json({ result: "transaction" in body ? after : after[0] });
  };
  app.post("/query", handle(false));
  app.post("/query/raw", handle(true));
}

function toSqlParam(value: string | number | boolean | null): SqlParam {
  return typeof value === "boolean" ? (value ? 1 : 0) : value;
}
