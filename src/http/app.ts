import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { AppError, clipMessage, PayloadTooLargeError, statusOf } from "../errors";
import { DatabaseClient } from "../database-client";
import { positiveInt } from "../env";
import type { AppEnv, StarbaseApp, StarbasePlugin } from "../plugin";
import { bearerAuth, requireAdmin } from "./auth";
import { corsHeaders } from "./cors";
import { dataSourceSelector } from "./data-source";
import { openApiDocument } from "./openapi";
import { QUERY_ROUTE_DOCS, registerQueryRoutes } from "./query-routes";
import type { RouteDoc } from "./route-docs";

/** Largest request body accepted unless REQUEST_MAX_BYTES says otherwise: 100 params of 2 MB would not fit, 4 of them do. */
export const DEFAULT_REQUEST_MAX_BYTES = 8 * 1024 * 1024;

/**
 * Builds the HTTP app: CORS, body size, auth, `/status`, the query API, then each
 * plugin's routes. Called once per isolate; the app is reused for every request.
 */
export async function createApp(plugins: readonly StarbasePlugin[]): Promise<StarbaseApp> {
  const app = new Hono<AppEnv>();
  app.onError((error, c) => {
    if (error instanceof AppError) return c.json({ error: clipMessage(error.message) }, statusOf(error.kind));
    if (error instanceof HTTPException) return c.json({ error: error.message || "bad request" }, error.status);
    console.error("unhandled error", error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    return c.json({ error: "internal error" }, 500);
  });
  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${new URL(c.req.url).pathname}` }, 404));
  // First: a preflight answers before authentication, and every answer carries the CORS headers.
  app.use("*", corsHeaders());
  app.use("*", async function limitBody(c, next) {
    const maxSize = positiveInt(c.env.REQUEST_MAX_BYTES) ?? DEFAULT_REQUEST_MAX_BYTES;
    const limit = bodyLimit({
      maxSize,
      onError: () => {
        throw new PayloadTooLargeError(`request body is larger than ${maxSize} bytes (REQUEST_MAX_BYTES)`);
      },
    });
    return limit(c, next);
  });
  const openPrefixes = plugins.filter((p) => !p.opts.requiresAuth && p.pathPrefix).map((p) => p.pathPrefix!);
  const auth = bearerAuth();
  app.use("*", async (c, next) => {
    c.set("database", new DatabaseClient(c.env));
    const path = new URL(c.req.url).pathname;
    if (openPrefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}/`))) return next();
    return auth(c, next);
  });
  app.use("*", dataSourceSelector());
  app.get("/status", async (c) => {
    const status = await c.get("database").status();
    return c.json({ result: { status: "ok", role: c.get("role"), plugins: status.plugins } });
  });
  registerQueryRoutes(app, plugins);
  for (const plugin of plugins) await plugin.register(app);
  const document = openApiDocument(routeDocs(plugins), { title: "starbase-edge-replica", version: "0.1.0" });
  app.get("/openapi.json", requireAdmin(), (c) => c.json(document));
  return app;
}

/** Every route's doc: the host's and each plugin's. */
export function routeDocs(plugins: readonly StarbasePlugin[]): RouteDoc[] {
  return [...HOST_ROUTE_DOCS, ...QUERY_ROUTE_DOCS, ...plugins.flatMap((plugin) => plugin.routeDocs?.() ?? [])];
}

const HOST_ROUTE_DOCS: readonly RouteDoc[] = [
  { method: "get", path: "/status", summary: "The caller's role and the plugins of the Durable Object", access: "any" },
  { method: "get", path: "/openapi.json", summary: "This OpenAPI document", access: "admin" },
];
