/** Validating untrusted values with zod: one error message naming the first problems. */
import type { z } from "zod";
import { ValidationError } from "./errors";

export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ValidationError(describeIssues(parsed.error));
  return parsed.data;
}

export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => clip(issue.path.length ? `${formatPath(issue.path)}: ${issue.message}` : issue.message))
    .join("; ");
}

/** An issue may quote what it rejected (an unknown key, say): keep each to a readable length. */
function clip(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function formatPath(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join("");
}
