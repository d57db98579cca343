/**
 * The REST API under `/replication/jobs`, the same in every host: the host says
 * how a request reaches the engine and who is an admin (RoutesHost); errors are
 * answered here, so a host whose own error handler knows nothing of them
 * (StarbaseDB's answers 500) still answers 400/404/409/502 with the message.
 */
import type { Context, Env, Hono, MiddlewareHandler } from "hono";
import { AppError, clipMessage, statusOf, ValidationError } from "../../../src/errors";
import { readJsonBody } from "../../../src/http/body";
import type { EngineMethod } from "../engine/engine";

export interface RoutesHost<E extends Env> {
  /** Lets the admin role through; answers 403 to anyone else. */
  requireAdmin: MiddlewareHandler<E>;
  /** Calls an engine method inside the Durable Object and answers its result. */
  call(c: Context<E>, method: EngineMethod, input: unknown): Promise<unknown>;
}

export function registerReplicationRoutes<E extends Env>(app: Hono<E>, host: RoutesHost<E>): void {
  type Handler = (c: Context<E>) => Promise<unknown>;
  const answer =
    (work: Handler, status: 200 | 201 = 200) =>
    async (c: Context<E>) => {
      try {
        return c.json({ result: await work(c) }, status);
      } catch (error) {
        if (error instanceof AppError) return c.json({ error: clipMessage(error.message) }, statusOf(error.kind));
        throw error;
      }
    };
  const name = (c: Context<E>) => c.req.param("name");
  const call = (c: Context<E>, method: EngineMethod, input: unknown) => host.call(c, method, input);

  app.use("/replication/*", host.requireAdmin);
  app.post(
    "/replication/jobs",
    answer(async (c) => call(c, "createJob", await readJsonBody(c)), 201),
  );
  app.get(
    "/replication/jobs",
    answer((c) => call(c, "listJobs", null)),
  );
  app.get(
    "/replication/jobs/:name",
    answer((c) => call(c, "getJob", name(c))),
  );
  app.patch(
    "/replication/jobs/:name",
    answer(async (c) => call(c, "patchJob", { name: name(c), changes: await readJsonBody(c) })),
  );
  app.delete(
    "/replication/jobs/:name",
    answer((c) => call(c, "deleteJob", { name: name(c), dropTable: flag(c, "drop_table") })),
  );
  app.post(
    "/replication/jobs/:name/run",
    answer((c) => call(c, "runJob", name(c))),
  );
  app.post(
    "/replication/jobs/:name/pause",
    answer((c) => call(c, "pauseJob", name(c))),
  );
  app.post(
    "/replication/jobs/:name/resume",
    answer((c) => call(c, "resumeJob", name(c))),
  );
  app.post(
    "/replication/jobs/:name/reset",
    answer((c) => call(c, "resetJob", { name: name(c), truncate: flag(c, "truncate") })),
  );
  app.get(
    "/replication/jobs/:name/runs",
    answer((c) => call(c, "listRuns", name(c))),
  );
  app.post(
    "/replication/jobs/:name/verify",
    answer((c) => call(c, "verifyJob", { name: name(c), repair: flag(c, "repair"), values: flag(c, "values") })),
  );
}

/** `?name=true` / `?name=false` / absent; anything else is a 400. */
function flag(c: Context, name: string): boolean {
  const value = c.req.query(name);
  if (value === undefined || value === "false") return false;
  if (value === "true") return true;
  throw new ValidationError(`query parameter ${name} must be true or false`);
}
