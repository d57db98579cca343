import { z } from "zod";
import { parseWith } from "../validation";
import { MAX_BOUND_PARAMETERS, MAX_SQL_BYTES } from "../limits";

const param = z.union([z.string(), z.number(), z.boolean(), z.null()], {
  error: "each param must be a string, number, boolean or null",
});

const statement = z.strictObject({
  sql: z
    .string({ error: "sql must be a string" })
    .refine((s) => s.trim().length > 0, "sql must not be empty")
    .refine(
      (s) => s.length <= MAX_SQL_BYTES / 3 || new TextEncoder().encode(s).length <= MAX_SQL_BYTES,
      `sql must be at most ${MAX_SQL_BYTES} bytes (the Durable Object's statement length limit)`,
    ),
  params: z
    .array(param, { error: "params must be an array" })
    .max(MAX_BOUND_PARAMETERS, `at most ${MAX_BOUND_PARAMETERS} params per statement`)
    .optional(),
});

const transaction = z.strictObject({
  transaction: z
    .array(statement, { error: "transaction must be an array of statements" })
    .min(1, "transaction must hold at least one statement"),
});

export type StatementBody = z.infer<typeof statement>;
export type QueryBody = StatementBody | z.infer<typeof transaction>;

/** The body's shape, for the OpenAPI document; `parseQueryBody` picks the one that applies, for clearer errors. */
export const queryBody = z.union([statement, transaction]);

/** `{sql, params?}` or `{transaction: [{sql, params?}, ...]}`, as StarbaseDB accepts. */
export function parseQueryBody(body: unknown): QueryBody {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw parseWith(z.object({}, { error: "body must be a JSON object with sql or transaction" }), body);
  }
  return "transaction" in body ? parseWith(transaction, body) : parseWith(statement, body);
}
