import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { AppError, statusOf } from "../errors";
import { DatabaseClient } from "../database-client";
import type { AppEnv, StarbaseApp, StarbasePlugin } from "../plugin";
import { bearerAuth } from "./auth";
import { registerQueryRoutes } from "./query-routes";

/**
 * Builds the HTTP app: auth, `/status`, the query API, then each plugin's routes.
 * Called once per isolate; the app is reused for every request.
 */
export async function createApp(plugins: readonly StarbasePlugin[]): Promise<StarbaseApp> {
  const app = new Hono<AppEnv>();
  app.onError((error, c) => {
    if (error instanceof AppError) return c.json({ error: error.message }, statusOf(error.kind));
    if (error instanceof HTTPException) return c.json({ error: error.message || "bad request" }, error.status);
    console.error("unhandled error", error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    return c.json({ error: "internal error" }, 500);
  });
  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${new URL(c.req.url).pathname}` }, 404));

  const openPrefixes = plugins.filter((p) => !p.opts.requiresAuth && p.pathPrefix).map((p) => p.pathPrefix!);
  const auth = bearerAuth();
  app.use("*", async (c, next) => {
    c.set("database", new DatabaseClient(c.env));
    const path = new URL(c.req.url).pathname;
    if (openPrefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}/`))) return next();
    return auth(c, next);
  });

  app.get("/status", async (c) => {
    const status = await c.get("database").status();
    return c.json({ result: { status: "ok", role: c.get("role"), plugins: status.plugins } });
  });
  registerQueryRoutes(app, plugins);
  for (const plugin of plugins) await plugin.register(app);
  return app;
}
