import type { Context } from "hono";
import { ValidationError } from "../../src/errors";
import { requireAdmin } from "../../src/http/auth";
import { readJsonBody } from "../../src/http/body";
import type { AppEnv, StarbaseApp } from "../../src/plugin";

const call = <T>(c: Context<AppEnv>, method: string, input: unknown) =>
  c.get("database").callPlugin<T>("replication", method, input);

/** Admin-only REST API under `/replication/jobs`; the work happens inside the Durable Object. */
export function registerReplicationRoutes(app: StarbaseApp): void {
  app.use("/replication/*", requireAdmin());

  app.post("/replication/jobs", async (c) =>
    c.json({ result: await call(c, "createJob", await readJsonBody(c)) }, 201),
  );
  app.get("/replication/jobs", async (c) => c.json({ result: await call(c, "listJobs", null) }));
  app.get("/replication/jobs/:name", async (c) => c.json({ result: await call(c, "getJob", c.req.param("name")) }));
  app.patch("/replication/jobs/:name", async (c) =>
    c.json({ result: await call(c, "patchJob", { name: c.req.param("name"), changes: await readJsonBody(c) }) }),
  );
  app.delete("/replication/jobs/:name", async (c) =>
    c.json({ result: await call(c, "deleteJob", { name: c.req.param("name"), dropTable: flag(c, "drop_table") }) }),
  );
  app.post("/replication/jobs/:name/run", async (c) =>
    c.json({ result: await call(c, "runJob", c.req.param("name")) }),
  );
  app.post("/replication/jobs/:name/pause", async (c) =>
    c.json({ result: await call(c, "pauseJob", c.req.param("name")) }),
  );
  app.post("/replication/jobs/:name/resume", async (c) =>
    c.json({ result: await call(c, "resumeJob", c.req.param("name")) }),
  );
  app.post("/replication/jobs/:name/reset", async (c) =>
    c.json({ result: await call(c, "resetJob", { name: c.req.param("name"), truncate: flag(c, "truncate") }) }),
  );
  app.get("/replication/jobs/:name/runs", async (c) =>
    c.json({ result: await call(c, "listRuns", c.req.param("name")) }),
  );
}

/** `?name=true` / `?name=false` / absent; anything else is a 400. */
function flag(c: Context<AppEnv>, name: string): boolean {
  const value = c.req.query(name);
  if (value === undefined || value === "false") return false;
  if (value === "true") return true;
  throw new ValidationError(`query parameter ${name} must be true or false`);
}
