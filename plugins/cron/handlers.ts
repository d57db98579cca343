import type { CronEvent, CronHandler } from "./types";

const MAX_ERROR_LENGTH = 500;

/** Handlers registered in this object, each for the task names starting with its prefix. */
export class HandlerRegistry {
  private readonly entries: { prefix: string; handler: CronHandler }[] = [];

  add(handler: CronHandler, prefix = ""): void {
    this.entries.push({ prefix, handler });
  }

  /**
   * Calls every matching handler in turn, each isolated. Never throws: answers the
   * failure text to record on the task, or null when all succeeded.
   */
  async deliver(event: CronEvent): Promise<string | null> {
    const handlers = this.entries.filter((e) => event.name.startsWith(e.prefix)).map((e) => e.handler);
    if (handlers.length === 0) return "no handler registered";
    const failures: string[] = [];
    for (const handler of handlers) {
      try {
        await handler(event);
      } catch (error) {
        failures.push(describeFailure(error));
      }
    }
    return failures.length > 0 ? truncate(failures.join("; ")) : null;
  }
}

/** A failure as one short line: the message only, never a stack. */
export function describeFailure(error: unknown): string {
  const text = error instanceof Error ? error.message || error.name : String(error);
  return truncate(text.split("\n", 1)[0] ?? "");
}

function truncate(text: string): string {
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH - 1)}…` : text;
}
