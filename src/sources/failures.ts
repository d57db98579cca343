/** Turning driver failures into user-safe errors, and bounding waits. */
import { AppError, SourceUnavailableError } from "../errors";
import { redact } from "../redact";

/**
 * A driver error -> SourceUnavailableError carrying the server's message
 * (with code/detail when present) and no secret. AppErrors pass through.
 */
export function sourceError(error: unknown, context: string, secrets: readonly string[]): AppError {
  if (error instanceof AppError) return error;
  const message = describe(error);
  return new SourceUnavailableError(redact(`${context}: ${message}`, secrets));
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const fields = error as Error & { code?: unknown; detail?: unknown; errors?: unknown };
  // AggregateError (e.g. connection refused on every resolved address) has an empty message.
  const inner = Array.isArray(fields.errors) ? fields.errors.map(describe).join("; ") : "";
  let text = error.message || inner || error.name;
  if (typeof fields.code === "string" && fields.code !== "" && !text.includes(fields.code)) text += ` (${fields.code})`;
  if (typeof fields.detail === "string" && fields.detail !== "") text += ` — ${fields.detail}`;
  return text;
}

/**
 * Resolves like `work`, or rejects with `onTimeout()` after `ms` and runs
 * `abandon` (which must tear the connection down: the driver may still be
 * blocked on it). The timer never outlives the race.
 */
export async function withDeadline<T>(
  work: Promise<T>,
  ms: number,
  onTimeout: () => Error,
  abandon: () => void,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      abandon();
      reject(onTimeout());
    }, ms);
  });
  // If the deadline wins, `work` may still reject later: keep that from being unhandled.
  work.catch(() => undefined);
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
