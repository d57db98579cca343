import type { Context } from "hono";
import { ValidationError } from "../errors";

/** Deepest nesting a JSON body may have; no request of ours needs more than a few levels. */
export const MAX_JSON_DEPTH = 32;

/** Reads a JSON body (400 for another content type or malformed JSON); callers validate its shape with `parseWith`. */
export async function readJsonBody(c: Context): Promise<unknown> {
  const type = c.req.header("Content-Type") ?? "";
  if (!/^application\/json\b/i.test(type)) {
    throw new ValidationError("Content-Type must be application/json");
  }
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new ValidationError("request body is not valid JSON");
  }
  if (jsonDepth(body, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw new ValidationError(`request body is nested more than ${MAX_JSON_DEPTH} levels deep`);
  }
  return body;
}

/** Nesting depth of a parsed JSON value, counted without recursion and no further than `limit + 1`. */
export function jsonDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== "object") continue;
    deepest = Math.max(deepest, depth + 1);
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(item) ? item : Object.values(item)) stack.push([child, depth + 1]);
  }
  return deepest;
}
